// BasicBlock with and without its skip connection (shortcut = false: the plain block of the loss-landscape
// comparison).
#include <gtest/gtest.h>

#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

Tensor residual_branch(BasicBlock& b, const Tensor& x) {
  return b.bn2->forward(b.conv2->forward(b.relu->forward(b.bn1->forward(b.conv1->forward(x)))));
}

void expect_equal(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
}

TEST(BasicBlockShortcut, WithoutShortcutAddsNothing) {
  Generator g1(5), g2(5), gx(6);
  BasicBlock with(4, 4, 1, kFloat32, &g1, /*shortcut=*/true);
  BasicBlock without(4, 4, 1, kFloat32, &g2, /*shortcut=*/false);
  EXPECT_TRUE(with.shortcut);
  EXPECT_FALSE(without.shortcut);
  with.eval();
  without.eval();
  const Tensor x = randn({2, 4, 5, 5}, {}, &gx);
  NoGradGuard ng;
  // Same seed, same weights: the blocks differ by the identity only.
  expect_equal(residual_branch(with, x), residual_branch(without, x));
  expect_equal(with.forward(x), relu(add(residual_branch(with, x), x)));
  expect_equal(without.forward(x), relu(residual_branch(without, x)));
  EXPECT_NE(with.forward(x).to_vector<float>(), without.forward(x).to_vector<float>());
}

TEST(BasicBlockShortcut, NoDownsampleWithoutShortcut) {
  BasicBlock with(8, 16, 2);
  BasicBlock without(8, 16, 2, kFloat32, nullptr, false);
  ASSERT_NE(with.downsample, nullptr);
  EXPECT_EQ(without.downsample, nullptr);
  EXPECT_EQ(with.state_dict().size(), 18u);  // torchvision's keys, downsample.0/1 included
  EXPECT_EQ(without.state_dict().size(), 12u);
  EXPECT_FALSE(without.state_dict().contains("downsample.0.weight"));
  EXPECT_TRUE(without.state_dict().contains("conv1.weight"));
  Tensor y = without.forward(randn({2, 8, 6, 6}));
  EXPECT_EQ(y.shape(), Shape({2, 16, 3, 3}));
  EXPECT_NE(without.to_string().find("shortcut=False"), std::string::npos);
  EXPECT_EQ(with.to_string().find("shortcut"), std::string::npos);
}

}  // namespace
}  // namespace strata::nn
