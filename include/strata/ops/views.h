#pragma once
// Views (no copy: they share storage with their input) and copies. All are differentiable.
#include "strata/core/tensor.h"

namespace strata {

// A view when the strides allow it, else a copy. One size may be -1 (inferred).
Tensor reshape(const Tensor& x, const Shape& shape);
// Like reshape but never copies: an error when the strides do not allow a view.
Tensor view(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
// Removes every size-1 dim, or only `dim` if it has size 1.
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const Dims& dims);
// Transpose of a 2-D tensor (0-D and 1-D are returned as they are).
Tensor t(const Tensor& x);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// Python's x[..., start:end:step, ...] along dim; start/end are clamped and may be negative.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// Removes `dim` by taking position `index` along it.
Tensor select(const Tensor& x, int64_t dim, int64_t index);
// Broadcasts size-1 dims to `shape` (-1 keeps a size) with stride 0.
Tensor expand(const Tensor& x, const Shape& shape);
// `chunks` views of nearly equal size along dim (the last may be smaller).
TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
// Views of split_size along dim (the last may be smaller), or of the given sizes.
TensorList split(const Tensor& x, int64_t split_size, int64_t dim = 0);
TensorList split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);

// A contiguous tensor with the same values (x itself when already contiguous).
Tensor contiguous(const Tensor& x);
// A contiguous copy.
Tensor clone(const Tensor& x);
// Converts the element type (x itself when it already has that dtype). Differentiable between float types.
Tensor to_dtype(const Tensor& x, DType dtype);

}  // namespace strata
