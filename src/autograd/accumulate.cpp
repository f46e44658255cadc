#include "autograd/accumulate.h"

#include "backend/copy.h"
#include "strata/core/error.h"

namespace strata::autograd::detail {

Tensor add_grads(const Tensor& a, const Tensor& b) {
  STRATA_CHECK(a.shape() == b.shape() && a.dtype() == b.dtype() && a.device() == b.device(),
               "[backward] cannot add gradients of shape ", a.shape(), " (", a.dtype(), ", ", a.device(), ") and ",
               b.shape(), " (", b.dtype(), ", ", b.device(), ")");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  backend::copy("backward", a.device()).add(out, a, b);
  return out;
}

void add_into(Tensor& dst, const Tensor& src) {
  STRATA_CHECK(dst.shape() == src.shape() && dst.dtype() == src.dtype() && dst.device() == src.device(),
               "[backward] cannot accumulate gradient of shape ", src.shape(), " (", src.dtype(), ", ", src.device(),
               ") into .grad of shape ", dst.shape(), " (", dst.dtype(), ", ", dst.device(), ")");
  backend::copy("backward", dst.device()).add(dst, dst, src);
  dst.bump_version();
}

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, dtype, device);
  backend::copy("backward", device).fill(t, 0.0);
  return t;
}

Tensor copy(const Tensor& t) {
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  backend::copy("backward", t.device()).convert(out, t);
  return out;
}

Tensor cast(const Tensor& t, DType dtype) {
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  backend::copy("backward", t.device()).convert(out, t);
  return out;
}

}  // namespace strata::autograd::detail
