// The elementwise family beyond arithmetic.cpp: pow (three forms), sqrt, rsqrt, square, exp, log, log1p, erf,
// erfc, abs, sign, clamp, minimum, maximum, where (all with backward rules), the comparisons, logical ops, allclose,
// the comparison operators, and the Tensor methods of this family.
#include "strata/ops/elementwise.h"

#include <cmath>
#include <limits>

#include "kernels/cpu/vec_math.h"
#include "ops/helpers.h"
#include "strata/ops/creation.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using ops::reduce_grad;
using ops::scalar_like;

// base^exp for integers; negative exponents truncate towards zero as integer division does (only 1 and -1
// have non-zero results).
int64_t ipow(int64_t base, int64_t exp) {
  if (exp < 0) return base == 1 ? 1 : base == -1 ? (exp % 2 ? -1 : 1) : 0;
  uint64_t r = 1, b = static_cast<uint64_t>(base);  // unsigned: wraps on overflow as PyTorch's int64 does
  for (auto e = static_cast<uint64_t>(exp); e; e >>= 1) {
    if (e & 1) r *= b;
    b *= b;
  }
  return static_cast<int64_t>(r);
}

bool is_integral_value(double v) { return std::isfinite(v) && v == std::trunc(v); }

// The dtype of an int/bool tensor's result when combined with scalar bounds or exponents.
DType int_result(bool integral) { return integral ? kInt64 : kFloat32; }
}  // namespace

// ---- pow ----

Tensor pow(const Tensor& x, double e) {
  STRATA_CHECK(x.defined(), "[pow] undefined tensor");
  if (!is_floating(x.dtype()) && is_integral_value(e)) {
    STRATA_CHECK(e >= 0, "[pow] integers to negative integer powers are not allowed (exponent ", e,
                 ", tensor of dtype ", x.dtype(), ")");
    STRATA_CHECK(e < 9.2e18, "[pow] exponent ", e, " is out of range for int64");
    const auto k = static_cast<int64_t>(e);
    return ops::map_unary("pow", x, kInt64, [k](auto v) { return ipow(static_cast<int64_t>(v), k); });
  }
  // The common exponents take exact shortcuts (as PyTorch's kernel does); others go to std::pow.
  Tensor out;
  if (e == 2.0) {
    out = ops::map_float("pow", x, [](auto v) { return v * v; });
  } else if (e == 3.0) {
    out = ops::map_float("pow", x, [](auto v) { return v * v * v; });
  } else if (e == 1.0) {
    out = ops::map_float("pow", x, [](auto v) { return v; });
  } else if (e == 0.5) {
    out = ops::map_float("pow", x, [](auto v) { return std::sqrt(v); });
  } else if (e == -0.5) {
    out = ops::map_float("pow", x, [](auto v) { return decltype(v)(1) / std::sqrt(v); });
  } else if (e == -1.0) {
    out = ops::map_float("pow", x, [](auto v) { return decltype(v)(1) / v; });
  } else if (e == -2.0) {
    out = ops::map_float("pow", x, [](auto v) { return decltype(v)(1) / (v * v); });
  } else {
    out = ops::map_float("pow", x, [e](auto v) { return std::pow(v, static_cast<decltype(v)>(e)); });
  }
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "pow");
    autograd::record("pow", {x}, out, [sx, e](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      // d(x^e)/dx = e x^(e-1); zero everywhere for e = 0 (x^0 = 1 even at x = 0).
      if (e == 0.0) return TensorList{zeros_like(g[0])};
      return TensorList{mul(g[0], mul(pow(xv, e - 1.0), e))};
    });
  }
  return out;
}

