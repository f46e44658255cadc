// Reductions over any set of dims with keepdim: sum, mean, var, std, logsumexp, norm.
// (max/min/amax/amin/argmax/argmin live in reduction_minmax.cpp.)
#include "strata/ops/reduction.h"

#include <cmath>
#include <limits>

#include "kernels/cpu/softmax.h"
#include "ops/reduce_common.h"
#include "strata/autograd/autocast.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using kernels::cpu::AddOp;
using ops::DimPlan;

// g (output-shaped) spread over the input shape, times `scale` (a sum's or a mean's backward).
Tensor spread(const Tensor& g, const DimPlan& p, const Shape& in_shape, double scale, DType in_dtype) {
  Tensor gk = ops::keep_view(g, p);
  Tensor out = dispatch_float(g.dtype(), "sum", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T s = static_cast<T>(scale);
    return ops::map2<T, T, T>(in_shape, gk, gk, [s](T v, T) { return v * s; });
  });
  return ops::grad_as(out, in_dtype);
}

// Sum of x over p into dtype T (x already in T), divided by `div` (1 for a plain sum).
Tensor sum_impl(const Tensor& x, const DimPlan& p, double div) {
  return dispatch_numeric(x.dtype(), "sum", [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Accumulates in T: the cascade keeps float sums as accurate as PyTorch's while staying vectorised.
    using Acc = T;
    auto map = [](T v, T) { return v; };
    if (div == 1.0) {
      return ops::run_reduce<T, T, T>(x, p, Tensor(), Acc(0), map, AddOp{},
                                      [](auto a, T) { return static_cast<T>(a); });
    }
    return ops::run_reduce<T, T, T>(x, p, Tensor(), Acc(0), map, AddOp{},
                                    [div](auto a, T) { return static_cast<T>(static_cast<double>(a) / div); });
  });
}

// Per-output mean of x (in its float dtype) as float64, the parameter of var's second pass.
Tensor mean_f64(const Tensor& x, const DimPlan& p) {
  const double n = static_cast<double>(p.count);
  return dispatch_float(x.dtype(), "var", [&](auto tag) {
    using T = typename decltype(tag)::type;
    return ops::run_reduce<double, T, T>(
        x, p, Tensor(), T(0), [](T v, T) { return v; }, AddOp{}, [n](auto a, T) { return static_cast<double>(a) / n; });
  });
}

Tensor var_std(const char* op, const Tensor& x, const Dims& dims, int64_t correction, bool keepdim, bool take_sqrt) {
  ops::check_float(x, op);
  STRATA_CHECK(correction >= 0, "[", op, "] correction must be >= 0, got ", correction);
  DimPlan p = ops::plan_dims(x, dims, keepdim, op);
  Tensor xin = ops::cast(x, ops::float_compute_dtype(x.dtype()));
  const double den = std::max<double>(0.0, static_cast<double>(p.count - correction));
  if (x.numel() == 0) {
    Tensor out = full(p.out_shape, std::nan(""), TensorOptions(xin.dtype()));
    if (autograd::needs_grad({&x})) {
      Shape in_shape = x.shape();
      DType in_dtype = x.dtype();
      autograd::record(op, {x}, out, [in_shape, in_dtype](const TensorList&, const NeedsGrad&) {
        return TensorList{zeros(in_shape, TensorOptions(in_dtype))};
      });
    }
    return out;
  }
  Tensor mean = mean_f64(xin, p);
  Tensor out = dispatch_float(xin.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // (x - mean)^2 with the float64 mean, summed in T lanes with a double cascade
    auto map = [](T v, double m) {
      double d = static_cast<double>(v) - m;
      return static_cast<T>(d * d);
    };
    if (take_sqrt) {
      return ops::run_reduce<T, T, double>(xin, p, mean, T(0), map, AddOp{}, [den](auto a, double) {
        return static_cast<T>(std::sqrt(static_cast<double>(a) / den));
      });
    }
    return ops::run_reduce<T, T, double>(xin, p, mean, T(0), map, AddOp{}, [den](auto a, double) {
      return static_cast<T>(static_cast<double>(a) / den);
    });
  });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(xin, op), so(out, op);
    DType in_dtype = x.dtype();
    autograd::record(op, {x}, out, [sx, so, mean, p, den, take_sqrt, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor mk = ops::keep_view(mean, p);
      Tensor gx = dispatch_float(xv.dtype(), "var", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // var: dx = g * 2 (x - mean) / den;  std: dx = g (x - mean) / (den * std), 0 where std == 0.
        Tensor f = take_sqrt
                       ? ops::map2<T, T, T>(g[0].shape(), g[0], so.get(),
                                            [den](T gv, T s) { return s == 0 ? T(0) : static_cast<T>(gv / (s * den)); })
                       : ops::map2<T, T, T>(g[0].shape(), g[0], g[0],
                                            [den](T gv, T) { return static_cast<T>(gv * (2.0 / den)); });
        Tensor fk = ops::keep_view(f, p);
        return ops::map3<T, T, double, T>(xv.shape(), xv, mk, fk, [](T v, double m, T fv) {
          return static_cast<T>((static_cast<double>(v) - m) * static_cast<double>(fv));
        });
      });
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x_in, const Dims& dims, bool keepdim) {
  const profile::Scope prof_scope(profile::Kind::Forward, "sum");
  // A float32-list op under autocast; a 16-bit input outside autocast is reduced in float32, returned 16-bit.
  const Tensor x = autocast::to_float32(x_in);
  if (Tensor r = ops::via_float32("sum", {&x}, [&](const TensorList& u) { return sum(u[0], dims, keepdim); });
      r.defined()) {
    return r;
  }

  ops::check_input(x, "sum");
  DimPlan p = ops::plan_dims(x, dims, keepdim, "sum");
  DType t = (x.dtype() == kBool || x.dtype() == kInt64) ? kInt64 : ops::float_compute_dtype(x.dtype());
  Tensor xin = ops::cast(x, t);
  Tensor out = x.numel() == 0 ? zeros(p.out_shape, TensorOptions(t)) : sum_impl(xin, p, 1.0);
  if (autograd::needs_grad({&x})) {
    Shape in_shape = x.shape();
    DType in_dtype = x.dtype();
    autograd::record("sum", {x}, out, [p, in_shape, in_dtype](const TensorList& g, const NeedsGrad&) {
      return TensorList{spread(g[0], p, in_shape, 1.0, in_dtype)};
    });
  }
  return out;
}

