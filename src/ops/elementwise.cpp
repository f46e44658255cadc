// The elementwise family beyond arithmetic.cpp: pow (three forms), sqrt, rsqrt, square, exp, log, log1p, erf,
// erfc, abs, sign, clamp, minimum, maximum, where (all with backward rules), the comparisons, logical ops, allclose,
// the comparison operators, and the Tensor methods of this family.
#include "strata/ops/elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/elementwise.h"
#include "ops/helpers.h"
#include "strata/ops/creation.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::BinaryOp;
using backend::CompareOp;
using backend::OpParams;
using backend::UnaryOp;
using ops::reduce_grad;
using ops::scalar_like;

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
    return ops::map_unary("pow", x, kInt64, UnaryOp::IPowScalar, OpParams{e});
  }
  // The common exponents take exact shortcuts (as PyTorch's kernel does); others go to std::pow.
  const UnaryOp u = e == 2.0    ? UnaryOp::Square
                    : e == 3.0  ? UnaryOp::Cube
                    : e == 1.0  ? UnaryOp::Identity
                    : e == 0.5  ? UnaryOp::Sqrt
                    : e == -0.5 ? UnaryOp::Rsqrt
                    : e == -1.0 ? UnaryOp::Reciprocal
                    : e == -2.0 ? UnaryOp::InvSquare
                                : UnaryOp::PowScalar;
  Tensor out = ops::map_float("pow", x, u, OpParams{e});
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
    return ops::map_binary("pow", x, e, kInt64, BinaryOp::IPow);
  }
  t = ops::float_compute_dtype(t);
  Tensor out = ops::map_binary("pow", x, e, t, BinaryOp::Pow);
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
  Tensor out = ops::map_float("sqrt", x, UnaryOp::Sqrt);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "sqrt");
    autograd::record("sqrt", {x}, out, [so](const TensorList& g, const NeedsGrad&) {
      return TensorList{div(g[0], mul(so.get(), 2.0))};  // 1 / (2 sqrt(x))
    });
  }
  return out;
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = ops::map_float("rsqrt", x, UnaryOp::Rsqrt);
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
  Tensor out = ops::map_unary("square", x, t, UnaryOp::Square);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "square");
    autograd::record("square", {x}, out,
                     [sx](const TensorList& g, const NeedsGrad&) { return TensorList{mul(g[0], mul(sx.get(), 2.0))}; });
  }
  return out;
}

// ---- exp, log, log1p, erf, erfc ----

Tensor exp(const Tensor& x) {
  Tensor out = ops::map_float("exp", x, UnaryOp::Exp);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "exp");
    autograd::record("exp", {x}, out,
                     [so](const TensorList& g, const NeedsGrad&) { return TensorList{mul(g[0], so.get())}; });
  }
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = ops::map_float("log", x, UnaryOp::Log);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "log");
    autograd::record("log", {x}, out,
                     [sx](const TensorList& g, const NeedsGrad&) { return TensorList{div(g[0], sx.get())}; });
  }
  return out;
}

Tensor log1p(const Tensor& x) {
  Tensor out = ops::map_float("log1p", x, UnaryOp::Log1p);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "log1p");
    autograd::record("log1p", {x}, out,
                     [sx](const TensorList& g, const NeedsGrad&) { return TensorList{div(g[0], add(sx.get(), 1.0))}; });
  }
  return out;
}

Tensor erf(const Tensor& x) {
  Tensor out = ops::map_float("erf", x, UnaryOp::Erf);
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
  Tensor out = ops::map_float("erfc", x, UnaryOp::Erfc);
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
  Tensor out = ops::map_unary("abs", x, t, UnaryOp::Abs);
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
  Tensor out = ops::map_unary("sign", x, t, UnaryOp::Sign);  // 0 for 0 and nan, as PyTorch
  if (autograd::needs_grad({&x})) {
    autograd::record("sign", {x}, out,
                     [](const TensorList& g, const NeedsGrad&) { return TensorList{zeros_like(g[0])}; });
  }
  return out;
}

// ---- clamp ----

