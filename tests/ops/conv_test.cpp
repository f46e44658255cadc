// Hand-computed values for conv2d, max_pool2d, avg_pool2d and adaptive_avg_pool2d: stride, padding, dilation,
// groups, ceil mode, count_include_pad, transposed and sliced (non-contiguous) inputs, unbatched inputs,
// gradients, and every error case.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "strata/strata.h"

using namespace strata;
using ::testing::HasSubstr;

namespace {

void expect_values(const Tensor& t, const Shape& shape, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.shape(), shape);
  auto got = t.contiguous().to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// x[0, 0, i, j] = 4 i + j on a 4x4 image.
Tensor arange_image(int64_t h, int64_t w) { return arange(static_cast<double>(h * w)).reshape({1, 1, h, w}); }

// y[i, j] = sum_pq w[p, q] x[i + p, j + q] with x = 4i + j, w = [[1, 2], [3, 4]]: 40 i + 10 j + 34 (+ bias).
std::vector<double> basic_expected(double bias) {
  std::vector<double> v;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) v.push_back(40 * i + 10 * j + 34 + bias);
  return v;
}

TEST(Conv2d, BasicWithAndWithoutBias) {
  Tensor x = arange_image(4, 4), w = tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  expect_values(conv2d(x, w), {1, 1, 3, 3}, basic_expected(0));
  expect_values(conv2d(x, w, tensor({0.5})), {1, 1, 3, 3}, basic_expected(0.5));
}

TEST(Conv2d, StrideAndPadding) {
  // 3x3 ones, stride 2, padding 1 on the 4x4 arange image: window sums of the clipped windows.
  Tensor y = conv2d(arange_image(4, 4), ones({1, 1, 3, 3}), Tensor(), {2, 2}, {1, 1});
  expect_values(
      y, {1, 1, 2, 2},
      {0 + 1 + 4 + 5, 1 + 2 + 3 + 5 + 6 + 7, 4 + 5 + 8 + 9 + 12 + 13, 5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15});
}

TEST(Conv2d, AsymmetricStridePadding) {
  // 1x2 kernel [1, -1], stride (1, 2), padding (0, 1) on a 2x4 image x = 4i + j:
  // y[i, ow] = x[i, 2ow - 1] - x[i, 2ow] with x = 0 outside.
  Tensor y = conv2d(arange_image(2, 4), tensor({1, -1}).reshape({1, 1, 1, 2}), Tensor(), {1, 2}, {0, 1});
  expect_values(y, {1, 1, 2, 3}, {0 - 0, 1 - 2, 3 - 0, 0 - 4, 5 - 6, 7 - 0});
}

TEST(Conv2d, Dilation) {
  // w = [[1, 0], [0, 1]] dilated by 2 on x = 5i + j (5x5): y = x[i, j] + x[i+2, j+2] = 10 i + 2 j + 12.
  Tensor y = conv2d(arange_image(5, 5), tensor({1, 0, 0, 1}).reshape({1, 1, 2, 2}), Tensor(), {1, 1}, {0, 0}, {2, 2});
  std::vector<double> want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) want.push_back(10 * i + 2 * j + 12);
  expect_values(y, {1, 1, 3, 3}, want);
}