Tensor mean(const Tensor& x_in, const Dims& dims, bool keepdim) {
  const profile::Scope prof_scope(profile::Kind::Forward, "mean");
  // A float32-list op under autocast; a 16-bit input outside autocast is reduced in float32, returned 16-bit.
  const Tensor x = autocast::to_float32(x_in);
  if (Tensor r = ops::via_float32("mean", {&x}, [&](const TensorList& u) { return mean(u[0], dims, keepdim); });
      r.defined()) {
    return r;
  }

  ops::check_float(x, "mean");
  DimPlan p = ops::plan_dims(x, dims, keepdim, "mean");
  DType t = ops::float_compute_dtype(x.dtype());
  Tensor xin = ops::cast(x, t);
  const double n = static_cast<double>(p.count);
  Tensor out = x.numel() == 0 ? full(p.out_shape, std::nan(""), TensorOptions(t)) : sum_impl(xin, p, n);
  if (autograd::needs_grad({&x})) {
    Shape in_shape = x.shape();
    DType in_dtype = x.dtype();
    autograd::record("mean", {x}, out, [p, in_shape, n, in_dtype](const TensorList& g, const NeedsGrad&) {
      return TensorList{spread(g[0], p, in_shape, 1.0 / n, in_dtype)};
    });
  }
  return out;
}

Tensor var(const Tensor& x_in, const Dims& dims, int64_t correction, bool keepdim) {
  const profile::Scope prof_scope(profile::Kind::Forward, "var");
  // A float32-list op under autocast; a 16-bit input outside autocast is reduced in float32, returned 16-bit.
  const Tensor x = autocast::to_float32(x_in);
  if (Tensor r =
          ops::via_float32("var", {&x}, [&](const TensorList& u) { return var(u[0], dims, correction, keepdim); });
      r.defined()) {
    return r;
  }

  return var_std("var", x, dims, correction, keepdim, false);
}

Tensor std(const Tensor& x_in, const Dims& dims, int64_t correction, bool keepdim) {
  // A float32-list op under autocast; a 16-bit input outside autocast is reduced in float32, returned 16-bit.
  const Tensor x = autocast::to_float32(x_in);
  if (Tensor r =
          ops::via_float32("std", {&x}, [&](const TensorList& u) { return std(u[0], dims, correction, keepdim); });
      r.defined()) {
    return r;
  }

  return var_std("std", x, dims, correction, keepdim, true);
}

