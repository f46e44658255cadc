// Transforms (normalize, one-hot, TransformDataset) and Fashion-MNIST (the real files when installed).
#include "strata/data/transforms.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "data/test_files.h"
#include "strata/autograd/grad_mode.h"
#include "strata/data/dataloader.h"
#include "strata/data/fashion_mnist.h"
#include "strata/ops/creation.h"

namespace strata::data {
namespace {

using strata::testing::throws_error;

TEST(Normalize, PerChannelAndScalar) {
  // (N=2, C=2, 2), mean {1, 10}, std {2, 5}.
  Tensor x = from_vector(std::vector<float>{1, 3, 10, 20, 5, 7, 0, 35}, {2, 2, 2});
  Tensor y = normalize(x, {1, 10}, {2, 5});
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 1, 0, 2, 2, 3, -2, 5}));
  Tensor z = normalize(x, {1}, {2});
  EXPECT_EQ(z.to_vector<float>(), (std::vector<float>{0, 1, 4.5f, 9.5f, 2, 3, -0.5f, 17}));
  // Channels last (dim -1), on a transposed (strided) input.
  Tensor xt = x.transpose(1, 2);  // (2, 2, 2) with channels at dim 2
  EXPECT_EQ(normalize(xt, {1, 10}, {2, 5}, -1).to_vector<float>(), (std::vector<float>{0, 0, 1, 2, 2, -2, 3, 5}));
  // float32 arithmetic, as torchvision: (x - float(m)) / float(s).
  Tensor p = from_vector(std::vector<float>{0.5f}, {1, 1});
  EXPECT_EQ(normalize(p, {0.2860}, {0.3530}).item<float>(), (0.5f - 0.2860f) / 0.3530f);
}

TEST(Normalize, Errors) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_TRUE(throws_error([&] { normalize(x, {1, 2}, {1, 1}); }, {"[normalize]", "2 mean/std values for 3 channels"}));
  EXPECT_TRUE(throws_error([&] { normalize(x, {1, 2}, {1}); }, {"[normalize]", "same length"}));
  EXPECT_TRUE(throws_error([&] { normalize(x, {1}, {0}); }, {"std must not contain 0"}));
  EXPECT_TRUE(throws_error([&] { normalize(zeros({3}, TensorOptions(kInt64)), {1}, {1}); }, {"floating-point"}));
  EXPECT_TRUE(throws_error([&] { normalize(x, {1, 2, 3}, {1, 1, 1}, 5); }, {"channel_dim 5"}));
}

