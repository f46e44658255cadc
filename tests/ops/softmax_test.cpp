// softmax / log_softmax (values along any dim, huge logits, gradients) and the NLL / cross-entropy losses
// (weights, ignore_index, reductions, label smoothing; values checked against PyTorch 1.13), with errors.
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

std::vector<double> softmax_of(const std::vector<double>& v) {
  double m = -kInf, s = 0;
  for (double x : v) m = std::max(m, x);
  for (double x : v) s += std::exp(x - m);
  std::vector<double> r;
  for (double x : v) r.push_back(std::exp(x - m) / s);
  return r;
}

std::vector<double> cat(const std::vector<std::vector<double>>& parts) {
  std::vector<double> r;
  for (const auto& p : parts) r.insert(r.end(), p.begin(), p.end());
  return r;
}

TEST(Softmax, ValuesAlongEachDim) {
  Tensor x = tensor({{1, 2, 3}, {1, 1, 1}});
  expect_values(softmax(x, 1), cat({softmax_of({1, 2, 3}), softmax_of({1, 1, 1})}));
  expect_values(x.softmax(-1), cat({softmax_of({1, 2, 3}), softmax_of({1, 1, 1})}));
  std::vector<double> c0 = softmax_of({1, 1}), c1 = softmax_of({2, 1}), c2 = softmax_of({3, 1});
  expect_values(softmax(x, 0), {c0[0], c1[0], c2[0], c0[1], c1[1], c2[1]});
  expect_values(softmax(x.t(), 1), {c0[0], c0[1], c1[0], c1[1], c2[0], c2[1]});
  // the middle dim of a 3-D tensor (positions processed in blocks across the last dim)
  Tensor y = arange(24.0, kF64).reshape({2, 3, 4});
  Tensor s = softmax(y, 1);
  std::vector<double> col = softmax_of({0, 4, 8});
  EXPECT_NEAR(s.at({0, 0, 0}), col[0], 1e-12);
  EXPECT_NEAR(s.at({1, 2, 3}), col[2], 1e-12);
  expect_values(sum(s, {1}), std::vector<double>(8, 1.0), 1e-12);
  Tensor l = log_softmax(y, 1);
  EXPECT_NEAR(l.at({1, 1, 2}), std::log(col[1]), 1e-12);
  expect_values(softmax(scalar_tensor(3.0), 0), {1});
  expect_values(log_softmax(scalar_tensor(3.0), -1), {0});
  EXPECT_EQ(softmax(zeros({0, 3}), 1).shape(), (Shape{0, 3}));
}

TEST(Softmax, WideMiddleDimAboveTheParallelGrain) {
  // (2, 5, 5000): blocks of positions along the last dim, more elements than kParallelGrain.
  Tensor y = arange(50000.0, kF64).reshape({2, 5, 5000}) * 1e-3;
  Tensor s = softmax(y, 1);
  std::vector<double> col = softmax_of({4.321, 9.321, 14.321, 19.321, 24.321});  // position (0, :, 4321)
  for (int64_t r = 0; r < 5; ++r) EXPECT_NEAR(s.at({0, r, 4321}), col[static_cast<size_t>(r)], 1e-12);
}

TEST(Softmax, HugeLogitsAreStable) {
  Tensor x = tensor({{1000, 0, -1000}, {1000, 1000, 1000}, {-1000, -1000, -999}});
  Tensor s = softmax(x, 1);
  expect_values(s, {1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, softmax_of({0, 0, 1})[0], softmax_of({0, 0, 1})[1],
                    softmax_of({0, 0, 1})[2]});
  Tensor l = log_softmax(x, 1);
  expect_values(l, {0, -1000, -2000, -std::log(3.0), -std::log(3.0), -std::log(3.0), std::log(softmax_of({0, 0, 1})[0]),
                    std::log(softmax_of({0, 0, 1})[1]), std::log(softmax_of({0, 0, 1})[2])});
  expect_values(softmax(tensor({-kInf, 0}), 0), {0, 1});
  expect_values(softmax(tensor({std::nan(""), 0}), 0), {std::nan(""), std::nan("")});
}

TEST(Softmax, Gradients) {
  // softmax: dx = y * (g - sum(g * y)); with g = e_0: dx = y0 * (e_0 - y)
  Tensor x = tensor({1, 2}, kF64);
  x.requires_grad_();
  Tensor y = softmax(x, 0);
  (y * tensor({1, 0}, kF64)).sum().backward();
  const std::vector<double> p = softmax_of({1, 2});
  expect_values(x.grad(), {p[0] * (1 - p[0]), -p[0] * p[1]}, 1e-12);
  // log_softmax: dx = g - softmax * sum(g)
  Tensor z = tensor({{1, 2, 3}}, kF64);
  z.requires_grad_();
  (log_softmax(z, 1) * tensor({{1, 2, 0}}, kF64)).sum().backward();
  const std::vector<double> q = softmax_of({1, 2, 3});
  expect_values(z.grad(), {1 - 3 * q[0], 2 - 3 * q[1], -3 * q[2]}, 1e-12);
}

