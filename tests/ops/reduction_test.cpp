// Reductions: hand-computed values (keepdim, negative and multiple dims, strided inputs, 0-d, empty),
// gradients of the non-smooth ones (ties, zero norm), and error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strata/strata.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

const TensorOptions kF64(kFloat64);
const double kInf = std::numeric_limits<double>::infinity();

void expect_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-6) {
  std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << t.shape();
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
    }
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// x = [[1, 2, 3], [4, 5, 6]]
Tensor x23(DType t = kFloat32) { return tensor({{1, 2, 3}, {4, 5, 6}}, TensorOptions(t)); }

TEST(Sum, AllDimsKeepdimAndNegativeDims) {
  Tensor x = x23();
  Tensor s = sum(x);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.dtype(), kFloat32);
  expect_values(s, {21});
  expect_values(sum(x, {0}), {5, 7, 9});
  expect_values(sum(x, {1}), {6, 15});
  expect_values(sum(x, {-1}), {6, 15});
  EXPECT_EQ(sum(x, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(sum(x, {0, 1}, true).shape(), (Shape{1, 1}));
  expect_values(x.sum({-2, -1}), {21});
}

TEST(Sum, MultipleDimsOf3d) {
  Tensor x = arange(24.0).reshape({2, 3, 4});
  // sum over i, k of 12 i + 4 j + k = 32 j + 60
  expect_values(sum(x, {0, 2}), {60, 92, 124});
  expect_values(sum(x, {2, 0}), {60, 92, 124});
  expect_values(sum(x, {1}), {12, 15, 18, 21, 48, 51, 54, 57});
  EXPECT_EQ(sum(x, {0, 2}, true).shape(), (Shape{1, 3, 1}));
}

TEST(Sum, TransposedAndSlicedInputs) {
  Tensor x = x23();
  expect_values(sum(x.t(), {0}), {6, 15});
  expect_values(sum(x.t(), {1}), {5, 7, 9});
  expect_values(sum(x.slice(1, 0, 3, 2), {1}), {4, 10});  // columns 0 and 2
  expect_values(sum(x.slice(1, 0, 3, 2), {0}), {5, 9});
  Tensor big = arange(20000.0).reshape({100, 200});
  // every other column of each row: sum_k (200 r + 2 k), k < 100 = 20000 r + 9900
  Tensor s = sum(big.slice(1, 0, 200, 2), {1});
  EXPECT_DOUBLE_EQ(s.at({0}), 9900);
  EXPECT_DOUBLE_EQ(s.at({99}), 20000.0 * 99 + 9900);
  // a broadcast (stride-0) input
  expect_values(sum(tensor({1, 2, 3}).expand({4, 3}), {0}), {4, 8, 12});
}

TEST(Sum, ZeroDimEmptyIntAndBool) {
  Tensor s = scalar_tensor(2.5);
  expect_values(sum(s), {2.5});
  expect_values(sum(s, {0}), {2.5});
  expect_values(sum(zeros({0, 3}), {0}), {0, 0, 0});
  EXPECT_EQ(sum(zeros({0, 3}), {1}).shape(), Shape{0});
  Tensor i = x23(kInt64);
  EXPECT_EQ(sum(i).dtype(), kInt64);
  EXPECT_EQ(sum(i).item<int64_t>(), 21);
  Tensor b = from_vector<bool>({true, false, true, true}, {4});
  EXPECT_EQ(sum(b).dtype(), kInt64);
  EXPECT_EQ(sum(b).item<int64_t>(), 3);
}

TEST(Sum, LargeLeadingDimReduction) {
  // (N, C) summed over the batch dim, above the parallel grain: column c sums 0.5 * (r + c) over r < N.
  const int64_t N = 3000, C = 37;
  Tensor x = arange(static_cast<double>(N * C), kF64).reshape({N, C});
  Tensor s = sum(x, {0});
  for (int64_t c = 0; c < C; c += 9) {
    EXPECT_DOUBLE_EQ(s.at({c}), static_cast<double>(C) * N * (N - 1) / 2 + static_cast<double>(c) * N);
  }
}

TEST(Sum, Gradient) {
  Tensor x = x23(kFloat64);
  x.requires_grad_();
  sum(x, {1}).sum().backward();
  expect_values(x.grad(), {1, 1, 1, 1, 1, 1});
}

TEST(Sum, Errors) {
  Tensor x = x23();
  EXPECT_THAT(error_of([&] { sum(x, {2}); }), HasSubstr("[sum] dim 2 out of range"));
  EXPECT_THAT(error_of([&] { sum(x, {1, -1}); }), HasSubstr("[sum] dim -1 appears more than once"));
  EXPECT_THAT(error_of([&] { sum(Tensor()); }), HasSubstr("[sum]"));
}

TEST(Mean, ValuesGradientAndErrors) {
  Tensor x = x23(kFloat64);
  expect_values(mean(x), {3.5});
  expect_values(mean(x, {0}), {2.5, 3.5, 4.5});
  expect_values(mean(x, {-1}, true), {2, 5});
  EXPECT_EQ(mean(x, {-1}, true).shape(), (Shape{2, 1}));
  expect_values(mean(x.t(), {1}), {2.5, 3.5, 4.5});
  expect_values(mean(zeros({0, 2}), {0}), {std::nan(""), std::nan("")});
  x.requires_grad_();
  mean(x, {1}).sum().backward();
  expect_values(x.grad(), {1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  EXPECT_THAT(error_of([] { mean(x23(kInt64)); }), HasSubstr("[mean] expected a floating-point tensor"));
  EXPECT_THAT(error_of([] { mean(x23(), {3}); }), HasSubstr("[mean] dim 3"));
}

TEST(VarStd, Values) {
  Tensor x = tensor({1, 2, 4}, kF64);
  // mean 7/3; squared deviations sum to 42/9
  expect_values(var(x), {42.0 / 9 / 2});
  expect_values(var(x, {}, 0), {42.0 / 9 / 3});
  expect_values(var(x, {0}, 2), {42.0 / 9});
  expect_values(var(x, {0}, 3), {kInf});
  expect_values(strata::std(x), {std::sqrt(42.0 / 9 / 2)});
  expect_values(x.std({}, 0), {std::sqrt(42.0 / 9 / 3)});
  Tensor m = tensor({{1, 2, 4}, {3, 3, 3}}, kF64);
  expect_values(var(m, {1}), {42.0 / 9 / 2, 0});
  expect_values(m.var({0}, 1, true), {2, 0.5, 0.5});
  EXPECT_EQ(m.var({0}, 1, true).shape(), (Shape{1, 3}));
  expect_values(var(m.t(), {0}), {42.0 / 9 / 2, 0});
  expect_values(var(tensor({5})), {std::nan("")});
  expect_values(var(zeros({0, 3}), {0}), {std::nan(""), std::nan(""), std::nan("")});
  expect_values(strata::std(zeros({0})), {std::nan("")});
  // a large offset: two-pass with a float64 mean keeps float32 exact enough
  Tensor big = tensor({10000.5f, 10001.5f, 10002.5f});
  expect_values(var(big), {1.0}, 1e-6);
}

TEST(VarStd, Gradients) {
  Tensor x = tensor({1, 2, 4}, kF64);
  x.requires_grad_();
  var(x).backward();
  // d var / dx = 2 (x - mean) / (N - 1)
  expect_values(x.grad(), {-4.0 / 3, -1.0 / 3, 5.0 / 3});
  Tensor c = tensor({2, 2, 2}, kF64);
  c.requires_grad_();
  strata::std(c).backward();
  expect_values(c.grad(), {0, 0, 0});  // 0, not NaN, where std is 0 (as PyTorch)
}

TEST(VarStd, Errors) {
  EXPECT_THAT(error_of([] { var(x23(), {0}, -1); }), HasSubstr("[var] correction must be >= 0"));
  EXPECT_THAT(error_of([] { strata::std(x23(kInt64)); }), HasSubstr("[std] expected a floating-point tensor"));
  EXPECT_THAT(error_of([] { var(x23(), {5}); }), HasSubstr("[var] dim 5 out of range"));
}

TEST(MaxMin, AllValuesAndTieGradient) {
  Tensor x = tensor({1, 3, 3, 2}, kF64);
  x.requires_grad_();
  Tensor m = max(x);
  EXPECT_EQ(m.shape(), Shape{});
  expect_values(m, {3});
  m.backward();
  expect_values(x.grad(), {0, 0.5, 0.5, 0});  // split evenly among ties, as PyTorch
  Tensor y = tensor({{4, -1}, {-1, 0}}, kF64);
  y.requires_grad_();
  min(y).backward();
  expect_values(y.grad(), {0, 0.5, 0.5, 0});
  expect_values(x23().t().max(), {6});
  expect_values(x23().min(), {1});
  EXPECT_EQ(max(x23(kInt64)).item<int64_t>(), 6);
  expect_values(max(tensor({1, std::nan(""), 3})), {std::nan("")});
  EXPECT_THAT(error_of([] { max(zeros({0})); }), HasSubstr("[max] the tensor of shape (0,) is empty"));
}

TEST(MaxMin, AlongDim) {
  Tensor x = tensor({{1, 3, 3}, {5, 5, 0}}, kF64);
  auto [v, i] = max(x, 1);
  expect_values(v, {3, 5});
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));  // first index among ties
  auto [v0, i0] = min(x, 0, true);
  EXPECT_EQ(v0.shape(), (Shape{1, 3}));
  expect_values(v0, {1, 3, 0});
  EXPECT_EQ(i0.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1}));
  auto [vt, it] = max(x.t(), -1);  // transposed: rows of x.t() are columns of x
  expect_values(vt, {5, 5, 3});
  EXPECT_EQ(it.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 0}));
  auto [vs, is] = max(scalar_tensor(5.0), 0);
  expect_values(vs, {5});
  EXPECT_EQ(is.item<int64_t>(), 0);
  auto [vn, in] = max(tensor({{1, std::nan(""), 7}}), 1);
  expect_values(vn, {std::nan("")});
  EXPECT_EQ(in.item<int64_t>(), 1);
}

