#pragma once
// Normalisation and dropout (functional forms; nn::BatchNorm*, nn::LayerNorm and nn::Dropout wrap them).
#include <cstdint>
#include <functional>
#include <vector>

#include "strata/core/generator.h"
#include "strata/core/tensor.h"

namespace strata {

// x: (N, C) or (N, C, *). In training, normalises with the batch statistics (biased variance) and, when
// running_mean/var are defined, updates them in place with `momentum` (unbiased variance, as PyTorch).
// In evaluation, uses the running statistics. weight/bias: (C) or undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);
// Sums per-channel values over the replicas of a data-parallel run, in place, with the same result on every
// replica (dist::convert_sync_batch_norm supplies one that all-reduces over MPI). Every replica calls it in the
// same order with vectors of the same length.
using ReplicaSum = std::function<void(std::vector<double>& values)>;
// Training-mode batch_norm with the statistics of the global batch, the union of every replica's x (PyTorch's
// SyncBatchNorm): forward sums (examples, values, sum x) and then sum (x - mean)^2 per channel through `sum`, so
// every replica normalises with the global mean and biased variance and updates running_mean/var with them
// (unbiased over the global count); backward sums dy and dy * (x - mean) per channel through `sum`. Each
// replica's backward sums enter weighted by its share of the examples (x's dim 0), as DataParallel weighs its
// gradients, so uneven shares give the one-process gradients too. With `sum` the identity, the result and the
// gradients equal batch_norm(training = true) bit for bit. Three calls of `sum` per layer and step: C + 2, C and
// 2 C values. x: (N, C) or (N, C, *); the global batch must have more than one value per channel.
Tensor sync_batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, double momentum, double eps, const ReplicaSum& sum);
// Normalises over the trailing dims given by normalized_shape; weight/bias have that shape or are undefined.
// Fused forward and backward.
Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// Zeroes elements with probability p and scales the rest by 1 / (1 - p) in training; identity otherwise.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* gen = nullptr);

}  // namespace strata