TEST(Softmax, Errors) {
  EXPECT_THAT(error_of([] { softmax(zeros({2, 3}), 2); }), HasSubstr("[softmax] dim 2 out of range"));
  EXPECT_THAT(error_of([] { log_softmax(zeros({2, 3}), -3); }), HasSubstr("[log_softmax] dim -3 out of range"));
  EXPECT_THAT(error_of([] { softmax(zeros({2}, TensorOptions(kInt64)), 0); }),
              HasSubstr("[softmax] expected a floating-point tensor"));
}

Tensor targets(std::vector<int64_t> v, Shape shape) { return from_vector<int64_t>(v, shape); }

TEST(NllLoss, ReductionsWeightsAndIgnoreIndex) {
  Tensor lp = tensor({{-1, -2, -3}, {-0.5, -1.5, -2.5}});
  Tensor t = targets({2, 0}, {2});
  expect_values(nll_loss(lp, t, Tensor(), Reduction::None), {3, 0.5});
  expect_values(nll_loss(lp, t, Tensor(), Reduction::Sum), {3.5});
  expect_values(nll_loss(lp, t), {1.75});
  Tensor w = tensor({1, 2, 3});
  expect_values(nll_loss(lp, t, w, Reduction::None), {9, 0.5});
  expect_values(nll_loss(lp, t, w), {9.5 / 4});  // divided by the targets' weights, 3 + 1
  Tensor ti = targets({2, -100}, {2});
  expect_values(nll_loss(lp, ti, w), {3});  // 9 / 3
  expect_values(nll_loss(lp, ti, w, Reduction::None), {9, 0});
  expect_values(nll_loss(lp, targets({1, 1}, {2}), w, Reduction::Mean, 1), {std::nan("")});  // all ignored
  expect_values(nll_loss(lp.t().t(), targets({0, 1}, {2}), Tensor(), Reduction::Sum), {2.5});
  expect_values(nll_loss(tensor({-0.1, -0.2, -0.3}), targets({1}, {1}).reshape({})), {0.2});  // unbatched (C)
}

TEST(NllLoss, SpatialInputAndGradient) {
  // (N=2, C=3, d=2)
  Tensor lp = arange(12.0, kF64).reshape({2, 3, 2}) * -0.1;
  Tensor t = targets({2, 0, 1, -100}, {2, 2});
  // picks lp[0,2,0] = -0.4, lp[0,0,1] = -0.1, lp[1,1,0] = -0.8
  expect_values(nll_loss(lp, t, Tensor(), Reduction::None), {0.4, 0.1, 0.8, 0});
  expect_values(nll_loss(lp, t), {1.3 / 3});
  lp.requires_grad_();
  Tensor w = tensor({1, 2, 3}, kF64);
  nll_loss(lp, t, w).backward();  // mean over weights 3 + 1 + 2
  std::vector<double> g(12, 0.0);
  g[4] = -3.0 / 6;  // (0, 2, 0)
  g[1] = -1.0 / 6;  // (0, 0, 1)
  g[8] = -2.0 / 6;  // (1, 1, 0)
  expect_values(lp.grad(), g, 1e-12);
}

TEST(NllLoss, Errors) {
  Tensor lp = zeros({2, 3});
  EXPECT_THAT(error_of([&] {
                nll_loss(lp, targets({0, 1, 2}, {3}));
              }),
              HasSubstr("[nll_loss] target of shape (3,) does not match input of shape (2, 3)"));
  EXPECT_THAT(error_of([&] {
                nll_loss(lp, targets({0, 3}, {2}));
              }),
              HasSubstr("[nll_loss] target 3 is out of bounds for 3 classes"));
  EXPECT_THAT(error_of([&] {
                nll_loss(lp, targets({-1, 0}, {2}));
              }),
              HasSubstr("[nll_loss] target -1 is out of bounds for 3 classes"));
  EXPECT_THAT(error_of([&] { nll_loss(lp, tensor({0, 1})); }), HasSubstr("[nll_loss] target must be an int64 tensor"));
  EXPECT_THAT(error_of([&] {
                nll_loss(lp, targets({0, 1}, {2}), tensor({1, 2}));
              }),
              HasSubstr("[nll_loss] weight must have shape (3,)"));
}

// Reference values from PyTorch 1.13 (F.cross_entropy, float64) for these logits and targets.
Tensor ce_logits() { return tensor({{0.1, 1.2, -0.3, 0.5}, {2.0, -1.0, 0.0, 0.3}, {0.7, 0.7, -2.0, 1.5}}, kF64); }
Tensor ce_targets() { return targets({1, -100, 3}, {3}); }
Tensor ce_weight() { return tensor({0.5, 1.0, 2.0, 1.5}, kF64); }