Tensor pow(const Tensor& x, const Tensor& e) {
  STRATA_CHECK(x.defined() && e.defined(), "[pow] undefined tensor");
  DType t = promote_types(x.dtype(), e.dtype());
  if (t == kBool) t = kInt64;
  if (t == kInt64) {
    return ops::map_binary("pow", x, e, kInt64,
                           [](auto b, auto k) { return ipow(static_cast<int64_t>(b), static_cast<int64_t>(k)); });
  }
  t = ops::float_compute_dtype(t);
  Tensor out = ops::map_binary("pow", x, e, t, [](auto b, auto k) { return std::pow(b, k); });
  if (autograd::needs_grad({&x, &e})) {
    autograd::SavedTensor sx(x, "pow"), se(e, "pow"), so(out, "pow");
    autograd::record("pow", {x, e}, out, [sx, se, so](const TensorList& g, const NeedsGrad& n) {
      Tensor xv = sx.get(), ev = se.get();
      Tensor grad_x, grad_e;
      if (n[0]) {
        // e x^(e-1), zero where e = 0 (as PyTorch: x^0 is constant even at x = 0)
        Tensor d = mul(g[0], mul(pow(xv, sub(ev, 1.0)), ev));
        grad_x = reduce_grad(where(eq(ev, 0.0), 0.0, d), xv.shape(), xv.dtype());
      }
      if (n[1]) {
        // x^e log(x), zero where x = 0 and e >= 0 (the limit; log(0) would give nan there)
        Tensor d = mul(g[0], mul(so.get(), log(xv)));
        grad_e = reduce_grad(where(logical_and(eq(xv, 0.0), ge(ev, 0.0)), 0.0, d), ev.shape(), ev.dtype());
      }
      return TensorList{grad_x, grad_e};
    });
  }
  return out;
}

Tensor pow(double base, const Tensor& e) {
  STRATA_CHECK(e.defined(), "[pow] undefined tensor");
  return pow(scalar_like(e, base), e);
}

// ---- sqrt, rsqrt, square ----

Tensor sqrt(const Tensor& x) {
  Tensor out = ops::map_float("sqrt", x, [](auto v) { return std::sqrt(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "sqrt");
    autograd::record("sqrt", {x}, out, [so](const TensorList& g, const NeedsGrad&) {
      return TensorList{div(g[0], mul(so.get(), 2.0))};  // 1 / (2 sqrt(x))
    });
  }
  return out;
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = ops::map_float("rsqrt", x, [](auto v) { return decltype(v)(1) / std::sqrt(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "rsqrt");
    autograd::record("rsqrt", {x}, out, [so](const TensorList& g, const NeedsGrad&) {
      Tensor y = so.get();
      return TensorList{mul(g[0], mul(pow(y, 3.0), -0.5))};  // -1/2 x^(-3/2)
    });
  }
  return out;
}

Tensor square(const Tensor& x) {
  STRATA_CHECK(x.defined(), "[square] undefined tensor");
  DType t = is_floating(x.dtype()) ? ops::float_compute_dtype(x.dtype()) : kInt64;
  Tensor out = ops::map_unary("square", x, t, [](auto v) { return v * v; });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "square");
    autograd::record("square", {x}, out,
                     [sx](const TensorList& g, const NeedsGrad&) { return TensorList{mul(g[0], mul(sx.get(), 2.0))}; });
  }
  return out;
}

// ---- exp, log, log1p, erf, erfc ----

