#pragma once
// Kernel family: indexing. Tensors passed in live on the backend's device; index tensors are int64 and already
// checked to lie in range (find_out_of_range) by the op; outputs are pre-allocated by the op.
//   index_select  out[.., j, ..] = x[.., index[j], ..]        (out: x's shape with dim -> k, contiguous)
//   index_add     out[.., index[j], ..] += src[.., j, ..]     (repeated indices accumulate)
//   gather        out[i] = x[i with i[dim] -> index[i]]        (out: index's shape)
//   scatter_add   out[i with i[dim] -> index[i]] += src[i]     (over index's shape)
//   masked_fill   out = mask ? value : x                       (x, mask: out's shape, 0 strides where broadcast)
#include "backend/backend.h"

namespace strata::backend {

struct IndexKernels {
  // Returns true and sets *bad to the first value (in index's logical order) outside [0, size).
  bool (*find_out_of_range)(const Tensor& index, int64_t size, int64_t* bad);
  // index: 1-D (or 0-d) int64; out: contiguous; every dtype.
  void (*index_select)(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index);
  // out and src: one dtype among float32, float64, int64 (the op casts 16-bit to float32 and back).
  void (*index_add)(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);
  // out: index's shape; every dtype.
  void (*gather)(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index);
  // src read at index's positions; out and src: float32, float64 or int64.
  void (*scatter_add)(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);
  // mask: bool; out may be x (in place); every dtype.
  void (*masked_fill)(const Tensor& out, const Tensor& x, const Tensor& mask, double value);
};

}  // namespace strata::backend