void check_ce(const Tensor& w, Reduction r, double ls, const std::vector<double>& loss,
              const std::vector<double>& grad_of_sum) {
  Tensor z = ce_logits();
  z.requires_grad_();
  Tensor l = cross_entropy(z, ce_targets(), w, r, -100, ls);
  expect_values(l, loss, 1e-10);
  sum(l).backward();
  expect_values(z.grad(), grad_of_sum, 1e-10);
}

TEST(CrossEntropy, MatchesPyTorch) {
  check_ce(Tensor(), Reduction::Mean, 0.0, {0.6880137262927831},
           {0.08108576081265415, -0.25640491234077734, 0.05435341092077314, 0.12096574060735012, 0, 0, 0, 0,
            0.11647554935867044, 0.11647554935867044, 0.00782779901629348, -0.24077889773363437});
  check_ce(ce_weight(), Reduction::Mean, 0.0, {0.6817963258728772},
           {0.06486860865012332, -0.2051239298726219, 0.043482728736618514, 0.0967725924858801, 0, 0, 0, 0,
            0.13977065923040455, 0.13977065923040455, 0.009393358819552177, -0.28893467728036126});
  check_ce(ce_weight(), Reduction::Mean, 0.2, {0.9390398059568583},
           {0.05811203908262949, -0.135380126366253, 0.005656865173449444, 0.07161122211017411, 0, 0, 0, 0,
            0.12511163725605773, 0.11511163725605772, -0.030919753141099564, -0.20930352137101585});
  check_ce(Tensor(), Reduction::None, 0.2, {0.8841007283923127, 0.0, 0.9119267241932536},
           {0.11217152162530833, -0.3628098246815547, 0.058706821841546304, 0.19193148121470027, 0, 0, 0, 0,
            0.1829510987173409, 0.1829510987173409, -0.03434440196741304, -0.3315577954672688});
  check_ce(ce_weight(), Reduction::Sum, 0.2, {2.347599514892146},
           {0.1452800977065737, -0.3384503159156325, 0.0141421629336236, 0.17902805527543525, 0, 0, 0, 0,
            0.3127790931401443, 0.2877790931401443, -0.07729938285274891, -0.5232588034275397});
}

TEST(CrossEntropy, SpatialMatchesPyTorch) {
  Tensor z = tensor({0.5, -1.0, 1.5, 0.2, -0.3, 0.9, 2.0, 0.1, 0.0, -0.4, 1.1, 1.1}, kF64).reshape({2, 3, 2});
  z.requires_grad_();
  Tensor l =
      cross_entropy(z, targets({2, 0, 1, -100}, {2, 2}), tensor({0.5, 1.0, 2.0}, kF64), Reduction::Mean, -100, 0.1);
  expect_values(l, {2.215740890048843}, 1e-10);
  l.backward();
  expect_values(
      z.grad(),
      {0.12663689298440045, -0.11862275776374968, 0.34765515467133734, 0.03931702136796006, -0.4742920476557378,
       0.07930573639578962, 0.18362596687648552, 0.0, -0.24117114070014253, 0.0, 0.057545173823656946, 0.0},
      1e-10);
}

TEST(CrossEntropy, AgreesWithLogSoftmaxPlusNll) {
  Tensor z = randn({6, 5}, kF64);
  Tensor t = targets({0, 4, 2, -100, 1, 3}, {6});
  Tensor w = tensor({0.3, 1.2, 0.8, 2.0, 1.0}, kF64);
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    expect_values(cross_entropy(z, t, w, r), nll_loss(log_softmax(z, 1), t, w, r).to_vector<double>(), 1e-12);
  }
}

TEST(CrossEntropy, HugeLogitsFloat32) {
  Tensor z = tensor({{1000, -1000}, {-1000, 1000}});
  z.requires_grad_();
  Tensor l = cross_entropy(z, targets({1, 1}, {2}), Tensor(), Reduction::None);
  expect_values(l, {2000, 0});
  sum(l).backward();
  expect_values(z.grad(), {1, -1, 0, 0});
}

TEST(CrossEntropy, Errors) {
  Tensor z = zeros({2, 3});
  EXPECT_THAT(error_of([&] {
                cross_entropy(z, targets({0, 7}, {2}));
              }),
              HasSubstr("[cross_entropy] target 7 is out of bounds for 3 classes"));
  EXPECT_THAT(error_of([&] { cross_entropy(z, targets({0}, {1})); }),
              HasSubstr("[cross_entropy] target of shape (1,) does not match input of shape (2, 3)"));
  EXPECT_THAT(error_of([&] {
                cross_entropy(z, targets({0, 1}, {2}), Tensor(), Reduction::Mean, -100, 1.5);
              }),
              HasSubstr("[cross_entropy] label_smoothing must be in [0, 1]"));
}

}  // namespace
}  // namespace strata
