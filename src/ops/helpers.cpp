#include "ops/helpers.h"

#include "strata/autograd/grad_mode.h"

namespace strata::ops {

Strides broadcast_strides(const Tensor& t, const Shape& out) {
  Strides s(out.size());
  const size_t lead = out.size() - t.shape().size();
  for (size_t i = 0; i < t.shape().size(); ++i) {
    s[lead + i] = t.shape()[i] == 1 && out[lead + i] != 1 ? 0 : t.strides()[i];
  }
  return s;
}

DType float_compute_dtype(DType t) { return is_compute_float(t) ? t : kFloat32; }

Tensor cast(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  check_cpu("to", t.device());
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  auto plan = unary_plan(out, t);
  dispatch_all(t.dtype(), [&](auto tin) {
    using S = typename decltype(tin)::type;
    dispatch_all(dtype, [&](auto tout) {
      using D = typename decltype(tout)::type;
      kernels::cpu::unary(plan, out.data_ptr<D>(), t.data_ptr<S>(), [](S v) { return kernels::cpu::convert<D>(v); });
    });
  });
  return out;
}

void check_inplace(const char* op, const Tensor& self) {
  STRATA_CHECK(self.defined(), "[", op, "] undefined tensor");
  if (!GradMode::is_enabled()) return;
  STRATA_CHECK(!(self.requires_grad() && self.is_leaf()), "[", op, "] a leaf tensor that requires grad (shape ",
               self.shape(), ") is used in an in-place operation; wrap the update in NoGradGuard");
  STRATA_CHECK(!self.requires_grad(), "[", op, "] in-place operation on a tensor of shape ", self.shape(),
               " that is part of an autograd graph; use the out-of-place form");
}

}  // namespace strata::ops
