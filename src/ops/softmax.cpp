// softmax / log_softmax along any dim, stable (the max is subtracted first), with their backward rules:
//   softmax: dx = y * (g - sum(g * y))        log_softmax: dx = g - exp(y) * sum(g)
#include "strata/ops/softmax.h"

#include "backend/norm.h"
#include "ops/reduce_common.h"
#include "strata/autograd/autocast.h"
#include "strata/core/profile.h"

namespace strata {

namespace {

// x as a contiguous (outer, n, inner) block around dim.
backend::SoftmaxShape block_of(const Shape& shape, int64_t d) {
  backend::SoftmaxShape b;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    const int64_t s = shape[static_cast<size_t>(i)];
    if (i < d) b.outer *= s;
    if (i == d) b.n = s;
    if (i > d) b.inner *= s;
  }
  return b;
}

Tensor softmax_impl(const char* op, const Tensor& x_in, int64_t dim, bool log) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  // Float32-list op under autocast; a 16-bit input outside autocast is computed in float32 and returned 16-bit.
  const Tensor x = autocast::to_float32(x_in);
  if (Tensor r =
          ops::via_float32("softmax", {&x}, [&](const TensorList& u) { return softmax_impl(op, u[0], dim, log); });
      r.defined()) {
    return r;
  }
  ops::check_float(x, op);
  const int64_t d = wrap_dim(dim, x.dim(), op);
  const DType t = ops::float_compute_dtype(x.dtype());
  Tensor xin;
  {
    NoGradGuard no_grad;
    xin = contiguous(ops::cast(x.detach(), t));
  }
  const backend::SoftmaxShape b = block_of(x.shape(), d);
  Tensor y = Tensor::empty(x.shape(), t, x.device());
  if (x.numel() > 0) backend::norm(op, x.device()).softmax_forward(y, xin, b, log);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sy(y, op);
    const DType in_dtype = x.dtype();
    autograd::record(op, {x}, y, [sy, b, log, in_dtype](const TensorList& g, const autograd::NeedsGrad&) {
      Tensor yv = sy.get();
      Tensor gv = contiguous(ops::cast(g[0], yv.dtype()));
      Tensor gx = Tensor::empty(yv.shape(), yv.dtype(), yv.device());
      if (yv.numel() > 0) backend::norm("softmax", yv.device()).softmax_backward(gx, yv, gv, b, log);
      return TensorList{ops::grad_as(gx, in_dtype)};
    });
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl("softmax", x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl("log_softmax", x, dim, true); }

Tensor Tensor::softmax(int64_t dim) const { return strata::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return strata::log_softmax(*this, dim); }

}  // namespace strata
