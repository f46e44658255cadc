// Training-mode batch_norm (fused kernels, kernels/cpu/batch_norm.h) against its definition composed of
// differentiable ops: outputs, all three gradients and the running statistics. The op table
// (cases_normalization.cpp) adds gradchecks and PyTorch golden values.
#include <gtest/gtest.h>

#include "strata/strata.h"

namespace strata {
namespace {

// y = (x - mean) / sqrt(var + eps) * w + b with batch statistics over every dim but 1.
Tensor composed(const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  Dims red{0};
  for (int64_t d = 2; d < x.dim(); ++d) red.push_back(d);
  std::vector<int64_t> bdims(static_cast<size_t>(x.dim()), 1);
  bdims[1] = x.size(1);
  const Shape bshape(bdims);
  Tensor y = mul(sub(x, mean(x, red, true)), rsqrt(add(var(x, red, 0, true), eps)));
  return add(mul(y, w.reshape(bshape)), b.reshape(bshape));
}

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], tol * (1 + std::abs(w[i]))) << what << " at " << i;
}

class BatchNormFused : public ::testing::TestWithParam<Shape> {};

TEST_P(BatchNormFused, MatchesComposedDefinition) {
  const Shape shape = GetParam();
  const int64_t C = shape[1];
  for (DType dt : {kFloat64, kFloat32}) {
    const double tol = dt == kFloat64 ? 1e-12 : 2e-5;
    Generator gen(7);
    const TensorOptions o(dt);
    // An offset mean and a non-unit scale, so centring matters.
    Tensor x0 = add(mul(randn(shape, o, &gen), 3.0), 2.0);
    Tensor w0 = randn({C}, o, &gen), b0 = randn({C}, o, &gen), g = randn(shape, o, &gen);
    Tensor x1 = x0.clone().requires_grad_(true), w1 = w0.clone().requires_grad_(true),
           b1 = b0.clone().requires_grad_(true);
    Tensor x2 = x0.clone().requires_grad_(true), w2 = w0.clone().requires_grad_(true),
           b2 = b0.clone().requires_grad_(true);
    Tensor rm = randn({C}, o, &gen), rv = add(rand({C}, o, &gen), 0.5);
    Tensor rm0 = rm.clone(), rv0 = rv.clone();
    Tensor y1 = batch_norm(x1, rm, rv, w1, b1, /*training=*/true, 0.1, 1e-5);
    Tensor y2 = composed(x2, w2, b2, 1e-5);
    expect_close(y1, y2, tol, "output");
    y1.backward(g);
    y2.backward(g);
    expect_close(x1.grad(), x2.grad(), tol * 10, "input gradient");
    expect_close(w1.grad(), w2.grad(), tol * 10, "weight gradient");
    expect_close(b1.grad(), b2.grad(), tol * 10, "bias gradient");
    // Running statistics: momentum 0.1 towards the batch mean and the unbiased batch variance.
    Dims red{0};
    for (int64_t d = 2; d < x0.dim(); ++d) red.push_back(d);
    expect_close(rm, add(mul(rm0, 0.9), mul(mean(x0, red), 0.1)), tol, "running_mean");
    expect_close(rv, add(mul(rv0, 0.9), mul(var(x0, red, 1), 0.1)), tol, "running_var");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchNormFused,
                         ::testing::Values(Shape{5, 3}, Shape{4, 3, 7}, Shape{3, 4, 5, 6}, Shape{64, 8, 12, 12}));

TEST(BatchNormFused, WithoutAffineOrRunningStats) {
  Generator gen(3);
  Tensor x0 = randn({6, 2, 3, 3}, TensorOptions(kFloat64), &gen);
  Tensor x1 = x0.clone().requires_grad_(true), x2 = x0.clone().requires_grad_(true);
  Tensor y1 = batch_norm(x1, Tensor(), Tensor(), Tensor(), Tensor(), true);
  Tensor y2 = composed(x2, ones({2}, TensorOptions(kFloat64)), zeros({2}, TensorOptions(kFloat64)), 1e-5);
  expect_close(y1, y2, 1e-12, "output");
  Tensor g = randn({6, 2, 3, 3}, TensorOptions(kFloat64), &gen);
  y1.backward(g);
  y2.backward(g);
  expect_close(x1.grad(), x2.grad(), 1e-11, "input gradient");
}

}  // namespace
}  // namespace strata
