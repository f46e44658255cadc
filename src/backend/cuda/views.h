#pragma once
// Host side of the CUDA backend: a tensor as the StridedView its kernels take.
#include "backend/cuda/runtime.h"
#include "strata/core/error.h"
#include "strata/core/tensor.h"

namespace strata::backend::cuda {

inline StridedView view_of(const Tensor& t) {
  StridedView v;
  v.elem = static_cast<Elem>(static_cast<int>(t.dtype()));
  v.data = t.raw_data();
  STRATA_CHECK(t.dim() <= kMaxDims, "[cuda] elementwise kernels take at most ", kMaxDims, " dims, got shape ",
               t.shape());
  v.ndim = static_cast<int>(t.dim());
  for (int d = 0; d < v.ndim; ++d) {
    v.sizes[d] = t.shape()[static_cast<size_t>(d)];
    v.strides[d] = t.strides()[static_cast<size_t>(d)];
  }
  return v;
}

// Runs a launcher, turning the runtime's failure into strata::Error naming what was launched.
template <class Fn>
void launch(const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    STRATA_FAIL("[cuda] ", what, " failed: ", e.what());
  }
}

}  // namespace strata::backend::cuda
