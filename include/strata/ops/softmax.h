#pragma once
// softmax / log_softmax along a dim (numerically stable), and the negative log-likelihood losses built
// on them. cross_entropy fuses log_softmax + nll_loss: its backward is (softmax - one_hot) directly.
#include <cstdint>

#include "strata/core/tensor.h"

namespace strata {

enum class Reduction { None, Mean, Sum };

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// log_probs: (N, C) or (N, C, d1, ...)   target: (N) or (N, d1, ...) int64 class indices
// weight: (C) per-class weights or undefined. Mean reduction divides by the sum of the targets' weights.
// Targets equal to ignore_index contribute nothing.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                Reduction reduction = Reduction::Mean, int64_t ignore_index = -100);
// logits: (N, C) or (N, C, d1, ...); the rest as nll_loss. label_smoothing in [0, 1] as in PyTorch.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                     Reduction reduction = Reduction::Mean, int64_t ignore_index = -100, double label_smoothing = 0.0);

}  // namespace strata
