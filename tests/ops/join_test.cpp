// Hand-computed values, gradients and error messages of cat, stack and pad.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "strata/strata.h"

using namespace strata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
Tensor iota(const Shape& shape, DType dtype = kFloat32) {
  return arange(static_cast<double>(shape.numel()), TensorOptions(dtype)).reshape(shape);
}
template <class F>
void expect_error(F f, std::initializer_list<std::string> pieces) {
  try {
    f();
    ADD_FAILURE() << "expected strata::Error";
  } catch (const Error& e) {
    for (const std::string& p : pieces) EXPECT_THAT(e.what(), HasSubstr(p));
  }
}

}  // namespace

// ---------------- cat ----------------

TEST(Cat, Dim0AndDim1) {
  Tensor a = iota({2, 2}), b = full({1, 2}, 7.0);
  Tensor y = cat({a, b});
  EXPECT_EQ(y.shape(), Shape({3, 2}));
  EXPECT_THAT(vals(y), ElementsAre(0, 1, 2, 3, 7, 7));
  Tensor z = cat({a, full({2, 1}, 7.0), a}, -1);
  EXPECT_EQ(z.shape(), Shape({2, 5}));
  EXPECT_THAT(vals(z), ElementsAre(0, 1, 7, 0, 1, 2, 3, 7, 2, 3));
}

TEST(Cat, TransposedAndSlicedInputs) {
  Tensor a = iota({2, 3}).t();                // (3, 2): [[0,3],[1,4],[2,5]]
  Tensor b = iota({3, 4}).slice(1, 1, 4, 2);  // (3, 2): [[1,3],[5,7],[9,11]]
  EXPECT_THAT(vals(cat({a, b}, 1)), ElementsAre(0, 3, 1, 3, 1, 4, 5, 7, 2, 5, 9, 11));
}

TEST(Cat, PromotesDtypes) {
  Tensor y = cat({iota({2}, kInt64), tensor({0.5})});
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_THAT(vals(y), ElementsAre(0, 1, 0.5));
  Tensor b = cat({from_vector<bool>({true}, {1}), iota({2}, kInt64)});
  EXPECT_EQ(b.dtype(), kInt64);
  EXPECT_THAT(b.to_vector<int64_t>(), ElementsAre(1, 0, 1));
  EXPECT_EQ(cat({tensor({1}), tensor({2}, TensorOptions(kFloat64))}).dtype(), kFloat64);
}

