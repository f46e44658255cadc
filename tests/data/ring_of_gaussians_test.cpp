// data::RingOfGaussians: the 8-Gaussian ring of the mode-collapse benchmarks (radius 2, std 0.02).
#include "strata/data/ring_of_gaussians.h"

#include <gtest/gtest.h>

#include <cmath>

#include "data/test_files.h"
#include "strata/ops/creation.h"

namespace strata::data {
namespace {

using strata::testing::throws_error;

TEST(RingOfGaussians, CentersAreOnTheRing) {
  const Tensor c = RingOfGaussians::ring_centers(8, 2.0);
  ASSERT_EQ(c.shape(), Shape({8, 2}));
  ASSERT_EQ(c.dtype(), kFloat32);
  const double s = std::sqrt(2.0);
  const double want[8][2] = {{2, 0}, {s, s}, {0, 2}, {-s, s}, {-2, 0}, {-s, -s}, {0, -2}, {s, -s}};
  for (int64_t k = 0; k < 8; ++k) {
    EXPECT_NEAR(c.at({k, 0}), want[k][0], 1e-6) << k;
    EXPECT_NEAR(c.at({k, 1}), want[k][1], 1e-6) << k;
  }
}

TEST(RingOfGaussians, ExamplesAreNoisyCopiesOfTheirModesCenter) {
  const RingOfGaussians ring(2000, 7);
  ASSERT_EQ(ring.size(), 2000);
  ASSERT_EQ(ring.modes(), 8);
  EXPECT_EQ(ring.radius(), 2.0);
  EXPECT_EQ(ring.noise_std(), 0.02);
  const Example e = ring.get(5);
  EXPECT_EQ(e.input.shape(), Shape({2}));
  EXPECT_EQ(e.input.dtype(), kFloat32);
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.dtype(), kInt64);

  const std::vector<float> x = ring.inputs().to_vector<float>();
  const std::vector<int64_t> y = ring.targets().to_vector<int64_t>();
  const std::vector<float> c = ring.centers().to_vector<float>();
  std::vector<int64_t> per_mode(8, 0);
  double sum_sq = 0, sum = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    ASSERT_GE(y[i], 0);
    ASSERT_LT(y[i], 8);
    ++per_mode[static_cast<size_t>(y[i])];
    for (size_t d = 0; d < 2; ++d) {
      const double z = x[2 * i + d] - c[2 * static_cast<size_t>(y[i]) + d];
      EXPECT_LT(std::abs(z), 6 * 0.02) << i;  // 6 std: one in ~5e8 draws
      sum += z;
      sum_sq += z * z;
    }
  }
  // Modes are drawn uniformly (each expects 250 of 2000) and the noise has std 0.02 (4000 draws: within ~5%).
  for (int64_t cnt : per_mode) EXPECT_NEAR(cnt, 250, 60);
  const double m = sum / 4000, sd = std::sqrt(sum_sq / 4000 - m * m);
  EXPECT_NEAR(m, 0.0, 0.002);
  EXPECT_NEAR(sd, 0.02, 0.001);
}

TEST(RingOfGaussians, TheSeedDecidesTheData) {
  const RingOfGaussians a(100, 3), b(100, 3), c(100, 4);
  EXPECT_EQ(a.inputs().to_vector<float>(), b.inputs().to_vector<float>());
  EXPECT_EQ(a.targets().to_vector<int64_t>(), b.targets().to_vector<int64_t>());
  EXPECT_NE(a.inputs().to_vector<float>(), c.inputs().to_vector<float>());
  // Other rings: 4 modes of radius 1 with std 0.1.
  const RingOfGaussians d(50, 1, 4, 1.0, 0.1);
  EXPECT_EQ(d.centers().shape(), Shape({4, 2}));
  EXPECT_NEAR(d.centers().at({1, 1}), 1.0, 1e-6);
  for (int64_t t : d.targets().to_vector<int64_t>()) EXPECT_LT(t, 4);
}

TEST(RingOfGaussians, Errors) {
  EXPECT_TRUE(throws_error([] { RingOfGaussians(0, 1); }, {"RingOfGaussians", "n must be >= 1"}));
  EXPECT_TRUE(throws_error([] { RingOfGaussians(10, 1, 0); }, {"modes", "got 0"}));
  EXPECT_TRUE(throws_error([] { RingOfGaussians(10, 1, 8, -1.0); }, {"radius"}));
  EXPECT_TRUE(throws_error([] { RingOfGaussians(10, 1, 8, 2.0, -0.5); }, {"std"}));
}

}  // namespace
}  // namespace strata::data
