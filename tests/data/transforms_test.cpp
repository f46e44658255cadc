// Transforms: normalize, one-hot targets, TransformDataset.
#include "strata/data/transforms.h"

#include <gtest/gtest.h>

#include "data/test_files.h"
#include "strata/data/dataloader.h"
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

}  // namespace
}  // namespace strata::data
