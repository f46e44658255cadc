#pragma once
// Tensor creation: constants, ranges, data from C++ containers, and random tensors.
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "strata/core/generator.h"
#include "strata/core/tensor.h"

namespace strata {

Tensor empty(const Shape& shape, const TensorOptions& opts = {});
Tensor zeros(const Shape& shape, const TensorOptions& opts = {});
Tensor ones(const Shape& shape, const TensorOptions& opts = {});
Tensor full(const Shape& shape, double value, const TensorOptions& opts = {});
// [0, end) and [start, end) by step; the count is ceil((end - start) / step), as in PyTorch.
Tensor arange(double end, const TensorOptions& opts = {});
Tensor arange(double start, double end, double step = 1.0, const TensorOptions& opts = {});
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, const TensorOptions& opts = {});
// (n, m) identity; m < 0 means m = n.
Tensor eye(int64_t n, int64_t m = -1, const TensorOptions& opts = {});

// Copies values into a new tensor of the given shape (a 1-D tensor when shape is empty).
// The dtype follows T (float, double, int64_t, bool) unless opts say otherwise.
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape = {},
                   TensorOptions opts = TensorOptions(dtype_of<T>()));
Tensor tensor(std::initializer_list<double> values, const TensorOptions& opts = {});
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, const TensorOptions& opts = {});
// A 0-d tensor.
Tensor scalar_tensor(double value, const TensorOptions& opts = {});

// Uniform [0, 1).
Tensor rand(const Shape& shape, const TensorOptions& opts = {}, Generator* gen = nullptr);
// Standard normal.
Tensor randn(const Shape& shape, const TensorOptions& opts = {}, Generator* gen = nullptr);
// Integers uniform in [low, high); int64 unless opts say otherwise.
Tensor randint(int64_t low, int64_t high, const Shape& shape, const TensorOptions& opts = TensorOptions(kInt64),
               Generator* gen = nullptr);
// 1 with probability p[i], else 0; same shape and dtype as p.
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);
Tensor bernoulli(const Shape& shape, double p, const TensorOptions& opts = {}, Generator* gen = nullptr);
// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, Generator* gen = nullptr);

// In place: fill with U(low, high) or N(mean, std) (used by nn::init).
Tensor& uniform_(Tensor& t, double low = 0.0, double high = 1.0, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);

Tensor empty_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor zeros_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor ones_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor full_like(const Tensor& t, double value, std::optional<DType> dtype = std::nullopt);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);

}  // namespace strata
