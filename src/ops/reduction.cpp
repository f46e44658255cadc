// Reductions over any set of dims with keepdim: sum, mean, var, std, logsumexp, norm.
// (max/min/amax/amin/argmax/argmin live in reduction_minmax.cpp.)
#include "strata/ops/reduction.h"

#include <cmath>
#include <limits>

#include "ops/reduce_common.h"
#include "strata/autograd/autocast.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::ReduceOp;
using ops::DimPlan;

Tensor var_std(const char* op, const Tensor& x, const Dims& dims, int64_t correction, bool keepdim, bool take_sqrt) {
  ops::check_float(x, op);
  STRATA_CHECK(correction >= 0, "[", op, "] correction must be >= 0, got ", correction);
  DimPlan p = ops::plan_dims(x, dims, keepdim, op);
  Tensor xin = ops::cast(x, ops::float_compute_dtype(x.dtype()));
  if (x.numel() == 0) {
    Tensor out = full(p.out_shape, std::nan(""), TensorOptions(xin.dtype()).with_device(x.device()));
    if (autograd::needs_grad({&x})) {
      Shape in_shape = x.shape();
      DType in_dtype = x.dtype();
      Device dev = x.device();
      autograd::record(op, {x}, out, [in_shape, in_dtype, dev](const TensorList&, const NeedsGrad&) {
        return TensorList{zeros(in_shape, TensorOptions(in_dtype).with_device(dev))};
      });
    }
    return out;
  }
  const ReduceOp rop = take_sqrt ? ReduceOp::Std : ReduceOp::Var;
  backend::ReduceParams prm;
  prm.correction = correction;
  // The float64 mean first (the parameter of the second pass), then the sum of squared deviations.
  Tensor mean = ops::run_reduce(op, ReduceOp::Mean, xin, p, kFloat64);
  Tensor out = ops::run_reduce(op, rop, xin, p, xin.dtype(), mean, prm);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(xin, op), so(out, op);
    DType in_dtype = x.dtype();
    Shape in_shape = x.shape();
    autograd::record(op, {x}, out,
                     [sx, so, mean, p, prm, rop, op, in_shape, in_dtype](const TensorList& g, const NeedsGrad&) {
                       Tensor xv = sx.get();
                       Tensor gv = ops::cast(g[0], xv.dtype());
                       Tensor gx = ops::run_reduce_backward(op, rop, gv, in_shape, xv, so.get(), mean, p, prm);
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
  Tensor out = x.numel() == 0 ? zeros(p.out_shape, TensorOptions(t).with_device(x.device()))
                              : ops::run_reduce("sum", ReduceOp::Sum, xin, p, t);
  if (autograd::needs_grad({&x})) {
    Shape in_shape = x.shape();
    DType in_dtype = x.dtype();
    autograd::record("sum", {x}, out, [p, in_shape, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor gx = ops::run_reduce_backward("sum", ReduceOp::Sum, g[0], in_shape, Tensor(), Tensor(), Tensor(), p);
      return TensorList{ops::grad_as(gx, in_dtype)};
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
  Tensor out = x.numel() == 0 ? full(p.out_shape, std::nan(""), TensorOptions(t).with_device(x.device()))
                              : ops::run_reduce("mean", ReduceOp::Mean, xin, p, t);
  if (autograd::needs_grad({&x})) {
    Shape in_shape = x.shape();
    DType in_dtype = x.dtype();
    autograd::record("mean", {x}, out, [p, in_shape, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor gx = ops::run_reduce_backward("mean", ReduceOp::Mean, g[0], in_shape, Tensor(), Tensor(), Tensor(), p);
      return TensorList{ops::grad_as(gx, in_dtype)};
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
  Tensor out = x.numel() == 0 ? full(p.out_shape, -std::numeric_limits<double>::infinity(),
                                     TensorOptions(t).with_device(x.device()))
                              : ops::run_reduce("logsumexp", ReduceOp::LogSumExp, xin, p, t);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(xin, "logsumexp"), so(out, "logsumexp");
    DType in_dtype = x.dtype();
    autograd::record("logsumexp", {x}, out, [sx, so, p, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor gx = ops::run_reduce_backward("logsumexp", ReduceOp::LogSumExp, ops::cast(g[0], xv.dtype()), xv.shape(),
                                           xv, so.get(), Tensor(), p);
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return out;
}

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
  backend::ReduceParams prm;
  prm.p = pv;
  Tensor out = x.numel() == 0 ? zeros(p.out_shape, TensorOptions(t).with_device(x.device()))
                              : ops::run_reduce("norm", ReduceOp::Norm, xin, p, t, Tensor(), prm);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(xin, "norm"), so(out, "norm");
    DType in_dtype = x.dtype();
    autograd::record("norm", {x}, out, [sx, so, p, prm, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor gx = ops::run_reduce_backward("norm", ReduceOp::Norm, ops::cast(g[0], xv.dtype()), xv.shape(), xv,
                                           so.get(), Tensor(), p, prm);
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return out;
}

Tensor all_finite(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "all_finite");
  ops::check_input(x, "all_finite");
  DimPlan p = ops::plan_dims(x, {}, false, "all_finite");
  if (!is_floating(x.dtype()) || x.numel() == 0) return full({}, 1.0, TensorOptions(kBool).with_device(x.device()));
  // 16-bit inf/NaN stay inf/NaN in float32.
  const Tensor xin = ops::cast(x.detach(), is_low_float(x.dtype()) ? kFloat32 : x.dtype());
  return ops::run_reduce("all_finite", ReduceOp::AllFinite, xin, p, kBool);
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