Tensor exp(const Tensor& x) {
  Tensor out = ops::map_float_array("exp", x, kernels::cpu::vec::exp, [](double v) { return std::exp(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "exp");
    autograd::record("exp", {x}, out,
                     [so](const TensorList& g, const NeedsGrad&) { return TensorList{mul(g[0], so.get())}; });
  }
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = ops::map_float("log", x, [](auto v) { return std::log(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "log");
    autograd::record("log", {x}, out,
                     [sx](const TensorList& g, const NeedsGrad&) { return TensorList{div(g[0], sx.get())}; });
  }
  return out;
}

Tensor log1p(const Tensor& x) {
  Tensor out = ops::map_float("log1p", x, [](auto v) { return std::log1p(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "log1p");
    autograd::record("log1p", {x}, out,
                     [sx](const TensorList& g, const NeedsGrad&) { return TensorList{div(g[0], add(sx.get(), 1.0))}; });
  }
  return out;
}

Tensor erf(const Tensor& x) {
  Tensor out = ops::map_float("erf", x, [](auto v) { return std::erf(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "erf");
    autograd::record("erf", {x}, out, [sx](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      // 2 / sqrt(pi) exp(-x^2)
      return TensorList{mul(g[0], mul(exp(neg(square(xv))), 1.1283791670955126))};
    });
  }
  return out;
}

Tensor erfc(const Tensor& x) {
  Tensor out = ops::map_float_array("erfc", x, kernels::cpu::vec::erfc, [](double v) { return std::erfc(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "erfc");
    autograd::record("erfc", {x}, out, [sx](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      // -2 / sqrt(pi) exp(-x^2)
      return TensorList{mul(g[0], mul(exp(neg(square(xv))), -1.1283791670955126))};
    });
  }
  return out;
}

// ---- abs, sign ----

Tensor abs(const Tensor& x) {
  STRATA_CHECK(x.defined(), "[abs] undefined tensor");
  STRATA_CHECK(x.dtype() != kBool, "[abs] not supported for bool tensors (shape ", x.shape(), ")");
  DType t = x.dtype() == kInt64 ? kInt64 : ops::float_compute_dtype(x.dtype());
  Tensor out = ops::map_unary("abs", x, t, [](auto v) {
    if constexpr (std::is_floating_point_v<decltype(v)>) {
      return std::abs(v);
    } else if constexpr (std::is_same_v<decltype(v), bool>) {
      return v;
    } else {
      return v < 0 ? -v : v;
    }
  });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "abs");
    autograd::record("abs", {x}, out,
                     [sx](const TensorList& g, const NeedsGrad&) { return TensorList{mul(g[0], sign(sx.get()))}; });
  }
  return out;
}

Tensor sign(const Tensor& x) {
  STRATA_CHECK(x.defined(), "[sign] undefined tensor");
  DType t = is_floating(x.dtype()) ? ops::float_compute_dtype(x.dtype()) : x.dtype();
  Tensor out = ops::map_unary("sign", x, t, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, bool>) {
      return v;
    } else {
      return static_cast<T>((T(0) < v) - (v < T(0)));  // 0 for 0 and nan, as PyTorch
    }
  });
  if (autograd::needs_grad({&x})) {
    autograd::record("sign", {x}, out,
                     [](const TensorList& g, const NeedsGrad&) { return TensorList{zeros_like(g[0])}; });
  }
  return out;
}

// ---- clamp ----

namespace {
// Bounds as T: a missing bound is -inf / +inf (the int64 limits for integers), so one loop serves every case.
template <class T>
std::pair<T, T> clamp_bounds(std::optional<double> lo, std::optional<double> hi) {
  auto conv = [](std::optional<double> b, bool upper) -> T {
    if constexpr (std::is_floating_point_v<T>) {
      if (!b) return upper ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
      return static_cast<T>(*b);
    } else {
      const double lim = 9.2e18;
      if (!b || *b >= lim || *b <= -lim) {
        if (!b) return upper ? std::numeric_limits<T>::max() : std::numeric_limits<T>::lowest();
        return *b > 0 ? std::numeric_limits<T>::max() : std::numeric_limits<T>::lowest();
      }
      return static_cast<T>(*b);
    }
  };
  return {conv(lo, false), conv(hi, true)};
}

// min(max(x, lo), hi); nan stays nan, and lo > hi gives hi everywhere (as PyTorch).
template <class T>
T clamp_value(T v, T lo, T hi) {
  T r = v < lo ? lo : v;
  return r > hi ? hi : r;
}

void check_clamp_args(const char* op, const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  check_cpu(op, x.device());
  STRATA_CHECK(lo || hi, "[", op, "] at least one of min and max must be given (tensor of shape ", x.shape(), ")");
  STRATA_CHECK(!(lo && std::isnan(*lo)) && !(hi && std::isnan(*hi)), "[", op, "] bounds must not be nan");
}

// out = clamp(in) elementwise; out and in have the same shape and dtype (they may be the same tensor).
void clamp_into(const char* op, const Tensor& out, const Tensor& in, std::optional<double> min,
                std::optional<double> max) {
  auto plan = ops::unary_plan(out, in);
  dispatch_numeric_io(out.dtype(), op, [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using T = typename decltype(ctag)::type;  // float16/bfloat16 clamp in float32, round once
    const auto bounds = clamp_bounds<T>(min, max);
    kernels::cpu::unary(plan, out.data_ptr<S>(), in.data_ptr<S>(), [lo = bounds.first, hi = bounds.second](S v) {
      return kernels::cpu::convert<S>(clamp_value(ops::load_as<T>(v), lo, hi));
    });
  });
}

bool integral_bounds(std::optional<double> lo, std::optional<double> hi) {
  return (!lo || is_integral_value(*lo)) && (!hi || is_integral_value(*hi));
}
}  // namespace

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  check_clamp_args("clamp", x, min, max);
  DType t = is_floating(x.dtype()) ? ops::float_compute_dtype(x.dtype()) : int_result(integral_bounds(min, max));
  Tensor xin = ops::cast(x, t);
  Tensor out = Tensor::empty(x.shape(), t, x.device());
  clamp_into("clamp", out, xin, min, max);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "clamp");
    autograd::record("clamp", {x}, out, [sx, min, max](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      // The gradient passes where min <= x <= max.
      Tensor mask = min && max ? logical_and(ge(xv, *min), le(xv, *max)) : min ? ge(xv, *min) : le(xv, *max);
      return TensorList{where(mask, g[0], 0.0)};
    });
  }
  return out;
}