TEST(Conv2d, ChannelsSumAndGroups) {
  Tensor x = tensor({1, 2, 3, 4, 5, 6, 7, 8}).reshape({1, 2, 2, 2});
  // One output channel over both inputs: ch0 + 10 ch1.
  expect_values(conv2d(x, tensor({1, 10}).reshape({1, 2, 1, 1})), {1, 1, 2, 2}, {51, 62, 73, 84});
  // groups 2: each output sees its own input channel.
  expect_values(conv2d(x, tensor({2, -1}).reshape({2, 1, 1, 1}), tensor({0.5, 0}), {1, 1}, {0, 0}, {1, 1}, 2),
                {1, 2, 2, 2}, {2.5, 4.5, 6.5, 8.5, -5, -6, -7, -8});
  // groups 2 with 2x2 kernels: sum of ch0 = 10, top-left of ch1 = 5.
  expect_values(conv2d(x, tensor({1, 1, 1, 1, 1, 0, 0, 0}).reshape({2, 1, 2, 2}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 2),
                {1, 2, 1, 1}, {10, 5});
}

TEST(Conv2d, TransposedAndSlicedInputs) {
  Tensor w = tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  // Transposed: x[i, j] = 4 j + i, so y = 40 j + 10 i + 31.
  Tensor xt = arange_image(4, 4).transpose(2, 3);
  ASSERT_FALSE(xt.is_contiguous());
  std::vector<double> want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) want.push_back(40 * j + 10 * i + 31);
  expect_values(conv2d(xt, w), {1, 1, 3, 3}, want);
  // Sliced: every other column of a 4x8 arange, x[i, j] = 8 i + 2 j: y = 80 i + 20 j + 68.
  Tensor xs = arange_image(4, 8).slice(3, 0, 8, 2);
  want.clear();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) want.push_back(80 * i + 20 * j + 68);
  expect_values(conv2d(xs, w), {1, 1, 3, 3}, want);
  // A transposed weight (stored as (kw, kh)) works too: w^T = [[1, 3], [2, 4]] on x = 4i + j gives 40i + 10j + 34
  // with the roles of 2 and 3 swapped: 1*0 + 3*1 + 2*4 + 4*5 = 31 at (0, 0), +40 per row, +10 per column.
  Tensor wt = tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2}).transpose(2, 3);
  want.clear();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) want.push_back(40 * i + 10 * j + 31);
  expect_values(conv2d(arange_image(4, 4), wt), {1, 1, 3, 3}, want);
}

TEST(Conv2d, UnbatchedInputAndFloat64) {
  Tensor x = arange(16.0, TensorOptions(kFloat64)).reshape({1, 4, 4});
  Tensor y = conv2d(x, tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2}));
  EXPECT_EQ(y.dtype(), kFloat64);  // promoted with the float32 weight
  expect_values(y, {1, 3, 3}, basic_expected(0));
}

TEST(Conv2d, Gradients) {
  Tensor x = arange_image(4, 4).requires_grad_(), w = tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2}).requires_grad_();
  Tensor b = tensor({0.5}).requires_grad_();
  conv2d(x, w, b).sum().backward();
  // dx[a, b] = sum of the kernel entries that touch (a, b); dw[p, q] = sum of the 3x3 block at (p, q); db = 9.
  expect_values(x.grad(), {1, 1, 4, 4}, {1, 3, 3, 2, 4, 10, 10, 6, 4, 10, 10, 6, 3, 7, 7, 4});
  expect_values(w.grad(), {1, 1, 2, 2}, {45, 54, 81, 90});
  expect_values(b.grad(), {1}, {9});
}

TEST(Conv2d, GradientsOfNonContiguousInputKeepItsShape) {
  Tensor base = arange_image(4, 4).requires_grad_();
  Tensor y = conv2d(base.transpose(2, 3), tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2}), Tensor(), {1, 1}, {1, 1});
  y.sum().backward();
  // With padding 1 every input element is touched by all four kernel entries: 1 + 2 + 3 + 4.
  expect_values(base.grad(), {1, 1, 4, 4}, std::vector<double>(16, 10));
}