namespace {
void check_clamp_args(const char* op, const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  STRATA_CHECK(lo || hi, "[", op, "] at least one of min and max must be given (tensor of shape ", x.shape(), ")");
  STRATA_CHECK(!(lo && std::isnan(*lo)) && !(hi && std::isnan(*hi)), "[", op, "] bounds must not be nan");
}

// The clamp functor's parameters: a missing bound is -inf / +inf (saturating to int64's limits for integers).
OpParams clamp_params(std::optional<double> lo, std::optional<double> hi) {
  const double inf = std::numeric_limits<double>::infinity();
  return OpParams{lo ? *lo : -inf, hi ? *hi : inf};
}

bool integral_bounds(std::optional<double> lo, std::optional<double> hi) {
  return (!lo || is_integral_value(*lo)) && (!hi || is_integral_value(*hi));
}
}  // namespace

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  check_clamp_args("clamp", x, min, max);
  DType t = is_floating(x.dtype()) ? ops::float_compute_dtype(x.dtype()) : int_result(integral_bounds(min, max));
  Tensor out = ops::map_unary("clamp", x, t, UnaryOp::Clamp, clamp_params(min, max));
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

// The dtype minimum/maximum/where compute in: the promoted dtype, with 16-bit floats widened to float32.
DType select_dtype(const Tensor& a, const Tensor& b) {
  DType t = promote_types(a.dtype(), b.dtype());
  return t == kFloat16 || t == kBFloat16 ? kFloat32 : t;
}

// maximum or minimum; nan in either operand gives nan. Ties split the gradient evenly between a and b (as
// PyTorch).
Tensor min_max(const char* op, const Tensor& a, const Tensor& b, bool is_max) {
  STRATA_CHECK(a.defined() && b.defined(), "[", op, "] undefined tensor");
  DType t = select_dtype(a, b);
  if (t == kBool) return is_max ? logical_or(a, b) : logical_and(a, b);
  Tensor out = ops::map_binary(op, a, b, t, is_max ? BinaryOp::Maximum : BinaryOp::Minimum);
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

Tensor maximum(const Tensor& a, const Tensor& b) { return min_max("maximum", a, b, true); }

Tensor minimum(const Tensor& a, const Tensor& b) { return min_max("minimum", a, b, false); }

// ---- where ----

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  STRATA_CHECK(cond.defined() && a.defined() && b.defined(), "[where] undefined tensor");
  STRATA_CHECK(cond.dtype() == kBool, "[where] the condition must be a bool tensor, got ", cond.dtype(), " (shape ",
               cond.shape(), ")");
  Tensor cin = cond, ain = a, bin = b;
  const Device dev = backend::place("where", {&cin, &ain, &bin});
  Shape shape = broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  DType t = select_dtype(a, b);
  ain = ops::cast(ain, t);
  bin = ops::cast(bin, t);
  Tensor out = Tensor::empty(shape, t, dev);
  backend::elementwise("where", dev)
      .where(out, ops::broadcast_view(cin, shape), ops::broadcast_view(ain, shape), ops::broadcast_view(bin, shape));
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

Tensor eq(const Tensor& a, const Tensor& b) { return ops::map_compare("eq", a, b, CompareOp::Eq); }
Tensor ne(const Tensor& a, const Tensor& b) { return ops::map_compare("ne", a, b, CompareOp::Ne); }
Tensor lt(const Tensor& a, const Tensor& b) { return ops::map_compare("lt", a, b, CompareOp::Lt); }
Tensor le(const Tensor& a, const Tensor& b) { return ops::map_compare("le", a, b, CompareOp::Le); }
Tensor gt(const Tensor& a, const Tensor& b) { return ops::map_compare("gt", a, b, CompareOp::Gt); }
Tensor ge(const Tensor& a, const Tensor& b) { return ops::map_compare("ge", a, b, CompareOp::Ge); }

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
  return ops::map_compare("logical_not", x, scalar_like(x, 0.0), CompareOp::Eq);
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return ops::map_compare("logical_and", a, b, CompareOp::LogicalAnd);
}

Tensor logical_or(const Tensor& a, const Tensor& b) {
  return ops::map_compare("logical_or", a, b, CompareOp::LogicalOr);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  // Equal values (infinities included) are close; nan is never close, nor is an infinity to anything else.
  const Tensor close = ops::map_compare("allclose", a, b, CompareOp::AllClose, OpParams{rtol, atol});
  const std::vector<bool> v = close.to_vector<bool>();
  return std::all_of(v.begin(), v.end(), [](bool c) { return c; });
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
  STRATA_CHECK(dtype() == kInt64 || is_floating(dtype()), "[clamp_] expected a float or int64 tensor, got ",
               dtype_name(dtype()));
  backend::elementwise("clamp_", device()).unary(UnaryOp::Clamp, clamp_params(min, max), *this, *this);
  bump_version();
  return *this;
}

}  // namespace strata
