#pragma once
// Small synthetic images for the convolution labs: 5x5 stroke patterns (bars, a cross, a square, L, T, ...)
// stamped at random positions into a noisy single-channel image, seeded; and the small CNN the transfer labs
// share.
#include <cstdint>
#include <string>
#include <vector>

#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/module.h"

namespace strata::labs::images {

inline constexpr int64_t kPatternSize = 5;
inline constexpr int64_t kPatterns = 12;

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

// The CNN of lab 169 (c1 8, c2 16) and labs 181-183, a Sequential of two children: "0" (features) = conv 3x3
// (1 -> c1, padding 1), ReLU, max-pool 2, conv 3x3 (c1 -> c2, padding 1), ReLU, global max pool;
// "1" (head) = Linear(c2, classes).
nn::ModulePtr small_cnn(int64_t classes, int64_t c1 = 16, int64_t c2 = 32);

// The transfer labs' two tasks on 16x16 images: the source (patterns 0-7: bars, cross, square, L, T, corner, U;
// plenty of images) and the related target (patterns 8-11: C, H, upside-down U and T, made of the same strokes;
// few labelled images), with a target test set of 800 images; pixel noise 0.3 throughout.
inline const std::vector<int64_t> kSourcePatterns = {0, 1, 2, 3, 4, 5, 6, 7};
inline const std::vector<int64_t> kTargetPatterns = {8, 9, 10, 11};
struct TransferTask {
  kit::XY source;
  kit::XY target_train;
  kit::XY target_test;
};
TransferTask transfer_task(int64_t source_n, int64_t target_per_class, uint64_t seed);

// small_cnn(8) trained on `source` with Adam (lr 0.01, batch 32) for `epochs`; weights seeded by `seed`.
nn::ModulePtr pretrained_cnn(const kit::XY& source, int64_t epochs, uint64_t seed);

// Trains `model` with `optimizer` on task.target_train (the whole set as one batch: one step per epoch) for
// `steps` steps, and returns the target-test accuracy every 10 steps, step 0 first (the last point is the final
// accuracy).
Series train_on_target(nn::Module& model, optim::Optimizer& optimizer, const TransferTask& task, int64_t steps,
                       const std::string& name, uint64_t seed);

}  // namespace strata::labs::images