TEST(Conv2d, Errors) {
  Tensor x = randn({1, 3, 28, 28});
  EXPECT_EQ(error_of([&] {
              conv2d(x, randn({6, 1, 5, 5}));
            }),
            "[conv2d] input has 3 channels but weight expects 1 (weight shape (6, 1, 5, 5))");
  EXPECT_THAT(error_of([&] {
                conv2d(x, randn({6, 1, 5, 5}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 2);
              }),
              HasSubstr("[conv2d] groups (2) must divide the input channels of input shape (1, 3, 28, 28)"));
  EXPECT_THAT(error_of([&] {
                conv2d(randn({1, 4, 8, 8}), randn({5, 2, 3, 3}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 2);
              }),
              HasSubstr("[conv2d] groups (2) must divide the output channels of weight shape (5, 2, 3, 3)"));
  EXPECT_THAT(error_of([&] {
                conv2d(randn({1, 4, 8, 8}), randn({4, 1, 3, 3}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 2);
              }),
              HasSubstr("input has 4 channels but weight expects 2 (weight shape (4, 1, 3, 3), groups 2)"));
  EXPECT_THAT(error_of([&] {
                conv2d(randn({1, 1, 3, 3}), randn({1, 1, 5, 5}));
              }),
              HasSubstr("[conv2d] kernel size (5, 5) (dilated) is larger than the padded input (3, 3)"));
  EXPECT_THAT(error_of([&] {
                conv2d(randn({1, 1, 4, 4}), randn({1, 1, 3, 3}), Tensor(), {1, 1}, {0, 0}, {2, 2});
              }),
              HasSubstr("kernel size (5, 5) (dilated) is larger than the padded input (4, 4)"));
  EXPECT_THAT(error_of([&] {
                conv2d(x, randn({6, 3, 5, 5}), randn({5}));
              }),
              HasSubstr("[conv2d] bias of shape (5,) does not match weight shape (6, 3, 5, 5)"));
  EXPECT_THAT(error_of([&] {
                conv2d(randn({3, 28}), randn({6, 3, 5, 5}));
              }),
              HasSubstr("[conv2d] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape (3, 28)"));
  EXPECT_THAT(error_of([&] { conv2d(x, randn({6, 3, 5})); }), HasSubstr("[conv2d] expected a 4-D weight"));
  EXPECT_THAT(error_of([&] {
                conv2d(x, randn({6, 3, 5, 5}), Tensor(), {0, 1});
              }),
              HasSubstr("[conv2d] stride must be positive, got (0, 1)"));
  EXPECT_THAT(error_of([&] {
                conv2d(x, randn({6, 3, 5, 5}), Tensor(), {1, 1}, {-1, 0});
              }),
              HasSubstr("[conv2d] padding must be non-negative"));
  EXPECT_THAT(error_of([&] {
                conv2d(x, randn({6, 3, 5, 5}), Tensor(), {1, 1}, {0, 0}, {1, 0});
              }),
              HasSubstr("[conv2d] dilation must be positive"));
  EXPECT_THAT(error_of([&] {
                conv2d(x, randn({6, 3, 5, 5}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 0);
              }),
              HasSubstr("[conv2d] groups must be positive"));
}

// ---- pooling ------------------------------------------------------------------------------------------------

Tensor grid(std::initializer_list<double> v, int64_t h, int64_t w) { return tensor(v).reshape({1, 1, h, w}); }

TEST(MaxPool2d, ValuesIndicesAndGradient) {
  Tensor x = grid({1, 5, 2, 0, 3, 4, 8, 7, 9, 6, 1, 2, 0, 3, 4, 5}, 4, 4).requires_grad_();
  auto [y, idx] = max_pool2d_with_indices(x, {2, 2});
  expect_values(y, {1, 1, 2, 2}, {5, 8, 9, 5});
  EXPECT_EQ(idx.dtype(), kInt64);
  EXPECT_EQ(idx.to_vector<int64_t>(), (std::vector<int64_t>{1, 6, 8, 15}));
  (y * tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2})).sum().backward();
  expect_values(x.grad(), {1, 1, 4, 4}, {0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4});
}

TEST(MaxPool2d, PaddingActsAsMinusInfinity) {
  // All values negative: zero padding would win; -inf padding does not.
  Tensor x = grid({-1, -2, -3, -4, -5, -6, -7, -8, -9}, 3, 3);
  auto [y, idx] = max_pool2d_with_indices(x, {3, 3}, {2, 2}, {1, 1});
  expect_values(y, {1, 1, 2, 2}, {-1, -2, -4, -5});
  EXPECT_EQ(idx.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 3, 4}));
}