TEST(MaxMin, AlongDimGradientGoesToTheIndex) {
  Tensor x = tensor({{1, 3, 3}, {5, 5, 0}}, kF64);
  x.requires_grad_();
  Tensor v = max(x, 1).first;
  (v * tensor({10, 20}, kF64)).sum().backward();
  expect_values(x.grad(), {0, 10, 0, 20, 0, 0});
  Tensor y = x23(kFloat64);
  y.requires_grad_();
  min(y.t(), 1, true).first.sum().backward();
  expect_values(y.grad(), {1, 1, 1, 0, 0, 0});
}

TEST(MaxMin, Errors) {
  EXPECT_THAT(error_of([] { max(x23(), 2); }), HasSubstr("[max] dim 2 out of range"));
  EXPECT_THAT(error_of([] {
                min(zeros({2, 0}), 1);
              }),
              HasSubstr("[min] dim 1 of the tensor of shape (2, 0) has size 0"));
}

TEST(AmaxAmin, ValuesAndTieGradient) {
  Tensor x = tensor({{1, 3, 3}, {5, 5, 0}}, kF64);
  expect_values(amax(x, {1}), {3, 5});
  expect_values(amax(x), {5});
  expect_values(amin(x, {0}, true), {1, 3, 0});
  expect_values(amax(x.t(), {0}), {3, 5});
  x.requires_grad_();
  amax(x, {1}).sum().backward();
  expect_values(x.grad(), {0, 0.5, 0.5, 0.5, 0.5, 0});
  Tensor y = arange(24.0, kF64).reshape({2, 3, 4});
  expect_values(amax(y, {0, 2}), {15, 19, 23});
  expect_values(amin(y, {-1, 1}), {0, 12});
  EXPECT_THAT(error_of([] { amax(zeros({0, 3}), {0}); }), HasSubstr("[amax] cannot reduce over a dim of size 0"));
  EXPECT_THAT(error_of([] { amin(x23(), {0, 0}); }), HasSubstr("[amin] dim 0 appears more than once"));
}