// ---- minimum, maximum ----

namespace {

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// The dtype minimum/maximum/where compute in: the promoted dtype, with 16-bit floats widened to float32.
DType select_dtype(const Tensor& a, const Tensor& b) {
  DType t = promote_types(a.dtype(), b.dtype());
  return t == kFloat16 || t == kBFloat16 ? kFloat32 : t;
}

// maximum (pick = x > y) or minimum (pick = x < y). Ties split the gradient evenly between a and b (as PyTorch).
template <class Pick>
Tensor min_max(const char* op, const Tensor& a, const Tensor& b, bool is_max, Pick pick) {
  STRATA_CHECK(a.defined() && b.defined(), "[", op, "] undefined tensor");
  DType t = select_dtype(a, b);
  if (t == kBool) return is_max ? logical_or(a, b) : logical_and(a, b);
  Tensor out = ops::map_binary(op, a, b, t, [pick](auto x, auto y) {
    // nan in either operand gives nan (as PyTorch)
    return pick(x, y) || is_nan(x) ? x : y;
  });
  if (autograd::needs_grad({&a, &b})) {
    autograd::SavedTensor sa(a, op), sb(b, op);
    autograd::record(op, {a, b}, out, [sa, sb, is_max](const TensorList& g, const NeedsGrad& n) {
      Tensor av = sa.get(), bv = sb.get();
      Tensor a_wins = is_max ? gt(av, bv) : lt(av, bv);
      Tensor b_wins = is_max ? lt(av, bv) : gt(av, bv);
      Tensor half = where(eq(av, bv), mul(g[0], 0.5), 0.0);
      return TensorList{n[0] ? reduce_grad(where(a_wins, g[0], half), av.shape(), av.dtype()) : Tensor(),
                        n[1] ? reduce_grad(where(b_wins, g[0], half), bv.shape(), bv.dtype()) : Tensor()};
    });
  }
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return min_max("maximum", a, b, true, [](auto x, auto y) { return x > y; });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return min_max("minimum", a, b, false, [](auto x, auto y) { return x < y; });
}

// ---- where ----

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  STRATA_CHECK(cond.defined() && a.defined() && b.defined(), "[where] undefined tensor");
  STRATA_CHECK(cond.dtype() == kBool, "[where] the condition must be a bool tensor, got ", cond.dtype(), " (shape ",
               cond.shape(), ")");
  check_cpu("where", cond.device());
  check_cpu("where", a.device());
  check_cpu("where", b.device());
  Shape shape = broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  DType t = select_dtype(a, b);
  Tensor ain = ops::cast(a, t), bin = ops::cast(b, t);
  Tensor out = Tensor::empty(shape, t, a.device());
  Strides so = out.strides(), sc = ops::broadcast_strides(cond, shape), sa = ops::broadcast_strides(ain, shape),
          sb = ops::broadcast_strides(bin, shape);
  auto plan = kernels::cpu::make_plan<4>(shape, {&so, &sc, &sa, &sb});
  // The mask is read as bytes (bools are stored as 0/1 bytes): GCC vectorises uint8_t loads, not bool ones.
  const auto* mask = reinterpret_cast<const uint8_t*>(cond.data_ptr<bool>());
  ops::dispatch_compute(t, "where", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::ternary(plan, out.data_ptr<T>(), mask, ain.data_ptr<T>(), bin.data_ptr<T>(),
                          [](uint8_t c, T x, T y) { return c ? x : y; });
  });
  if (autograd::needs_grad({&a, &b})) {
    autograd::SavedTensor sc_saved(cond, "where");
    Shape shape_a = a.shape(), shape_b = b.shape();
    DType dtype_a = a.dtype(), dtype_b = b.dtype();
    autograd::record("where", {a, b}, out,
                     [sc_saved, shape_a, shape_b, dtype_a, dtype_b](const TensorList& g, const NeedsGrad& n) {
                       Tensor c = sc_saved.get();
                       return TensorList{n[0] ? reduce_grad(where(c, g[0], 0.0), shape_a, dtype_a) : Tensor(),
                                         n[1] ? reduce_grad(where(c, 0.0, g[0]), shape_b, dtype_b) : Tensor()};
                     });
  }
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  STRATA_CHECK(a.defined(), "[where] undefined tensor");
  return where(cond, a, scalar_like(a, b));
}

