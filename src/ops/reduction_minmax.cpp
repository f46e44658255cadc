// Extremes: max/min over everything (0-d) and along a dim (values + int64 indices), amax/amin over dims,
// argmax/argmin flattened or along a dim. NaN counts as larger and smaller than everything, as in PyTorch.
#include "ops/reduce_common.h"
#include "strata/ops/creation.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::ReduceOp;
using ops::DimPlan;

DType extreme_dtype(DType t) { return (t == kFloat16 || t == kBFloat16) ? kFloat32 : t; }

// Largest (is_max) or smallest value over p's dims; the gradient is split evenly among the elements equal
// to the result (PyTorch's amax/amin and max()/min() rule).
Tensor extreme(const char* op, const Tensor& x, const DimPlan& p, bool is_max) {
  DType t = extreme_dtype(x.dtype());
  Tensor xin = ops::cast(x, t);
  const ReduceOp rop = is_max ? ReduceOp::Max : ReduceOp::Min;
  Tensor out = x.numel() == 0 ? Tensor::empty(p.out_shape, t, x.device()) : ops::run_reduce(op, rop, xin, p, t);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(xin, op), so(out, op);
    DType in_dtype = x.dtype();
    autograd::record(op, {x}, out, [sx, so, p, rop, op, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor gx = ops::run_reduce_backward(op, rop, ops::cast(g[0], xv.dtype()), xv.shape(), xv, so.get(), Tensor(), p);
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return out;
}

Tensor extreme_all(const char* op, const Tensor& x, bool is_max) {
  ops::check_input(x, op);
  if (Tensor r = ops::via_float32("max", {&x}, [&](const TensorList& u) { return extreme_all(op, u[0], is_max); });
      r.defined()) {
    return r;
  }

  STRATA_CHECK(x.numel() > 0, "[", op, "] the tensor of shape ", x.shape(),
               " is empty; reduce along a non-empty dim instead");
  return extreme(op, x, ops::plan_dims(x, {}, false, op), is_max);
}

Tensor extreme_dims(const char* op, const Tensor& x, const Dims& dims, bool keepdim, bool is_max) {
  ops::check_input(x, op);
  if (Tensor r = ops::via_float32("max", {&x},
                                  [&](const TensorList& u) { return extreme_dims(op, u[0], dims, keepdim, is_max); });
      r.defined()) {
    return r;
  }

  DimPlan p = ops::plan_dims(x, dims, keepdim, op);
  STRATA_CHECK(p.count > 0, "[", op, "] cannot reduce over a dim of size 0 (shape ", x.shape(), ")");
  return extreme(op, x, p, is_max);
}

// Best value and its index along `dim` (first index among ties). Values are skipped when !want_values.
std::pair<Tensor, Tensor> along_dim(const char* op, const Tensor& x, int64_t dim, bool keepdim, bool is_max,
                                    bool want_values) {
  ops::check_input(x, op);
  if (is_low_float(x.dtype())) {  // 16-bit values are exact in float32: the same winners, converted back
    auto [v, i] = along_dim(op, to_dtype(x, kFloat32), dim, keepdim, is_max, want_values);
    return {v.defined() ? to_dtype(v, x.dtype()) : v, i};
  }
  DimPlan p = ops::plan_dim(x, dim, keepdim, op);
  const int64_t d = wrap_dim(dim, x.dim(), op);
  const int64_t n = x.dim() == 0 ? 1 : x.shape()[static_cast<size_t>(d)];
  STRATA_CHECK(n > 0, "[", op, "] dim ", dim, " of the tensor of shape ", x.shape(), " has size 0");
  DType t = extreme_dtype(x.dtype());
  Tensor xin = ops::cast(x, t);
  Tensor vals = want_values ? Tensor::empty(p.out_shape, t, x.device()) : Tensor();
  Tensor idx = Tensor::empty(p.out_shape, kInt64, x.device());
  if (x.numel() > 0) {
    backend::reduction(op, x.device())
        .arg_reduce(want_values ? ops::keep_view(vals, p) : vals, ops::keep_view(idx, p), xin, x.dim() == 0 ? 0 : d,
                    is_max);
  }
  if (want_values && autograd::needs_grad({&x})) {
    // The gradient goes to the selected index only: dx = (iota_dim == idx) ? g : 0.
    Shape in_shape = x.shape();
    DType in_dtype = x.dtype();
    const int64_t dd = x.dim() == 0 ? 0 : d;
    autograd::record(op, {x}, vals, [idx, p, in_shape, dd, op, in_dtype](const TensorList& g, const NeedsGrad&) {
      Tensor gv = ops::cast(g[0], ops::float_compute_dtype(g[0].dtype()));
      Tensor gx = Tensor::empty(in_shape, gv.dtype(), gv.device());
      backend::reduction(op, gv.device()).arg_reduce_backward(gx, ops::keep_view(gv, p), ops::keep_view(idx, p), dd);
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return {vals, idx};
}

Tensor arg_all(const char* op, const Tensor& x_in, bool is_max) {
  ops::check_input(x_in, op);
  const Tensor x = is_low_float(x_in.dtype()) ? ops::cast(x_in, kFloat32) : x_in;
  STRATA_CHECK(x.numel() > 0, "[", op, "] the tensor of shape ", x.shape(), " is empty");
  Tensor flat;
  {
    NoGradGuard no_grad;
    flat = reshape(contiguous(ops::cast(x.detach(), extreme_dtype(x.dtype()))), {x.numel()});
  }
  return along_dim(op, flat, 0, false, is_max, false).second;
}

}  // namespace

Tensor max(const Tensor& x) { return extreme_all("max", x, true); }
Tensor min(const Tensor& x) { return extreme_all("min", x, false); }
Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) { return extreme_dims("amax", x, dims, keepdim, true); }
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) { return extreme_dims("amin", x, dims, keepdim, false); }

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return along_dim("max", x, dim, keepdim, true, true);
}
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return along_dim("min", x, dim, keepdim, false, true);
}

Tensor argmax(const Tensor& x) { return arg_all("argmax", x, true); }
Tensor argmin(const Tensor& x) { return arg_all("argmin", x, false); }
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return along_dim("argmax", x, dim, keepdim, true, false).second;
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return along_dim("argmin", x, dim, keepdim, false, false).second;
}

Tensor Tensor::max() const { return strata::max(*this); }
Tensor Tensor::min() const { return strata::min(*this); }
Tensor Tensor::argmax() const { return strata::argmax(*this); }
Tensor Tensor::argmax(int64_t d, bool k) const { return strata::argmax(*this, d, k); }

}  // namespace strata