// out = m + log(sum(exp(x - m))) with m the max (taken as 0 where infinite, so that all -inf gives -inf
// and any +inf gives +inf).  d out / dx = exp(x - out).
Tensor logsumexp(const Tensor& x_in, const Dims& dims, bool keepdim) {
  const profile::Scope prof_scope(profile::Kind::Forward, "logsumexp");
  // A float32-list op under autocast; a 16-bit input outside autocast is reduced in float32, returned 16-bit.
  const Tensor x = autocast::to_float32(x_in);
  if (Tensor r =
          ops::via_float32("logsumexp", {&x}, [&](const TensorList& u) { return logsumexp(u[0], dims, keepdim); });
      r.defined()) {
    return r;
  }

  ops::check_float(x, "logsumexp");
  DimPlan p = ops::plan_dims(x, dims, keepdim, "logsumexp");
  DType t = ops::float_compute_dtype(x.dtype());
  Tensor xin = ops::cast(x, t);
  Tensor out;
  if (x.numel() == 0) {
    out = full(p.out_shape, -std::numeric_limits<double>::infinity(), TensorOptions(t));
  } else {
    out = dispatch_float(t, "logsumexp", [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor m = ops::run_reduce<T, T, T>(
          xin, p, Tensor(), ops::lowest_value<T>(), [](T v, T) { return v; }, kernels::cpu::MaxOp{},
          [](T a, T) { return a; });
      auto shift = [](T mv) { return std::isinf(mv) ? T(0) : mv; };
      // exp in T, summed in T lanes with a double cascade (kernels/cpu/reduce.h)
      return ops::run_reduce<T, T, T>(
          xin, p, m, T(0), [shift](T v, T mv) { return kernels::cpu::detail::exp_of(static_cast<T>(v - shift(mv))); },
          AddOp{}, [shift](auto a, T mv) { return static_cast<T>(std::log(static_cast<double>(a)) + shift(mv)); });
    });
  }
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(xin, "logsumexp"), so(out, "logsumexp");
    DType in_dtype = x.dtype();
    autograd::record("logsumexp", {x}, out, [sx, so, p, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor ok = ops::keep_view(so.get(), p), gk = ops::keep_view(g[0], p);
      Tensor gx = dispatch_float(xv.dtype(), "logsumexp", [&](auto tag) {
        using T = typename decltype(tag)::type;
        return ops::map3<T, T, T, T>(xv.shape(), xv, ok, gk, [](T v, T o, T gv) {
          return gv * kernels::cpu::detail::exp_of(static_cast<T>(v - o));
        });
      });
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return out;
}

namespace {

template <class T>
T sgn(T v) {
  return static_cast<T>((v > 0) - (v < 0));
}

// Forward of norm for float dtype T.
template <class T>
Tensor norm_forward(const Tensor& x, const DimPlan& p, double pv) {
  using kernels::cpu::MaxOp;
  using kernels::cpu::MinOp;
  auto same = [](T a, T) { return a; };
  auto mag = [](T v, T) { return std::abs(v); };
  if (pv == 2.0) {
    return ops::run_reduce<T, T, T>(
        x, p, Tensor(), 0.0, [](T v, T) { return static_cast<double>(v) * static_cast<double>(v); }, AddOp{},
        [](double a, T) { return static_cast<T>(std::sqrt(a)); });
  }
  if (pv == 1.0) {
    return ops::run_reduce<T, T, T>(
        x, p, Tensor(), 0.0, [](T v, T) { return static_cast<double>(std::abs(v)); }, AddOp{},
        [](double a, T) { return static_cast<T>(a); });
  }
  if (std::isinf(pv) && pv > 0) return ops::run_reduce<T, T, T>(x, p, Tensor(), T(0), mag, MaxOp{}, same);
  if (std::isinf(pv)) {
    return ops::run_reduce<T, T, T>(x, p, Tensor(), ops::highest_value<T>(), mag, MinOp{}, same);
  }
  if (pv == 0.0) {
    return ops::run_reduce<T, T, T>(
        x, p, Tensor(), 0.0, [](T v, T) { return v != 0 ? 1.0 : 0.0; }, AddOp{},
        [](double a, T) { return static_cast<T>(a); });
  }
  return ops::run_reduce<T, T, T>(
      x, p, Tensor(), 0.0, [pv](T v, T) { return std::pow(std::abs(static_cast<double>(v)), pv); }, AddOp{},
      [pv](double a, T) { return static_cast<T>(std::pow(a, 1.0 / pv)); });
}

// Gradient of norm for float dtype T (PyTorch 1.13's rules, including 0 where the norm is 0).
template <class T>
Tensor norm_backward(const Tensor& x, const Tensor& n, const Tensor& g, const DimPlan& p, double pv) {
  const Shape& shape = x.shape();
  if (pv == 0.0) return zeros(shape, TensorOptions(dtype_of<T>()));
  Tensor gk = ops::keep_view(g, p);
  if (pv == 1.0) return ops::map2<T, T, T>(shape, x, gk, [](T v, T gv) { return sgn(v) * gv; });
  if (std::isinf(pv)) {
    // Split evenly among the elements whose |x| equals the norm.
    Tensor count = ops::run_reduce<double, T, T>(
        x, p, n, 0.0, [](T v, T m) { return ops::matches(std::abs(v), m) ? 1.0 : 0.0; }, AddOp{},
        [](double a, T) { return a; });
    Tensor q = ops::map2<T, T, double>(g.shape(), g, count, [](T gv, double c) { return static_cast<T>(gv / c); });
    return ops::map3<T, T, T, T>(shape, x, ops::keep_view(n, p), ops::keep_view(q, p),
                                 [](T v, T m, T qv) { return ops::matches(std::abs(v), m) ? sgn(v) * qv : T(0); });
  }
  Tensor f = ops::map2<T, T, T>(g.shape(), g, n, [pv](T gv, T nv) {
    const double nd = static_cast<double>(nv);
    if (pv < 1.0) return static_cast<T>(gv * std::pow(nd, 1.0 - pv));
    return nv == 0 ? T(0) : static_cast<T>(gv / (pv == 2.0 ? nd : std::pow(nd, pv - 1.0)));
  });
  Tensor fk = ops::keep_view(f, p);
  if (pv == 2.0) return ops::map2<T, T, T>(shape, x, fk, [](T v, T fv) { return v * fv; });
  return ops::map2<T, T, T>(shape, x, fk, [pv](T v, T fv) {
    const double a = std::abs(static_cast<double>(v));
    double s;
    if (pv < 1.0) {
      s = v == 0 ? 0.0 : sgn(static_cast<double>(v)) * std::pow(a, pv - 1.0);
    } else if (pv < 2.0) {
      s = sgn(static_cast<double>(v)) * std::pow(a, pv - 1.0);
    } else {
      s = static_cast<double>(v) * std::pow(a, pv - 2.0);
    }
    return static_cast<T>(s * static_cast<double>(fv));
  });
}

}  // namespace

Tensor norm(const Tensor& x_in, double pv, const Dims& dims, bool keepdim) {
  // A float32-list op under autocast; a 16-bit input outside autocast is reduced in float32, returned 16-bit.
  const Tensor x = autocast::to_float32(x_in);
  if (Tensor r = ops::via_float32("norm", {&x}, [&](const TensorList& u) { return norm(u[0], pv, dims, keepdim); });
      r.defined()) {
    return r;
  }

  ops::check_float(x, "norm");
  STRATA_CHECK(!std::isnan(pv), "[norm] p must not be NaN");
  DimPlan p = ops::plan_dims(x, dims, keepdim, "norm");
  DType t = ops::float_compute_dtype(x.dtype());
  Tensor xin = ops::cast(x, t);
  Tensor out;
  if (x.numel() == 0) {
    out = zeros(p.out_shape, TensorOptions(t));
  } else {
    out = dispatch_float(t, "norm", [&](auto tag) { return norm_forward<typename decltype(tag)::type>(xin, p, pv); });
  }
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(xin, "norm"), so(out, "norm");
    DType in_dtype = x.dtype();
    autograd::record("norm", {x}, out, [sx, so, p, pv, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor gx = dispatch_float(xv.dtype(), "norm", [&](auto tag) {
        return norm_backward<typename decltype(tag)::type>(xv, so.get(), g[0], p, pv);
      });
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return out;
}

Tensor Tensor::sum() const { return strata::sum(*this); }
Tensor Tensor::sum(const Dims& d, bool k) const { return strata::sum(*this, d, k); }
Tensor Tensor::mean() const { return strata::mean(*this); }
Tensor Tensor::mean(const Dims& d, bool k) const { return strata::mean(*this, d, k); }
Tensor Tensor::var(const Dims& d, int64_t c, bool k) const { return strata::var(*this, d, c, k); }
Tensor Tensor::std(const Dims& d, int64_t c, bool k) const { return strata::std(*this, d, c, k); }
Tensor Tensor::logsumexp(const Dims& d, bool k) const { return strata::logsumexp(*this, d, k); }
Tensor Tensor::norm(double p) const { return strata::norm(*this, p); }

}  // namespace strata
