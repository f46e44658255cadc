#include "ops/helpers.h"

#include "backend/copy.h"

#include <cmath>

#include "strata/autograd/grad_mode.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/views.h"

namespace strata::ops {

Strides broadcast_strides(const Tensor& t, const Shape& out) {
  Strides s(out.size());
  const size_t lead = out.size() - t.shape().size();
  for (size_t i = 0; i < t.shape().size(); ++i) {
    s[lead + i] = t.shape()[i] == 1 && out[lead + i] != 1 ? 0 : t.strides()[i];
  }
  return s;
}

DType result_type(const Tensor& a, const Tensor& b) {
  const DType ta = a.dtype(), tb = b.dtype();
  if (is_low_float(ta) && a.dim() > 0 && b.dim() == 0 && is_floating(tb)) return ta;
  if (is_low_float(tb) && b.dim() > 0 && a.dim() == 0 && is_floating(ta)) return tb;
  return promote_types(ta, tb);
}

Tensor via_float32(const char* op, std::initializer_list<const Tensor*> inputs,
                   const std::function<Tensor(const TensorList&)>& fn) {
  DType low = kFloat32;
  for (const Tensor* t : inputs) {
    if (t->defined() && is_low_float(t->dtype())) {
      low = t->dtype();
      break;
    }
  }
  if (low == kFloat32) return Tensor();
  TensorList up;
  up.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    up.push_back(t->defined() && is_low_float(t->dtype()) ? to_dtype(*t, kFloat32) : *t);
  }
  Tensor out = fn(up);
  STRATA_CHECK(out.defined(), "[", op, "] produced no result");
  return is_floating(out.dtype()) ? to_dtype(out, low) : out;
}

Tensor cast(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  backend::copy("to", t.device()).convert(out, t);
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

Tensor scalar_like(const Tensor& a, double v) {
  const bool integral = std::isfinite(v) && v == std::trunc(v);
  // A 16-bit tensor's scalar is kept in float32; result_type keeps the op in the tensor's 16-bit dtype.
  DType t = is_floating(a.dtype()) ? compute_dtype(a.dtype()) : (integral ? a.dtype() : kFloat32);
  if (t == kBool) t = kInt64;
  return full({}, v, TensorOptions(t).with_device(a.device()));
}

Tensor reduce_grad(const Tensor& g, const Shape& shape, DType dtype) {
  Tensor r = sum_to(g, shape);
  return r.dtype() == dtype || !is_floating(dtype) ? r : to_dtype(r, dtype);
}

}  // namespace strata::ops
