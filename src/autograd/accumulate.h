#pragma once
// Gradient arithmetic the engine needs (sum of two gradients, zeros), written on the kernels directly so
// that autograd does not depend on the ops layer above it.
#include "strata/core/tensor.h"

namespace strata::autograd::detail {

// a + b for same-shape tensors (a new tensor).
Tensor add_grads(const Tensor& a, const Tensor& b);
// dst += src in place (dst contiguous, same shape).
void add_into(Tensor& dst, const Tensor& src);
Tensor zeros(const Shape& shape, DType dtype, Device device);
// A contiguous copy.
Tensor copy(const Tensor& t);
// A contiguous copy converted to dtype.
Tensor cast(const Tensor& t, DType dtype);

}  // namespace strata::autograd::detail