TEST(OneHotTargets, FloatOneHot) {
  Tensor y = from_vector(std::vector<int64_t>{2, 0, 1}, {3});
  Tensor oh = one_hot_targets(y, 4);
  EXPECT_EQ(oh.dtype(), kFloat32);
  EXPECT_EQ(oh.shape(), Shape({3, 4}));
  EXPECT_EQ(oh.to_vector<float>(), (std::vector<float>{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(one_hot_targets(y, 3, kFloat64).dtype(), kFloat64);
  EXPECT_THROW(one_hot_targets(y, 2), Error);
  EXPECT_THROW(one_hot_targets(y, 0), Error);
}

TEST(TransformDataset, AppliesToBatchesAndExamples) {
  Tensor x = from_vector(std::vector<float>{2, 4, 6, 8, 10, 12}, {3, 2});  // (N=3, C=2)
  auto base = std::make_shared<TensorDataset>(x, from_vector(std::vector<int64_t>{1, 0, 2}, {3}));
  auto ds = std::make_shared<TransformDataset>(base, Compose({Normalize({2, 4}, {2, 4}), OneHot(3)}));
  EXPECT_EQ(ds->size(), 3);
  Batch b = ds->get_batch(from_vector(std::vector<int64_t>{2, 0}, {2}));
  EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{4, 2, 0, 0}));
  EXPECT_EQ(b.target.to_vector<float>(), (std::vector<float>{0, 0, 1, 0, 1, 0}));
  Example e = ds->get(1);
  EXPECT_EQ(e.input.to_vector<float>(), (std::vector<float>{2, 1}));
  EXPECT_EQ(e.target.to_vector<float>(), (std::vector<float>{1, 0, 0}));
  EXPECT_THROW(ds->get(3), Error);
  // Through a DataLoader (the transform runs on the worker thread).
  DataLoader loader(ds, 2, false, 0);
  int64_t n = 0;
  for (const Batch& batch : loader) {
    EXPECT_EQ(batch.target.dim(), 2);
    n += batch.input.size(0);
  }
  EXPECT_EQ(n, 3);
  // A transform that throws: rethrown by the loader.
  auto failing = std::make_shared<TransformDataset>(base, [](Batch) -> Batch { STRATA_FAIL("[my_transform] boom"); });
  DataLoader bad(failing, 2);
  EXPECT_TRUE(throws_error(
      [&] {
        for (const Batch& batch : bad) (void)batch;
      },
      {"[my_transform] boom"}));
}

TEST(FashionMNIST, MissingFilesSayWhatToDo) {
  strata::testing::TempDir dir;
  EXPECT_TRUE(throws_error([&] { FashionMNIST(dir.file("")); }, {"[FashionMNIST]", "t10k", "not found"}) ||
              throws_error([&] { FashionMNIST(dir.file("")); }, {"[FashionMNIST]", "train-images", "not found"}));
  EXPECT_TRUE(throws_error([&] { FashionMNIST(dir.file("x"), false); },
                           {"t10k-images-idx3-ubyte.gz' not found", "dataset-fashion-mnist"}));
}

TEST(FashionMNIST, ReadsFilesFromAGivenRoot) {
  // A tiny stand-in with the package's file names (one uncompressed, one gzip), 2 images.
  strata::testing::TempDir dir;
  std::vector<uint8_t> pixels(2 * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i % 256);
  strata::testing::write_bytes(dir.file("t10k-images-idx3-ubyte"), strata::testing::idx_bytes({2, 28, 28}, pixels));
  strata::testing::write_bytes(dir.file("t10k-labels-idx1-ubyte.gz"),
                               strata::testing::gzip_bytes(strata::testing::idx_bytes({2}, {9, 3})));
  FashionMNIST raw(dir.file(""), /*train=*/false, /*normalize=*/false);
  EXPECT_EQ(raw.size(), 2);
  EXPECT_EQ(raw.inputs().shape(), Shape({2, 1, 28, 28}));
  EXPECT_EQ(raw.targets().to_vector<int64_t>(), (std::vector<int64_t>{9, 3}));
  EXPECT_EQ(raw.inputs().at({0, 0, 0, 0}), 0.0);
  EXPECT_FLOAT_EQ(static_cast<float>(raw.inputs().at({0, 0, 9, 3})), static_cast<float>(255 % 256) / 255.0f);
  FashionMNIST norm(dir.file(""), false);
  EXPECT_EQ(norm.inputs().at({0, 0, 0, 1}), static_cast<double>((1.0f / 255.0f - 0.2860f) / 0.3530f));
  // Images and labels that disagree in count.
  strata::testing::write_bytes(dir.file("t10k-labels-idx1-ubyte.gz"),
                               strata::testing::gzip_bytes(strata::testing::idx_bytes({3}, {9, 3, 1})));
  EXPECT_TRUE(throws_error([&] { FashionMNIST(dir.file(""), false); }, {"2 images", "3 labels"}));
}

// The real test set from Debian's dataset-fashion-mnist package. Expected values computed with /usr/bin/python3
// (gzip + numpy + torch) from the same files: labels[0] = 9 (ankle boot), the first image's raw bytes sum to
// 33456, its x / 255 (float32) sum to 131.20000365097076, after (x - 0.2860) / 0.3530 to -263.5241069123149;
// the last label is 5 and every class has 1000 images.
TEST(FashionMNIST, RealTestSet) {
  const std::string root = FashionMNIST::default_root();
  if (!std::filesystem::exists(FashionMNIST::file_path(root, false, true)) ||
      !std::filesystem::exists(FashionMNIST::file_path(root, false, false))) {
    GTEST_SKIP() << "Fashion-MNIST not installed in " << root << " (apt-get install dataset-fashion-mnist)";
  }
  FashionMNIST raw(root, /*train=*/false, /*normalize=*/false);
  EXPECT_EQ(raw.size(), 10000);
  EXPECT_EQ(raw.inputs().shape(), Shape({10000, 1, 28, 28}));
  EXPECT_EQ(raw.targets().shape(), Shape({10000}));
  EXPECT_EQ(raw.targets().dtype(), kInt64);
  Example first = raw.get(0);
  EXPECT_EQ(first.target.item<int64_t>(), 9);
  EXPECT_EQ(std::string(FashionMNIST::kClasses[9]), "Ankle boot");
  double sum = 0;
  for (float v : first.input.to_vector<float>()) sum += v;
  EXPECT_NEAR(sum, 131.20000365097076, 1e-9);
  double raw_sum = 0;
  for (float v : first.input.to_vector<float>()) raw_sum += std::round(v * 255.0);
  EXPECT_EQ(raw_sum, 33456.0);
  EXPECT_EQ(raw.get(9999).target.item<int64_t>(), 5);
  std::vector<int64_t> counts(10, 0);
  for (int64_t y : raw.targets().to_vector<int64_t>()) ++counts[static_cast<size_t>(y)];
  EXPECT_EQ(counts, std::vector<int64_t>(10, 1000));

  FashionMNIST norm(root, false);
  // The one-pass table gives exactly what normalize() computes on the scaled images.
  const Tensor expect = normalize(raw.inputs(), {FashionMNIST::kMean}, {FashionMNIST::kStd});
  EXPECT_EQ(norm.inputs().to_vector<float>(), expect.to_vector<float>());
  double nsum = 0;
  for (float v : norm.get(0).input.to_vector<float>()) nsum += v;
  EXPECT_NEAR(nsum, -263.5241069123149, 1e-4);
  // A loader over it gives (B, 1, 28, 28) float32 and (B) int64 batches.
  DataLoader loader(std::make_shared<FashionMNIST>(root, false), 256, true, 0, true);
  EXPECT_EQ(loader.size(), 39);
  auto it = loader.begin();
  EXPECT_EQ(it->input.shape(), Shape({256, 1, 28, 28}));
  EXPECT_EQ(it->target.shape(), Shape({256}));
}

}  // namespace
}  // namespace strata::data