TEST(Cat, SkipsLegacyEmptyButNotOtherEmptyTensors) {
  Tensor e = from_vector<float>({}, {0});
  Tensor y = cat({e, iota({2, 3}), e}, 1);
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  EXPECT_THAT(vals(y), ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_EQ(cat({e, e}).shape(), Shape({0}));
  EXPECT_EQ(cat({zeros({2, 0}), iota({2, 3})}, 1).shape(), Shape({2, 3}));
  expect_error([&] { cat({zeros({0, 2}), iota({2, 3})}, 0); }, {"[cat]", "(0, 2)", "(2, 3)"});
}

TEST(Cat, GradientsAreSlicesInEachInputsDtype) {
  Tensor a = iota({2, 1}).requires_grad_();
  Tensor b = iota({2, 2}, kFloat64).requires_grad_();
  Tensor y = cat({a, b}, 1);
  EXPECT_EQ(y.dtype(), kFloat64);
  (y * tensor({{1, 2, 3}, {4, 5, 6}}, TensorOptions(kFloat64))).sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_THAT(vals(a.grad()), ElementsAre(1, 4));
  EXPECT_THAT(vals(b.grad()), ElementsAre(2, 3, 5, 6));
}

TEST(Cat, SameTensorTwiceAccumulates) {
  Tensor a = tensor({1, 2}).requires_grad_();
  (cat({a, a}) * tensor({1, 2, 3, 4})).sum().backward();
  EXPECT_THAT(vals(a.grad()), ElementsAre(4, 6));
}

TEST(Cat, Errors) {
  expect_error([] { cat({}); }, {"[cat]", "non-empty"});
  expect_error([] { cat({zeros({2}), full({}, 1.0)}); }, {"[cat]", "zero-dimensional", "position 1"});
  expect_error([] { cat({zeros({2, 3}), zeros({3})}); }, {"[cat]", "position 0", "(2, 3)", "position 1", "(3,)"});
  expect_error(
      [] {
        cat({zeros({2, 3}), zeros({2, 2}), zeros({3, 3})}, 1);
      },
      {"[cat]", "except in dim 1", "position 0", "(2, 3)", "position 2", "(3, 3)"});
  expect_error([] { cat({zeros({2, 3})}, 2); }, {"cat"});
}

// ---------------- stack ----------------

TEST(Stack, EveryDimIncludingNdim) {
  Tensor a = iota({2, 2}), b = iota({2, 2}) + 10.0;
  Tensor y0 = stack({a, b});
  EXPECT_EQ(y0.shape(), Shape({2, 2, 2}));
  EXPECT_THAT(vals(y0), ElementsAre(0, 1, 2, 3, 10, 11, 12, 13));
  Tensor y1 = stack({a, b}, 1);
  EXPECT_THAT(vals(y1), ElementsAre(0, 1, 10, 11, 2, 3, 12, 13));
  Tensor y2 = stack({a, b}, 2);
  EXPECT_EQ(y2.shape(), Shape({2, 2, 2}));
  EXPECT_THAT(vals(y2), ElementsAre(0, 10, 1, 11, 2, 12, 3, 13));
  EXPECT_THAT(vals(stack({a, b}, -1)), ElementsAre(0, 10, 1, 11, 2, 12, 3, 13));
}

TEST(Stack, ScalarsTransposedAndMixedDtypes) {
  Tensor s = stack({full({}, 1.0), full({}, 2.0), full({}, 3.0)});
  EXPECT_EQ(s.shape(), Shape({3}));
  EXPECT_THAT(vals(s), ElementsAre(1, 2, 3));
  Tensor t = stack({iota({2, 2}).t(), iota({2, 2}, kInt64)});
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_THAT(vals(t), ElementsAre(0, 2, 1, 3, 0, 1, 2, 3));
}

TEST(Stack, Gradients) {
  Tensor a = tensor({1, 2, 3}).requires_grad_();
  Tensor b = tensor({4, 5, 6}).requires_grad_();
  (stack({a, b}, 1) * tensor({{1, 2}, {3, 4}, {5, 6}})).sum().backward();
  EXPECT_THAT(vals(a.grad()), ElementsAre(1, 3, 5));
  EXPECT_THAT(vals(b.grad()), ElementsAre(2, 4, 6));
}

TEST(Stack, Errors) {
  expect_error([] { stack({}); }, {"[stack]", "non-empty"});
  expect_error(
      [] {
        stack({zeros({2, 3}), zeros({3, 2})});
      },
      {"[stack]", "(2, 3)", "position 0", "(3, 2)", "position 1"});
  expect_error([] { stack({zeros({2})}, 2); }, {"stack"});
}

// ---------------- pad ----------------

TEST(Pad, PyTorchOrderWithCrop) {
  // F.pad(arange(6).view(2, 3), (1, -1, -1, 2), value=9) = [[9, 3, 4], [9, 9, 9], [9, 9, 9]]
  Tensor y = pad(iota({2, 3}), {1, -1, -1, 2}, 9);
  EXPECT_EQ(y.shape(), Shape({3, 3}));
  EXPECT_THAT(vals(y), ElementsAre(9, 3, 4, 9, 9, 9, 9, 9, 9));
}

TEST(Pad, LastDimOnlyAndThreeDims) {
  EXPECT_THAT(vals(pad(iota({2, 2}), {1, 2})), ElementsAre(0, 0, 1, 0, 0, 0, 2, 3, 0, 0));
  Tensor y = pad(iota({1, 2, 1}), {0, 0, 1, 0, 1, 0}, -1);
  EXPECT_EQ(y.shape(), Shape({2, 3, 1}));
  EXPECT_THAT(vals(y), ElementsAre(-1, -1, -1, -1, 0, 1));
}

TEST(Pad, TransposedAndIntInputs) {
  // F.pad(arange(6.).view(2, 3).t(), (1, 0, 0, 1), value=-1)
  EXPECT_THAT(vals(pad(iota({2, 3}).t(), {1, 0, 0, 1}, -1)), ElementsAre(-1, 0, 3, -1, 1, 4, -1, 2, 5, -1, -1, -1));
  Tensor i = pad(iota({3}, kInt64), {1, 1}, 2.7);  // value truncated as PyTorch: [2, 0, 1, 2, 2]
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_THAT(i.to_vector<int64_t>(), ElementsAre(2, 0, 1, 2, 2));
}

TEST(Pad, EmptyPadsCropToNothingAndPadPastACrop) {
  EXPECT_THAT(vals(pad(iota({2}), {})), ElementsAre(0, 1));
  EXPECT_EQ(pad(iota({2, 3}), {-2, -1}).shape(), Shape({2, 0}));
  // Padded [7, 7, 0, 1, 2] then 4 cropped from the right leaves [7] (PyTorch raises here instead).
  EXPECT_THAT(vals(pad(iota({3}), {2, -4}, 7)), ElementsAre(7));
}

TEST(Pad, GradientCropsPaddingAndZerosCroppedInput) {
  Tensor x = iota({2, 3}).requires_grad_();
  Tensor y = pad(x, {1, -1, -1, 1});  // (2, 3): [[0, 3, 4], [0, 0, 0]]
  EXPECT_THAT(vals(y), ElementsAre(0, 3, 4, 0, 0, 0));
  (y * tensor({{1, 2, 3}, {4, 5, 6}})).sum().backward();
  // y[0][1] = x[1][0], y[0][2] = x[1][1]; x's row 0 and last column were cropped away.
  EXPECT_THAT(vals(x.grad()), ElementsAre(0, 0, 0, 2, 3, 0));
}

TEST(Pad, Errors) {
  expect_error([] { pad(zeros({2, 3}), {1}); }, {"[pad]", "even"});
  expect_error([] { pad(zeros({2, 3}), {1, 1, 1, 1, 1, 1}); }, {"[pad]", "length 6", "(2, 3)"});
  expect_error([] { pad(zeros({2, 3}), {-2, -2}); }, {"[pad]", "(-2, -2)", "negative size", "dim 1", "(2, 3)"});
}
