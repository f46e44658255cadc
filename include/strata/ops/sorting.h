#pragma once
// Sorting and selection along one dim: sort, argsort, topk; and sampling from categorical distributions
// (multinomial, sample_logits for language-model sampling with temperature and top-k).
// The values of sort/topk are a gather of x, so gradients flow back to the picked elements.
#include <cstdint>

#include "strata/core/generator.h"
#include "strata/core/tensor.h"

namespace strata {

struct SortResult {
  Tensor values;   // x's dtype, differentiable
  Tensor indices;  // int64 positions along dim
};

// x: (..., n, ...) -> values and indices of the same shape, ordered along dim (stable: equal values keep
// their order). NaN sorts as the largest value, as in PyTorch.
SortResult sort(const Tensor& x, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
// The k largest (or smallest) elements along dim: x: (..., n, ...) -> (..., k, ...), sorted when `sorted`.
SortResult topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);

// Draws num_samples category indices per row of non-negative weights probs: (C) or (N, C) -> (num_samples) or
// (N, num_samples) int64. Without replacement, num_samples <= the number of non-zero weights of each row.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false, Generator* gen = nullptr);

// One token per row of logits (V) or (N, V): softmax(logits / temperature) restricted to the top_k largest
// logits (top_k <= 0: all), then a draw. temperature -> 0 approaches argmax; temperature == 0 is argmax.
// Returns () or (N) int64.
Tensor sample_logits(const Tensor& logits, double temperature = 1.0, int64_t top_k = 0, Generator* gen = nullptr);

}  // namespace strata