TEST(Argmax, FlatAndAlongDim) {
  Tensor x = tensor({{1, 5}, {7, 2}});
  EXPECT_EQ(argmax(x).item<int64_t>(), 2);
  EXPECT_EQ(argmax(x).shape(), Shape{});
  EXPECT_EQ(argmin(x).item<int64_t>(), 0);
  EXPECT_EQ(argmax(x.t()).item<int64_t>(), 1);  // flat index in the logical (row-major) order
  EXPECT_EQ(x.argmax(1).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(argmin(x, 0, true).shape(), (Shape{1, 2}));
  EXPECT_EQ(argmin(x, 0, true).to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(argmax(tensor({2, 9, 9, 1})).item<int64_t>(), 1);
  EXPECT_EQ(argmax(scalar_tensor(3)).item<int64_t>(), 0);
  EXPECT_EQ(x23(kInt64).argmax().item<int64_t>(), 5);
  EXPECT_THAT(error_of([] { argmax(zeros({0})); }), HasSubstr("[argmax] the tensor of shape (0,) is empty"));
  EXPECT_THAT(error_of([] { argmin(x23(), -3); }), HasSubstr("[argmin] dim -3 out of range"));
}

TEST(Logsumexp, StableValuesAndGradient) {
  Tensor x = tensor({{1000, 1000}, {-1000, -1000}}, kF64);
  expect_values(logsumexp(x, {1}), {1000 + std::log(2.0), -1000 + std::log(2.0)});
  expect_values(tensor({-kInf, -kInf}).logsumexp({0}), {-kInf});
  expect_values(logsumexp(tensor({kInf, 1}), {0}), {kInf});
  expect_values(logsumexp(x, {0, 1}), {1000 + std::log(2.0)});
  expect_values(logsumexp(x23(), {0}, true), {std::log(std::exp(1) + std::exp(4)), std::log(std::exp(2) + std::exp(5)),
                                              std::log(std::exp(3) + std::exp(6))});
  expect_values(logsumexp(zeros({0, 2}), {0}), {-kInf, -kInf});
  Tensor y = tensor({1, 2, 3}, kF64);
  y.requires_grad_();
  logsumexp(y, {0}).backward();
  const double z = std::exp(1) + std::exp(2) + std::exp(3);
  expect_values(y.grad(), {std::exp(1) / z, std::exp(2) / z, std::exp(3) / z});
  EXPECT_THAT(error_of([] { logsumexp(x23(), {2}); }), HasSubstr("[logsumexp] dim 2"));
}

TEST(Norm, ValuesForEachP) {
  Tensor x = tensor({3, -4});
  expect_values(norm(x), {5});
  expect_values(norm(x, 1), {7});
  expect_values(norm(x, kInf), {4});
  expect_values(norm(x, -kInf), {3});
  expect_values(norm(x, 3), {std::cbrt(27.0 + 64.0)});
  expect_values(norm(tensor({1, 0, -2}), 0), {2});
  expect_values(norm(tensor({1, -2, 0}), -1), {0});
  Tensor m = tensor({{3, 4}, {6, 8}});
  expect_values(norm(m, 2, {1}), {5, 10});
  expect_values(norm(m, 1, {0}, true), {9, 12});
  expect_values(norm(m.t(), 2, {0}), {5, 10});
  expect_values(m.norm(), {std::sqrt(125.0)});
  EXPECT_THAT(error_of([] { norm(x23(kInt64)); }), HasSubstr("[norm] expected a floating-point tensor"));
}

TEST(Norm, GradientsIncludingZeroVector) {
  for (double p : {2.0, 1.0, 3.0, 0.5, kInf}) {
    Tensor z = zeros({3}, kF64);
    z.requires_grad_();
    norm(z, p).backward();
    expect_values(z.grad(), {0, 0, 0});  // 0, not NaN, as PyTorch
  }
  Tensor x = tensor({3, -4}, kF64);
  x.requires_grad_();
  norm(x).backward();
  expect_values(x.grad(), {0.6, -0.8});
  Tensor y = tensor({1, -3, 3}, kF64);
  y.requires_grad_();
  norm(y, kInf).backward();
  expect_values(y.grad(), {0, -0.5, 0.5});  // split among |x| ties, signed
}

}  // namespace
}  // namespace strata