Tensor where(const Tensor& cond, double a, const Tensor& b) {
  STRATA_CHECK(b.defined(), "[where] undefined tensor");
  return where(cond, scalar_like(b, a), b);
}

// ---- comparisons ----

Tensor eq(const Tensor& a, const Tensor& b) {
  return ops::map_compare("eq", a, b, [](auto x, auto y) { return x == y; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return ops::map_compare("ne", a, b, [](auto x, auto y) { return x != y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return ops::map_compare("lt", a, b, [](auto x, auto y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return ops::map_compare("le", a, b, [](auto x, auto y) { return x <= y; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return ops::map_compare("gt", a, b, [](auto x, auto y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return ops::map_compare("ge", a, b, [](auto x, auto y) { return x >= y; });
}

// The scalar is converted to the tensor's dtype first (x == 0.1 is true for a float32 x holding 0.1f).
Tensor eq(const Tensor& a, double b) { return eq(a, scalar_like(a, b)); }
Tensor ne(const Tensor& a, double b) { return ne(a, scalar_like(a, b)); }
Tensor lt(const Tensor& a, double b) { return lt(a, scalar_like(a, b)); }
Tensor le(const Tensor& a, double b) { return le(a, scalar_like(a, b)); }
Tensor gt(const Tensor& a, double b) { return gt(a, scalar_like(a, b)); }
Tensor ge(const Tensor& a, double b) { return ge(a, scalar_like(a, b)); }

// Logical ops treat non-zero (and nan) as true.
Tensor logical_not(const Tensor& x) {
  STRATA_CHECK(x.defined(), "[logical_not] undefined tensor");
  return ops::map_compare("logical_not", x, scalar_like(x, 0.0), [](auto v, auto zero) { return v == zero; });
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return ops::map_compare("logical_and", a, b, [](auto x, auto y) {
    using T = decltype(x);
    return x != T(0) && y != T(0);
  });
}

Tensor logical_or(const Tensor& a, const Tensor& b) {
  return ops::map_compare("logical_or", a, b, [](auto x, auto y) {
    using T = decltype(x);
    return x != T(0) || y != T(0);
  });
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  // Equal values (infinities included) are close; nan is never close, nor is an infinity to anything else.
  Tensor close = ops::map_compare("allclose", a, b, [rtol, atol](auto x, auto y) {
    const auto dx = static_cast<double>(x), dy = static_cast<double>(y);
    return dx == dy || (std::isfinite(dx) && std::isfinite(dy) && std::abs(dx - dy) <= atol + rtol * std::abs(dy));
  });
  const bool* p = close.data_ptr<bool>();
  for (int64_t i = 0; i < close.numel(); ++i) {
    if (!p[i]) return false;
  }
  return true;
}

Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<(const Tensor& a, double b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, double b) { return le(a, b); }
Tensor operator>(const Tensor& a, double b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, double b) { return ge(a, b); }

// ---- Tensor methods ----

Tensor Tensor::exp() const { return strata::exp(*this); }
Tensor Tensor::log() const { return strata::log(*this); }
Tensor Tensor::sqrt() const { return strata::sqrt(*this); }
Tensor Tensor::abs() const { return strata::abs(*this); }
Tensor Tensor::pow(double exponent) const { return strata::pow(*this, exponent); }

Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  ops::check_inplace("clamp_", *this);
  check_clamp_args("clamp_", *this, min, max);
  STRATA_CHECK(is_floating(dtype()) || integral_bounds(min, max),
               "[clamp_] fractional bounds cannot be written into a tensor of dtype ", dtype(), " (shape ", shape(),
               ")");
  clamp_into("clamp_", *this, *this, min, max);
  bump_version();
  return *this;
}

}  // namespace strata
