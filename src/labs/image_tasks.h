#pragma once
// Small synthetic images for the convolution labs: 5x5 stroke patterns (bars, a cross, a square, L, T, ...)
// stamped at random positions into a noisy single-channel image, seeded; and the small CNN the transfer labs
// share.
#include <cstdint>
#include <string>
#include <vector>

#include "labs/kit.h"
#include "strata/nn/module.h"

namespace strata::labs::images {

inline constexpr int64_t kPatternSize = 5;
inline constexpr int64_t kPatterns = 8;

// Pattern p (0..kPatterns-1) as kPatternSize x kPatternSize 0/1 values, row-major.
std::vector<float> pattern(int64_t p);
std::string pattern_name(int64_t p);

struct ShapeSetOptions {
  int64_t n = 512;                               // images
  int64_t size = 16;                             // height = width
  std::vector<int64_t> patterns = {0, 1, 2, 3};  // class k is patterns[k]
  // Where the pattern's top-left corner may go (inclusive); -1: anywhere it fits.
  int64_t col_min = -1, col_max = -1, row_min = -1, row_max = -1;
  double noise = 0.15;  // std of Gaussian pixel noise
};

// x (n, 1, size, size) float32, y (n) int64; classes cycle 0, 1, 2, ... so every class has n / classes images.
kit::XY shapes(const ShapeSetOptions& options, uint64_t seed);

// Image i of x (N, C, H, W), channel c, as rows for LabRun::heatmap.
std::vector<std::vector<double>> image_rows(const Tensor& x, int64_t i = 0, int64_t c = 0);

// (N, C, H, W) -> (N, C): the largest value of each channel, wherever it is (a translation-invariant summary).
class GlobalMaxPool : public nn::Module {
 public:
  std::string type_name() const override { return "GlobalMaxPool"; }
  Tensor forward(const Tensor& x) override;
};

// The transfer labs' CNN, a Sequential of two children: "0" (features) = conv 3x3 (1 -> c1, padding 1), ReLU, max-pool
// 2, conv 3x3 (c1 -> c2, padding 1), ReLU, global max pool; "1" (head) = Linear(c2, classes).
nn::ModulePtr small_cnn(int64_t classes, int64_t c1 = 8, int64_t c2 = 16);

}  // namespace strata::labs::images
