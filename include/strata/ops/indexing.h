#pragma once
// Indexing, joining and padding. Index tensors are int64.
#include <cstdint>
#include <vector>

#include "strata/core/tensor.h"

namespace strata {

// Rows (or slices along dim) of x picked by a 1-D index:  x: (..., n, ...)  index: (k)  ->  (..., k, ...)
// Every index must lie in [0, n); repeated indices are allowed (their gradients add up).
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// x with src's slices added at the indexed positions along dim (the reverse of index_select):
//   x: (..., n, ...)  index: (k)  src: (..., k, ...)  ->  (..., n, ...);  repeated indices accumulate.
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// out[i][j] = x[i][index[i][j]] (for dim 1); index has x's number of dims and is no larger than x in every
// dim but `dim`; out has index's shape.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// out = x with src added at index along dim:  out[i][index[i][j]] += src[i][j]  (for dim 1).
// index, src and x have the same number of dims; index is no larger than src, nor than x off `dim`.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// Row lookup:  weight: (num, dim)  indices: any shape, int64  ->  (*indices.shape, dim).
// The backward accumulates into the rows (repeated indices add up); rows equal to padding_idx get no gradient.
// padding_idx < 0 means none (unlike F.embedding, a negative value does not count from the end).
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1);
// x with `value` where mask (bool) is true; x and mask broadcast together, as in PyTorch.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// Joins along an existing dim (cat) or a new one (stack, dim in [-(ndim + 1), ndim]); dtypes are promoted.
// cat: shapes must match except in dim; 1-D empty tensors (shape (0)) are skipped, as in PyTorch.
Tensor cat(const TensorList& tensors, int64_t dim = 0);
Tensor stack(const TensorList& tensors, int64_t dim = 0);
// Constant padding as torch.nn.functional.pad: pads = {last_left, last_right, second_last_left, ...}.
// Negative pads crop. pads has even length, at most 2 * x.dim().
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);
// int64 class indices (any shape) -> (*shape, num_classes) int64 one-hot; num_classes < 0 means max + 1.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace strata