TEST(MaxPool2d, CeilModeDilationTiesAndUnbatched) {
  Tensor x = grid({1, 3, 2, 0, 7}, 1, 5);
  expect_values(max_pool2d(x, {1, 2}), {1, 1, 1, 2}, {3, 2});
  expect_values(max_pool2d(x, {1, 2}, {0, 0}, {0, 0}, {1, 1}, true), {1, 1, 1, 3}, {3, 2, 7});
  // Dilation 2: windows (0, 2), (1, 3), (2, 4).
  expect_values(max_pool2d(grid({1, 9, 2, 8, 3}, 1, 5), {1, 2}, {1, 1}, {0, 0}, {1, 2}), {1, 1, 1, 3}, {2, 9, 3});
  // Ties: the first maximum gets the gradient (as PyTorch).
  Tensor t = grid({4, 4, 4, 4}, 2, 2).requires_grad_();
  max_pool2d(t, {2, 2}).sum().backward();
  expect_values(t.grad(), {1, 1, 2, 2}, {1, 0, 0, 0});
  // Unbatched (C, H, W) and a transposed input.
  Tensor u = tensor({1, 5, 2, 0, 3, 4, 8, 7}).reshape({1, 2, 4});
  expect_values(max_pool2d(u, {2, 2}), {1, 1, 2}, {5, 8});
  expect_values(max_pool2d(u.transpose(1, 2).contiguous().transpose(1, 2), {2, 2}), {1, 1, 2}, {5, 8});
}

TEST(AvgPool2d, ValuesPaddingAndCeilMode) {
  expect_values(avg_pool2d(arange_image(4, 4), {2, 2}), {1, 1, 2, 2}, {2.5, 4.5, 10.5, 12.5});
  Tensor x = grid({1, 2, 3, 4}, 2, 2);
  expect_values(avg_pool2d(x, {2, 2}, {2, 2}, {1, 1}), {1, 1, 2, 2}, {0.25, 0.5, 0.75, 1});
  expect_values(avg_pool2d(x, {2, 2}, {2, 2}, {1, 1}, false, false), {1, 1, 2, 2}, {1, 2, 3, 4});
  // Ceil mode: the last window [4, 6) is clipped to the input, and its divisor is 1 (outside the padded input).
  Tensor r = grid({1, 2, 3, 4, 5}, 1, 5);
  expect_values(avg_pool2d(r, {1, 2}, {0, 0}, {0, 0}, true), {1, 1, 1, 3}, {1.5, 3.5, 5});
  // Ceil mode with padding 1, kernel 3, stride 2 on 1x6 (padded to 8): windows [-1,2) [1,4) [3,6) [5,8)->[5,7)
  // divisors with padding counted 3, 3, 3, 2; without 2, 3, 3, 1.
  Tensor s = grid({1, 2, 3, 4, 5, 6}, 1, 6);
  expect_values(avg_pool2d(s, {1, 3}, {1, 2}, {0, 1}, true), {1, 1, 1, 4}, {1, 3, 5, 3});
  expect_values(avg_pool2d(s, {1, 3}, {1, 2}, {0, 1}, true, false), {1, 1, 1, 4}, {1.5, 3, 5, 6});
}

