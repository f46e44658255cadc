#pragma once
// Indexing, joining and padding. Index tensors are int64.
#include <cstdint>
#include <vector>

#include "strata/core/tensor.h"

namespace strata {

// Rows (or slices along dim) of x picked by a 1-D index:  x: (..., n, ...)  index: (k)  ->  (..., k, ...)
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[i][j] = x[i][index[i][j]] (for dim 1); index has x's number of dims.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// out = x with src added at index along dim:  out[i][index[i][j]] += src[i][j]  (for dim 1).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// Row lookup:  weight: (num, dim)  indices: any shape, int64  ->  (*indices.shape, dim).
// The backward accumulates into the rows (repeated indices add up); rows equal to padding_idx get no gradient.
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1);
// x with `value` where mask (bool, broadcast to x) is true.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// Joins along an existing dim (cat) or a new one (stack).
Tensor cat(const TensorList& tensors, int64_t dim = 0);
Tensor stack(const TensorList& tensors, int64_t dim = 0);
// Constant padding as torch.nn.functional.pad: pads = {last_left, last_right, second_last_left, ...}.
// Negative pads crop.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);
// int64 class indices (any shape) -> (*shape, num_classes) int64 one-hot; num_classes < 0 means max + 1.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace strata
