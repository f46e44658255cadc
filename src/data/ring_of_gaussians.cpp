#include "strata/data/ring_of_gaussians.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/ops/creation.h"

namespace strata::data {

namespace {

Tensor make_inputs(int64_t n, uint64_t seed, const Tensor& centers, double std_dev, Tensor* targets) {
  STRATA_CHECK(n >= 1, "[RingOfGaussians] n must be >= 1, got ", n);
  STRATA_CHECK(std::isfinite(std_dev) && std_dev >= 0, "[RingOfGaussians] std must be finite and >= 0, got ", std_dev);
  Generator gen(seed);
  *targets = randint(0, centers.size(0), {n}, TensorOptions(kInt64), &gen);
  const Tensor noise = randn({n, 2}, TensorOptions(kFloat32), &gen);
  const std::vector<int64_t> k = targets->to_vector<int64_t>();
  const std::vector<float> c = centers.to_vector<float>();
  std::vector<float> z = noise.to_vector<float>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < 2; ++d) {
      float& v = z[static_cast<size_t>(2 * i + d)];
      v = c[static_cast<size_t>(2 * k[static_cast<size_t>(i)] + d)] + static_cast<float>(std_dev) * v;
    }
  }
  return from_vector(z, {n, 2});
}

}  // namespace

Tensor RingOfGaussians::ring_centers(int64_t modes, double radius) {
  STRATA_CHECK(modes >= 1, "[ring_centers] the number of modes must be >= 1, got ", modes);
  STRATA_CHECK(std::isfinite(radius) && radius > 0, "[ring_centers] radius must be finite and > 0, got ", radius);
  std::vector<float> c(static_cast<size_t>(2 * modes));
  for (int64_t k = 0; k < modes; ++k) {
    const double a = 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(modes);
    c[static_cast<size_t>(2 * k)] = static_cast<float>(radius * std::cos(a));
    c[static_cast<size_t>(2 * k + 1)] = static_cast<float>(radius * std::sin(a));
  }
  return from_vector(c, {modes, 2});
}

RingOfGaussians::RingOfGaussians(int64_t n, uint64_t seed, int64_t modes, double radius, double noise_std)
    : TensorDataset(Tensor::empty({0}), Tensor()),
      centers_(ring_centers(modes, radius)),
      radius_(radius),
      noise_std_(noise_std) {
  inputs_ = make_inputs(n, seed, centers_, noise_std, &targets_);
}

}  // namespace strata::data