TEST(AvgPool2d, Gradient) {
  Tensor x = grid({1, 2, 3, 4}, 2, 2).requires_grad_();
  avg_pool2d(x, {2, 2}, {1, 1}, {1, 1}).sum().backward();  // 3x3 outputs, each spreads 1/4 over its window
  expect_values(x.grad(), {1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor y = grid({1, 2, 3, 4}, 2, 2).requires_grad_();
  avg_pool2d(y, {2, 2}, {1, 1}, {1, 1}, false, false).sum().backward();
  // Windows clipped to the image: corner windows have 1 element, edges 2, the centre 4.
  // x00 is in windows (0,0):1, (0,1):1/2, (1,0):1/2, (1,1):1/4.
  expect_values(y.grad(), {1, 1, 2, 2}, {2.25, 2.25, 2.25, 2.25});
}

TEST(AdaptiveAvgPool2d, PyTorchWindowsAndGradient) {
  Tensor x = grid({1, 2, 3, 4, 5}, 1, 5).requires_grad_();
  // starts floor(i 5 / 3) = 0, 1, 3; ends ceil((i + 1) 5 / 3) = 2, 4, 5.
  Tensor y = adaptive_avg_pool2d(x, {1, 3});
  expect_values(y, {1, 1, 1, 3}, {1.5, 3, 4.5});
  y.sum().backward();
  expect_values(x.grad(), {1, 1, 1, 5}, {0.5, 0.5 + 1.0 / 3, 1.0 / 3, 1.0 / 3 + 0.5, 0.5});
  // Global average pooling, unbatched and transposed inputs.
  expect_values(adaptive_avg_pool2d(arange_image(4, 4), {1, 1}), {1, 1, 1, 1}, {7.5});
  expect_values(adaptive_avg_pool2d(arange_image(2, 3).transpose(2, 3), {1, 2}), {1, 1, 1, 2}, {1, 4});
  expect_values(adaptive_avg_pool2d(arange(6.0).reshape({1, 2, 3}), {2, 1}), {1, 2, 1}, {1, 4});
  // Output larger than the input: windows overlap and repeat.
  expect_values(adaptive_avg_pool2d(grid({1, 3}, 1, 2), {1, 3}), {1, 1, 1, 3}, {1, 2, 3});
}

TEST(Pool2d, Errors) {
  Tensor x = randn({1, 1, 2, 2});
  EXPECT_THAT(error_of([&] {
                max_pool2d(x, {3, 3});
              }),
              HasSubstr("[max_pool2d] input shape (1, 1, 2, 2) is too small for kernel (3, 3)"));
  EXPECT_THAT(error_of([&] {
                max_pool2d(x, {2, 2}, {1, 1}, {2, 2});
              }),
              HasSubstr("[max_pool2d] padding (2, 2) must be non-negative and at most half the kernel size (2, 2)"));
  EXPECT_THAT(error_of([&] { max_pool2d(x, {0, 2}); }), HasSubstr("[max_pool2d] kernel size must be positive"));
  EXPECT_THAT(error_of([&] {
                max_pool2d(x, {2, 2}, {1, 1}, {0, 0}, {0, 1});
              }),
              HasSubstr("[max_pool2d] dilation must be positive"));
  EXPECT_THAT(error_of([&] { avg_pool2d(x, {2, 2}, {-1, 1}); }), HasSubstr("[avg_pool2d] stride must be positive"));
  EXPECT_THAT(error_of([&] {
                avg_pool2d(randn({4, 4}), {2, 2});
              }),
              HasSubstr("[avg_pool2d] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape (4, 4)"));
  EXPECT_THAT(error_of([&] {
                avg_pool2d(x, {3, 3});
              }),
              HasSubstr("[avg_pool2d] input shape (1, 1, 2, 2) is too small"));
  EXPECT_THAT(error_of([&] {
                adaptive_avg_pool2d(x, {0, 1});
              }),
              HasSubstr("[adaptive_avg_pool2d] output size must be positive, got (0, 1) for input shape (1, 1, 2, 2)"));
  EXPECT_THAT(error_of([&] {
                adaptive_avg_pool2d(randn({1, 1, 0, 2}), {1, 1});
              }),
              HasSubstr("[adaptive_avg_pool2d] empty spatial dims"));
}

}  // namespace
