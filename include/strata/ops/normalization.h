#pragma once
// Normalisation and dropout (functional forms; nn::BatchNorm*, nn::LayerNorm and nn::Dropout wrap them).
#include <cstdint>
#include <vector>

#include "strata/core/generator.h"
#include "strata/core/tensor.h"

namespace strata {

// x: (N, C) or (N, C, *). In training, normalises with the batch statistics (biased variance) and, when
// running_mean/var are defined, updates them in place with `momentum` (unbiased variance, as PyTorch).
// In evaluation, uses the running statistics. weight/bias: (C) or undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);
// Normalises over the trailing dims given by normalized_shape; weight/bias have that shape or are undefined.
// Fused forward and backward.
Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// Zeroes elements with probability p and scales the rest by 1 / (1 - p) in training; identity otherwise.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* gen = nullptr);

}  // namespace strata
