#pragma once
// The standard mode-collapse benchmark (Metz et al., Unrolled GANs, ICLR 2017; Srivastava et al., VEEGAN,
// NeurIPS 2017): a 2-D mixture of 8 Gaussians with equal weights, means on a circle of radius 2 at angles
// 2 pi k / 8, each with standard deviation 0.02 in both coordinates.
//
//   auto ring = std::make_shared<data::RingOfGaussians>(/*n=*/2500, /*seed=*/0);
//   // input (2,) float32 point, target () int64 mode index k; ring->centers() is (8, 2)
//   diag::ModeCoverage cov = diag::mode_coverage(generated, ring->centers(), ring->noise_std());
//
// Example i draws its mode k uniformly from [0, modes), then x = center_k + std * N(0, I); all draws come
// from a Generator seeded with `seed` (modes first, then the noise), so the data depend only on the arguments.
#include <cstdint>

#include "strata/data/dataset.h"

namespace strata::data {

class RingOfGaussians : public TensorDataset {
 public:
  static constexpr int64_t kModes = 8;
  static constexpr double kRadius = 2.0;
  static constexpr double kStd = 0.02;

  RingOfGaussians(int64_t n, uint64_t seed, int64_t modes = kModes, double radius = kRadius, double noise_std = kStd);

  // (modes, 2) float32: center k = radius * (cos(2 pi k / modes), sin(2 pi k / modes)).
  static Tensor ring_centers(int64_t modes, double radius);
  const Tensor& centers() const { return centers_; }
  int64_t modes() const { return centers_.size(0); }
  double radius() const { return radius_; }
  double noise_std() const { return noise_std_; }

 private:
  Tensor centers_;
  double radius_;
  double noise_std_;
};

}  // namespace strata::data
