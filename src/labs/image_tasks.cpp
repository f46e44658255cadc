// Synthetic images for the convolution labs (image_tasks.h).
#include "labs/image_tasks.h"

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/conv.h"
#include "strata/nn/linear.h"
#include "strata/ops/creation.h"
#include "strata/ops/reduction.h"
#include "strata/optim/adam.h"

namespace strata::labs::images {

namespace {

// '#' is a lit pixel.
const char* const kArt[kPatterns][kPatternSize] = {
    {"..#..", "..#..", "..#..", "..#..", "..#.."},  // vertical bar
    {".....", ".....", "#####", ".....", "....."},  // horizontal bar
    {"..#..", "..#..", "#####", "..#..", "..#.."},  // cross
    {"#####", "#...#", "#...#", "#...#", "#####"},  // square
    {"#....", "#....", "#....", "#....", "#####"},  // L
    {"#####", "..#..", "..#..", "..#..", "..#.."},  // T
    {"#####", "....#", "....#", "....#", "....#"},  // corner (mirrored, upside-down L)
    {"#...#", "#...#", "#...#", "#...#", "#####"},  // U
    {"#####", "#....", "#....", "#....", "#####"},  // C
    {"#...#", "#...#", "#####", "#...#", "#...#"},  // H
    {"#####", "#...#", "#...#", "#...#", "#...#"},  // upside-down U
    {"..#..", "..#..", "..#..", "..#..", "#####"},  // upside-down T
};
const char* const kNames[kPatterns] = {
    "vertical bar",  "horizontal bar", "cross", "square", "L", "T", "corner", "U", "C", "H",
    "upside-down U", "upside-down T"};

const double kTransferNoise = 0.3;

}  // namespace

Tensor GlobalMaxPool::forward(const Tensor& x) { return amax(x, {2, 3}); }

std::vector<float> pattern(int64_t p) {
  STRATA_CHECK(p >= 0 && p < kPatterns, "[labs::images::pattern] pattern ", p, " out of 0..", kPatterns - 1);
  std::vector<float> out;
  for (int64_t r = 0; r < kPatternSize; ++r)
    for (int64_t c = 0; c < kPatternSize; ++c) out.push_back(kArt[p][r][c] == '#' ? 1.0f : 0.0f);
  return out;
}

std::string pattern_name(int64_t p) {
  STRATA_CHECK(p >= 0 && p < kPatterns, "[labs::images::pattern_name] pattern ", p, " out of 0..", kPatterns - 1);
  return kNames[p];
}

kit::XY shapes(const ShapeSetOptions& o, uint64_t seed) {
  int64_t last = o.size - kPatternSize;
  STRATA_CHECK(o.n > 0 && last >= 0 && !o.patterns.empty(), "[labs::images::shapes] need n > 0, size >= ", kPatternSize,
               " and patterns, got n=", o.n, " size=", o.size);
  auto range = [&](int64_t lo, int64_t hi) {
    lo = lo < 0 ? 0 : lo;
    hi = hi < 0 ? last : hi;
    STRATA_CHECK(lo <= hi && hi <= last, "[labs::images::shapes] position range [", lo, ", ", hi,
                 "] does not fit an image of size ", o.size);
    return std::pair<int64_t, int64_t>{lo, hi};
  };
  auto [c0, c1] = range(o.col_min, o.col_max);
  auto [r0, r1] = range(o.row_min, o.row_max);
  std::vector<std::vector<float>> art;
  for (int64_t p : o.patterns) art.push_back(pattern(p));
  Generator gen(seed);
  const int64_t classes = static_cast<int64_t>(o.patterns.size());
  std::vector<float> x(static_cast<size_t>(o.n * o.size * o.size));
  std::vector<int64_t> y;
  for (int64_t i = 0; i < o.n; ++i) {
    int64_t k = i % classes;
    int64_t row = r0 + static_cast<int64_t>(gen.random() % static_cast<uint32_t>(r1 - r0 + 1));
    int64_t col = c0 + static_cast<int64_t>(gen.random() % static_cast<uint32_t>(c1 - c0 + 1));
    float* img = x.data() + i * o.size * o.size;
    for (int64_t j = 0; j < o.size * o.size; ++j) img[j] = static_cast<float>(o.noise * gen.normal_double());
    const std::vector<float>& a = art[static_cast<size_t>(k)];
    for (int64_t r = 0; r < kPatternSize; ++r)
      for (int64_t c = 0; c < kPatternSize; ++c)
        img[(row + r) * o.size + col + c] += a[static_cast<size_t>(r * kPatternSize + c)];
    y.push_back(k);
  }
  return {from_vector(x, {o.n, 1, o.size, o.size}), from_vector(y, {o.n})};
}

std::vector<std::vector<double>> image_rows(const Tensor& x, int64_t i, int64_t c) {
  Tensor plane = x.select(0, i).select(0, c);
  std::vector<double> v = kit::values(plane.flatten());
  int64_t h = plane.size(0), w = plane.size(1);
  std::vector<std::vector<double>> rows(static_cast<size_t>(h));
  for (int64_t r = 0; r < h; ++r) rows[static_cast<size_t>(r)].assign(v.begin() + r * w, v.begin() + (r + 1) * w);
  return rows;
}

nn::ModulePtr small_cnn(int64_t classes, int64_t c1, int64_t c2) {
  auto features = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(1, c1, 3, 1, 1), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(c1, c2, 3, 1, 1), std::make_shared<nn::ReLU>(), std::make_shared<GlobalMaxPool>()});
  auto head = std::make_shared<nn::Linear>(c2, classes);
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{features, head});
}

TransferTask transfer_task(int64_t source_n, int64_t target_per_class, uint64_t seed) {
  ShapeSetOptions src{.n = source_n, .size = 16, .patterns = kSourcePatterns, .noise = kTransferNoise};
  ShapeSetOptions tgt{.n = 4 * target_per_class, .size = 16, .patterns = kTargetPatterns, .noise = kTransferNoise};
  TransferTask t;
  t.source = shapes(src, seed);
  t.target_train = shapes(tgt, seed + 100);
  tgt.n = 800;
  t.target_test = shapes(tgt, seed + 200);
  return t;
}

nn::ModulePtr pretrained_cnn(const kit::XY& source, int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = small_cnn(static_cast<int64_t>(kSourcePatterns.size()));
  optim::Adam opt(model->parameters(), {.lr = 0.01});
  train::FitOptions fo;
  fo.epochs = epochs;
  nn::CrossEntropyLoss loss;
  kit::fit(*model, loss, opt, source, 32, fo, nullptr, seed);
  return model;
}

Series train_on_target(nn::Module& model, optim::Optimizer& optimizer, const TransferTask& task, int64_t steps,
                       const std::string& name, uint64_t seed) {
  const int64_t chunk = 10;
  train::FitOptions fo;
  fo.epochs = chunk;
  nn::CrossEntropyLoss loss;
  Series curve{name, {0}, {kit::accuracy(model, task.target_test)}};
  for (int64_t done = chunk; done <= steps; done += chunk) {
    kit::fit(model, loss, optimizer, task.target_train, task.target_train.size(), fo, nullptr, seed);
    curve.x.push_back(static_cast<double>(done));
    curve.y.push_back(kit::accuracy(model, task.target_test));
  }
  return curve;
}

}  // namespace strata::labs::images
