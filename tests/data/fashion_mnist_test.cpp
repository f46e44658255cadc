// Fashion-MNIST: missing files, a given root, the environment variable, and the real test set when installed.
#include "strata/data/fashion_mnist.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "data/test_files.h"
#include "strata/data/dataloader.h"
#include "strata/data/transforms.h"

namespace strata::data {
namespace {

using strata::testing::throws_error;

TEST(FashionMNIST, MissingFilesSayWhatToDo) {
  strata::testing::TempDir dir;
  EXPECT_TRUE(throws_error([&] { FashionMNIST(dir.file("")); },
                           {"[FashionMNIST]", "train-images-idx3-ubyte.gz' not found", "dataset-fashion-mnist"}));
  EXPECT_TRUE(throws_error([&] { FashionMNIST(dir.file("x"), false); },
                           {"t10k-images-idx3-ubyte.gz' not found", "dataset-fashion-mnist"}));
}

TEST(FashionMNIST, EnvironmentVariableOverridesTheDefaultRoot) {
  const char* old = std::getenv("STRATA_FASHION_MNIST");
  const std::string saved = old ? old : "";
  ::setenv("STRATA_FASHION_MNIST", "/some/where", 1);
  EXPECT_EQ(FashionMNIST::default_root(), "/some/where");
  EXPECT_TRUE(throws_error([] { FashionMNIST("", false); }, {"/some/where/t10k-images-idx3-ubyte.gz' not found"}));
  ::unsetenv("STRATA_FASHION_MNIST");
  EXPECT_EQ(FashionMNIST::default_root(), FashionMNIST::kDefaultRoot);
  if (old) ::setenv("STRATA_FASHION_MNIST", saved.c_str(), 1);
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
