#pragma once
// Kernel family: copies, casts, fills and gradient accumulation. Tensors passed in live on the backend's device.
#include "backend/backend.h"

namespace strata::backend {

struct CopyKernels {
  // dst[i] = src[i] converted to dst's dtype, for every dtype pair. Same shape; src may have 0 strides where
  // it is broadcast, dst may be any non-overlapping layout.
  void (*convert)(const Tensor& dst, const Tensor& src);
  // Every element of dst = value converted to dst's dtype (a write-only loop: dst may be uninitialised).
  void (*fill)(const Tensor& dst, double value);
  // out = a + b for floating tensors of one dtype and shape (16-bit computed in float32); out may be a.
  // Autograd accumulates gradients with it.
  void (*add)(const Tensor& out, const Tensor& a, const Tensor& b);
};

}  // namespace strata::backend
