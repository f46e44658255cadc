// Loss functions (strata/nn/losses.h): hand-computed values for every reduction, gradients, strided inputs,
// module forms, compute_class_weights, and the errors. Values in comments were worked by hand; each was
// also confirmed with PyTorch 1.13 (float64).
#include "strata/nn/losses.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata {
namespace {

namespace F = nn::functional;
using ::testing::HasSubstr;

const TensorOptions kF64(kFloat64);

void expect_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-9) {
  std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << t.shape();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}
void expect_scalar(const Tensor& t, double want, double tol = 1e-9) {
  EXPECT_EQ(t.dim(), 0);
  expect_values(t, {want}, tol);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

Tensor leaf(std::initializer_list<double> v) { return tensor(v, kF64).requires_grad_(); }
Tensor ids(std::vector<int64_t> v, Shape s) { return from_vector<int64_t>(v, s); }

// ---- mse / l1 ----

TEST(MseLoss, EveryReduction) {
  // x - y = [0.5, -0.5, 0, 2]: squares 0.25, 0.25, 0, 4; sum 4.5, mean 1.125
  Tensor x = tensor({{1, 2}, {3, 4}}, kF64), y = tensor({{0.5, 2.5}, {3, 2}}, kF64);
  expect_values(F::mse_loss(x, y, Reduction::None), {0.25, 0.25, 0, 4});
  EXPECT_EQ(F::mse_loss(x, y, Reduction::None).shape(), Shape({2, 2}));
  expect_scalar(F::mse_loss(x, y, Reduction::Sum), 4.5);
  expect_scalar(F::mse_loss(x, y), 1.125);
  expect_scalar(nn::MSELoss()(x, y), 1.125);
  expect_scalar(nn::MSELoss(Reduction::Sum)(x, y), 4.5);
}

TEST(MseLoss, GradientsOfInputAndTarget) {
  Tensor x = leaf({1, 2, 3, 4}), y = leaf({0.5, 2.5, 3, 2});
  F::mse_loss(x, y).backward();
  expect_values(x.grad(), {0.25, -0.25, 0, 1});  // 2 (x - y) / 4
  expect_values(y.grad(), {-0.25, 0.25, 0, -1});
}

TEST(MseLoss, TransposedAndSlicedInputs) {
  Tensor x = tensor({{1, 3}, {2, 4}}, kF64).t();  // [[1, 2], [3, 4]] strided
  Tensor y = tensor({{9, 0.5, 9, 2.5}, {9, 3, 9, 2}}, kF64).slice(1, 1, 4, 2);
  expect_scalar(F::mse_loss(x, y, Reduction::Sum), 4.5);
}

TEST(L1Loss, EveryReductionAndGradient) {
  Tensor x = tensor({{1, 2}, {3, 4}}, kF64), y = tensor({{0.5, 2.5}, {3, 2}}, kF64);
  expect_values(F::l1_loss(x, y, Reduction::None), {0.5, 0.5, 0, 2});
  expect_scalar(F::l1_loss(x, y, Reduction::Sum), 3.0);
  expect_scalar(F::l1_loss(x, y), 0.75);
  expect_scalar(nn::L1Loss(Reduction::Sum)(x, y), 3.0);
  Tensor xl = leaf({1, 2, 3, 4});
  F::l1_loss(xl, y.reshape({4})).backward();
  expect_values(xl.grad(), {0.25, -0.25, 0, 0.25});  // sign(x - y) / 4, sign(0) = 0 as PyTorch
}

// ---- binary cross-entropy on probabilities ----

TEST(BinaryCrossEntropy, EveryReduction) {
  // -log 0.5 = 0.693147;  -log(1 - 0.8) = 1.609438;  -(0.25 log 0.1 + 0.75 log 0.9) = 0.575646 + 0.079020
  Tensor x = tensor({0.5, 0.8, 0.1}, kF64), y = tensor({1, 0, 0.25}, kF64);
  const std::vector<double> l = {0.6931471806, 1.6094379124, 0.6546666600};
  expect_values(F::binary_cross_entropy(x, y, Tensor(), Reduction::None), l);
  expect_scalar(F::binary_cross_entropy(x, y, Tensor(), Reduction::Sum), l[0] + l[1] + l[2]);
  expect_scalar(F::binary_cross_entropy(x, y), (l[0] + l[1] + l[2]) / 3);
  // weight [2, 1, 0.5]: (2 * 0.693147 + 1.609438 + 0.5 * 0.654667) / 3 = 1.107689
  Tensor w = tensor({2, 1, 0.5}, kF64);
  expect_scalar(F::binary_cross_entropy(x, y, w), 1.1076885345);
  expect_scalar(nn::BCELoss(w, Reduction::Sum)(x, y), 3 * 1.1076885345);
}

TEST(BinaryCrossEntropy, GradientIsPyTorchsClosedForm) {
  // w (x - y) / (x (1 - x)) / 3:  2 * -0.5 / 0.25 / 3 = -4/3;  0.8 / 0.16 / 3 = 5/3;  0.5 * -0.15 / 0.09 / 3
  Tensor x = leaf({0.5, 0.8, 0.1});
  F::binary_cross_entropy(x, tensor({1, 0, 0.25}, kF64), tensor({2, 1, 0.5}, kF64)).backward();
  expect_values(x.grad(), {-4.0 / 3, 5.0 / 3, -0.2777777778});
}

TEST(BinaryCrossEntropy, TargetGradient) {
  // d/dy = log(1 - x) - log x: log(0.5/0.5) = 0, log(0.2/0.8) = -1.386294, log(0.9/0.1) = 2.197225
  Tensor y = leaf({1, 0, 0.25});
  F::binary_cross_entropy(tensor({0.5, 0.8, 0.1}, kF64), y, Tensor(), Reduction::Sum).backward();
  expect_values(y.grad(), {0, std::log(0.25), std::log(9.0)});
}

TEST(BinaryCrossEntropy, LogsAreClampedAtMinus100) {
  // x = 0 with y = 1 and x = 1 with y = 0 are finite (100), as in PyTorch.
  Tensor l = F::binary_cross_entropy(tensor({0, 1, 1, 0}, kF64), tensor({1, 1, 0, 0}, kF64), Tensor(), Reduction::None);
  expect_values(l, {100, 0, 100, 0});
}

TEST(BinaryCrossEntropy, Float32AndStridedWeight) {
  Tensor x = tensor({{0.5, 0.1}, {0.8, 0.3}}).t();  // rows [0.5, 0.8], [0.1, 0.3]
  Tensor y = tensor({{1, 0}, {0.25, 1}});
  Tensor w = tensor({2, 1});  // broadcast over rows
  // row 0: 2 * 0.693147 + 1.609438; row 1: 2 * 0.654667 + -log 0.3 = 1.309333 + 1.203973
  expect_values(F::binary_cross_entropy(x, y, w, Reduction::None),
                {1.3862943612, 1.6094379124, 1.3093333200, 1.2039728043}, 1e-6);
}

TEST(BinaryCrossEntropy, Errors) {
  Tensor x = tensor({0.5, 0.5}), y = tensor({1.0, 0.0});
  EXPECT_THAT(error_of([&] {
                F::binary_cross_entropy(tensor({0.5, 1.5}), y);
              }),
              HasSubstr("[binary_cross_entropy] input of shape (2,) must hold probabilities in [0, 1]"));
  EXPECT_THAT(error_of([&] {
                F::binary_cross_entropy(x, tensor({{1.0, 0.0}}));
              }),
              HasSubstr("[binary_cross_entropy] input of shape (2,) and target of shape (1, 2) differ"));
  EXPECT_THAT(error_of([&] {
                F::binary_cross_entropy(x, y, tensor({1.0, 2.0, 3.0}));
              }),
              HasSubstr("[binary_cross_entropy] weight of shape (3,) does not broadcast to input of shape (2,)"));
}

// ---- binary cross-entropy on logits ----

TEST(BceWithLogits, EveryReduction) {
  // (1 - y) x + log(1 + e^-x):  log 2 = 0.693147;  2 + log(1 + e^-2) = 2.126928;  -0.5 + log(1 + e) = 0.813262
  Tensor x = tensor({0, 2, -1}, kF64), y = tensor({1, 0, 0.5}, kF64);
  const std::vector<double> l = {0.6931471806, 2.1269280110, 0.8132616875};
  expect_values(F::binary_cross_entropy_with_logits(x, y, Tensor(), Reduction::None), l);
  expect_scalar(F::binary_cross_entropy_with_logits(x, y, Tensor(), Reduction::Sum), l[0] + l[1] + l[2]);
  expect_scalar(F::binary_cross_entropy_with_logits(x, y), (l[0] + l[1] + l[2]) / 3);
  Tensor w = tensor({1, 2, 3}, kF64);
  expect_scalar(nn::BCEWithLogitsLoss(w)(x, y), (l[0] + 2 * l[1] + 3 * l[2]) / 3);
  // Equals binary_cross_entropy on sigmoid(x).
  expect_values(F::binary_cross_entropy(sigmoid(x), y, Tensor(), Reduction::None), l, 1e-9);
}

TEST(BceWithLogits, PosWeightValuesAndGradient) {
  // pos_weight 3: (1 - y) x + (1 + 2 y) softplus(-x):  3 log 2 = 2.079442;  2.126928;  -0.5 + 2 * 1.313262
  Tensor x = leaf({0, 2, -1}), y = tensor({1, 0, 0.5}, kF64), pw = tensor({3}, kF64);
  expect_values(F::binary_cross_entropy_with_logits(x, y, Tensor(), Reduction::None, pw),
                {2.0794415417, 2.1269280110, 2.1265233750});
  Tensor s = F::binary_cross_entropy_with_logits(x, y, Tensor(), Reduction::Sum, pw);
  expect_scalar(s, 6.3328929278);
  s.backward();
  // (1 + 2 y) sigmoid(x) - 3 y:  0.5 * 3 - 3 = -1.5;  sigmoid(2) = 0.880797;  2 * 0.268941 - 1.5 = -0.962117
  expect_values(x.grad(), {-1.5, 0.8807970780, -0.9621171573});
}

TEST(BceWithLogits, GradientIsSigmoidMinusTarget) {
  Tensor x = leaf({0, 2, -1}), y = leaf({1, 0, 0.5});
  F::binary_cross_entropy_with_logits(x, y).backward();
  const double s2 = 1 / (1 + std::exp(-2.0)), sm1 = 1 / (1 + std::exp(1.0));
  expect_values(x.grad(), {(0.5 - 1) / 3, s2 / 3, (sm1 - 0.5) / 3});
  expect_values(y.grad(), {0, -2.0 / 3, 1.0 / 3});  // -x / 3
}

TEST(BceWithLogits, StableForHugeLogits) {
  Tensor x = leaf({100, -100, 100, -1000});
  Tensor l = F::binary_cross_entropy_with_logits(x, tensor({0, 1, 1, 0}, kF64), Tensor(), Reduction::None);
  expect_values(l, {100, 100, 0, 0});
  l.sum().backward();
  expect_values(x.grad(), {1, -1, 0, 0});
}

TEST(BceWithLogits, Errors) {
  EXPECT_THAT(error_of([&] {
                F::binary_cross_entropy_with_logits(zeros({4, 3}), zeros({4}));
              }),
              HasSubstr("[binary_cross_entropy_with_logits] input of shape (4, 3) and target of shape (4,) differ"));
  EXPECT_THAT(error_of([&] {
                F::binary_cross_entropy_with_logits(zeros({4, 3}), zeros({4, 3}), Tensor(), Reduction::Mean, ones({4}));
              }),
              HasSubstr("pos_weight of shape (4,) does not broadcast to input of shape (4, 3)"));
}

// ---- cross_entropy / nll_loss (forwarded to the fused ops) ----

TEST(CrossEntropyForward, SameAsTheOps) {
  Tensor z = tensor({{1, 2, 0.5}, {0.1, -1, 3}}, kF64);
  Tensor t = ids({2, 0}, {2}), w = tensor({1, 2, 0.5}, kF64);
  expect_scalar(F::cross_entropy(z, t, w, Reduction::Mean, -100, 0.1),
                cross_entropy(z, t, w, Reduction::Mean, -100, 0.1).item());
  expect_scalar(nn::CrossEntropyLoss(w, -100, Reduction::Sum, 0.1)(z, t),
                cross_entropy(z, t, w, Reduction::Sum, -100, 0.1).item());
  // [0, 0] logits: each -log softmax = log 2
  expect_scalar(nn::CrossEntropyLoss()(zeros({3, 2}, kF64), ids({0, 1, 1}, {3})), std::log(2.0));
  Tensor lp = log_softmax(z, 1);
  expect_scalar(F::nll_loss(lp, t), nll_loss(lp, t).item());
  expect_values(nn::NLLLoss(Tensor(), 0, Reduction::None)(lp, t), {-lp.at({0, 2}), 0.0});
}

// ---- focal losses ----

TEST(SigmoidFocalLoss, HandValuesEveryReduction) {
  // x = 0, y = 1: p_t = 0.5, ce = log 2: 0.25 * 0.25 * 0.693147 = 0.043322
  // x = 2, y = 0: p_t = 1 - sigmoid(2) = 0.119203, alpha_t = 0.75: 0.75 * 0.880797^2 * 2.126928 = 1.237559
  Tensor x = tensor({0, 2, -1}, kF64), y = tensor({1, 0, 0.5}, kF64);
  const std::vector<double> l = {0.0433216988, 1.2375586346, 0.1016577109};
  expect_values(F::sigmoid_focal_loss(x, y), l);  // torchvision's default reduction: none
  expect_scalar(F::sigmoid_focal_loss(x, y, 0.25, 2.0, Reduction::Sum), l[0] + l[1] + l[2]);
  expect_scalar(F::sigmoid_focal_loss(x, y, 0.25, 2.0, Reduction::Mean), (l[0] + l[1] + l[2]) / 3);
  expect_scalar(nn::FocalLoss()(x, y), (l[0] + l[1] + l[2]) / 3);
  // no alpha, gamma 1: 0.5 * log 2;  0.880797 * 2.126928
  expect_values(F::sigmoid_focal_loss(x, y, -1.0, 1.0), {0.3465735903, 1.8733919772, 0.4066308438});
  // gamma 0, no alpha: plain binary cross-entropy with logits
  expect_values(F::sigmoid_focal_loss(x, y, -1.0, 0.0),
                F::binary_cross_entropy_with_logits(x, y, Tensor(), Reduction::None).to_vector<double>());
}

TEST(SigmoidFocalLoss, Gradient) {
  Tensor x = leaf({0, 2, -1});
  F::sigmoid_focal_loss(x, tensor({1, 0, 0.5}, kF64), 0.25, 2.0, Reduction::Sum).backward();
  expect_values(x.grad(), {-0.0745716988, 0.8075352978, -0.0288823223});
}

TEST(SoftmaxFocalLoss, HandValues) {
  // logits [0, 0], target 0: p_t = 0.5: (1 - 0.5)^2 * log 2 = 0.173287; alpha[0] = 2 doubles it.
  // logits [0, log 3], target 1: p_t = 0.75: 0.25^2 * -log 0.75 = 0.0625 * 0.287682 = 0.017980
  Tensor z = tensor({{0, 0}, {0, std::log(3.0)}}, kF64);
  Tensor t = ids({0, 1}, {2});
  const double a = 0.25 * std::log(2.0), b = 0.0625 * -std::log(0.75);
  expect_values(F::softmax_focal_loss(z, t, Tensor(), 2.0, Reduction::None), {a, b});
  expect_scalar(F::softmax_focal_loss(z, t, Tensor(), 2.0, Reduction::Sum), a + b);
  expect_scalar(F::softmax_focal_loss(z, t), (a + b) / 2);
  Tensor alpha = tensor({2, 0.5}, kF64);
  expect_values(F::softmax_focal_loss(z, t, alpha, 2.0, Reduction::None), {2 * a, 0.5 * b});
  // Mean divides by the number of targets, not by the sum of alpha.
  expect_scalar(nn::FocalLoss(2.0, alpha)(z, t), (2 * a + 0.5 * b) / 2);
}

TEST(SoftmaxFocalLoss, GammaZeroIsCrossEntropy) {
  Tensor z = randn({6, 4, 3}, kF64);
  Tensor t = ids({0, 3, 1, -100, 2, 2, 1, 0, 3, 3, -100, 1, 0, 0, 2, 1, 1, 3}, {6, 3});
  for (Reduction r : {Reduction::None, Reduction::Sum, Reduction::Mean}) {
    Tensor a = z.detach().requires_grad_(), b = z.detach().requires_grad_();
    Tensor fl = F::softmax_focal_loss(a, t, Tensor(), 0.0, r);
    Tensor ce = cross_entropy(b, t, Tensor(), r);
    expect_values(fl, ce.to_vector<double>(), 1e-12);
    Tensor g = r == Reduction::None ? randn(ce.shape(), kF64) : Tensor();
    fl.backward(g);
    ce.backward(g);
    expect_values(a.grad(), b.grad().to_vector<double>(), 1e-12);
  }
}

TEST(SoftmaxFocalLoss, IgnoredTargetsContributeNothing) {
  Tensor z = tensor({{0, 0}, {1, 2}}, kF64).requires_grad_();
  Tensor l = F::softmax_focal_loss(z, ids({0, -100}, {2}), tensor({1, 3}, kF64), 0.5, Reduction::Mean);
  expect_scalar(l, std::sqrt(0.5) * std::log(2.0));  // only the first row, mean over 1 target
  l.backward();
  std::vector<double> g = z.grad().to_vector<double>();
  EXPECT_TRUE(std::isfinite(g[0]));
  EXPECT_EQ(g[2], 0.0);
  EXPECT_EQ(g[3], 0.0);
}

TEST(SoftmaxFocalLoss, Errors) {
  EXPECT_THAT(error_of([&] {
                F::softmax_focal_loss(zeros({4, 3}), ids({0, 1, 2}, {3}));
              }),
              HasSubstr("[softmax_focal_loss] target of shape (3,) does not match logits of shape (4, 3)"));
  EXPECT_THAT(error_of([&] {
                F::softmax_focal_loss(zeros({2, 3}), ids({0, 1}, {2}), ones({2}));
              }),
              HasSubstr("[softmax_focal_loss] alpha must have shape (3,) for 3 classes, got (2,)"));
  EXPECT_THAT(error_of([&] {
                F::sigmoid_focal_loss(zeros({2, 3}), zeros({3, 2}));
              }),
              HasSubstr("[sigmoid_focal_loss] input of shape (2, 3) and target of shape (3, 2) differ"));
}

// ---- kl_div ----

TEST(KlDiv, EveryReduction) {
  // p (log p - log q): 0.5 log 2 = 0.346574;  0.5 log(2/3) = -0.202733;  log(1/0.6) = 0.510826;  p = 0 gives 0
  Tensor lq = log(tensor({{0.25, 0.75}, {0.6, 0.4}}, kF64)), p = tensor({{0.5, 0.5}, {1.0, 0.0}}, kF64);
  const std::vector<double> l = {0.3465735903, -0.2027325541, 0.5108256238, 0.0};
  const double s = 0.6546666600;
  expect_values(F::kl_div(lq, p, nn::KLDivReduction::None), l);
  expect_scalar(F::kl_div(lq, p, nn::KLDivReduction::Sum), s);
  expect_scalar(F::kl_div(lq, p), s / 4);
  expect_scalar(F::kl_div(lq, p, nn::KLDivReduction::BatchMean), s / 2);
  expect_scalar(nn::KLDivLoss(nn::KLDivReduction::BatchMean)(lq, p), s / 2);
}

TEST(KlDiv, LogTargetAndGradients) {
  // log_target: exp(t) (t - x); second row p = [0.9, 0.1]: 0.9 log(0.9/0.6) = 0.364919, 0.1 log(0.1/0.4) = -0.138629
  Tensor lq = log(tensor({{0.25, 0.75}, {0.6, 0.4}}, kF64)).requires_grad_();
  Tensor lp = log(tensor({{0.5, 0.5}, {0.9, 0.1}}, kF64));
  expect_values(F::kl_div(lq, lp, nn::KLDivReduction::None, true),
                {0.3465735903, -0.2027325541, 0.3649185973, -0.1386294361});
  F::kl_div(lq, lp, nn::KLDivReduction::Sum, true).backward();
  expect_values(lq.grad(), {-0.5, -0.5, -0.9, -0.1});  // d/dx = -p
  // The target gradient is log p + 1 - x; at p = 0 it is -x here (PyTorch gives NaN there).
  Tensor p = leaf({0.5, 0.0});
  F::kl_div(log(tensor({0.25, 0.75}, kF64)), p, nn::KLDivReduction::Sum).backward();
  expect_values(p.grad(), {std::log(0.5) + 1 - std::log(0.25), -std::log(0.75)});
}

TEST(KlDiv, ShapeError) {
  EXPECT_THAT(error_of([&] {
                F::kl_div(zeros({2, 3}), zeros({2, 1}));
              }),
              HasSubstr("[kl_div] input of shape (2, 3) and target of shape (2, 1) differ"));
}

// ---- compute_class_weights ----

TEST(ClassWeights, Balanced) {
  // 6 labels, 3 classes, counts 3, 1, 2: 6 / (3 * 3), 6 / 3, 6 / (3 * 2)
  Tensor w = nn::compute_class_weights(ids({0, 2, 0, 1, 2, 0}, {6}), 3);
  EXPECT_EQ(w.dtype(), kFloat32);
  expect_values(w, {2.0 / 3, 2.0, 1.0}, 1e-7);
  // Any shape of labels; balanced weights make every class's total weight n / C.
  expect_values(nn::compute_class_weights(ids({1, 1, 1, 0}, {2, 2}), 2), {2.0, 2.0 / 3}, 1e-7);
}

TEST(ClassWeights, Errors) {
  EXPECT_THAT(error_of([&] {
                nn::compute_class_weights(ids({0, 0, 2}, {3}), 3);
              }),
              HasSubstr("[compute_class_weights] class 1 has no samples"));
  EXPECT_THAT(error_of([&] {
                nn::compute_class_weights(ids({0, 3}, {2}), 3);
              }),
              HasSubstr("label 3 is out of range for 3 classes"));
  EXPECT_THAT(error_of([&] { nn::compute_class_weights(zeros({3}), 3); }), HasSubstr("must be int64"));
}

// ---- gradients with respect to both input and target (the table checks the input only) ----

TEST(LossGradcheck, InputAndTarget) {
  Generator gen(42);
  auto real = [&] { return randn({3, 4}, kF64, &gen).requires_grad_(); };
  auto unit = [&] { return (rand({3, 4}, kF64, &gen) * 0.9 + 0.05).requires_grad_(); };
  Tensor pw = tensor({3, 1, 0.5, 2}, kF64), w = tensor({0.5, 1, 2, 1.5}, kF64);
  struct Case {
    const char* name;
    std::function<Tensor(const TensorList&)> fn;
    TensorList inputs;
  };
  std::vector<Case> cases = {
      {"mse", [](const TensorList& x) { return F::mse_loss(x[0], x[1]); }, {real(), real()}},
      {"bce",
       [&](const TensorList& x) { return F::binary_cross_entropy(x[0], x[1], w, Reduction::Sum); },
       {unit(), unit()}},
      {"bce_logits",
       [&](const TensorList& x) { return F::binary_cross_entropy_with_logits(x[0], x[1], w); },
       {real(), unit()}},
      {"bce_logits.pos_weight",
       [&](const TensorList& x) {
         return F::binary_cross_entropy_with_logits(x[0], x[1], Tensor(), Reduction::None, pw);
       },
       {real(), unit()}},
      {"sigmoid_focal", [](const TensorList& x) { return F::sigmoid_focal_loss(x[0], x[1]); }, {real(), unit()}},
      {"kl_div",
       [](const TensorList& x) { return F::kl_div(x[0], x[1], nn::KLDivReduction::BatchMean); },
       {real(), unit()}},
      {"kl_div.log_target",
       [](const TensorList& x) { return F::kl_div(x[0], x[1], nn::KLDivReduction::None, true); },
       {real(), real()}},
  };
  for (const Case& c : cases) {
    GradcheckReport r = gradcheck(c.fn, c.inputs);
    EXPECT_TRUE(r.passed) << c.name << ": " << r.message;
    EXPECT_EQ(r.inputs.size(), 2u) << c.name;
  }
}

// ---- the module forms through the common base ----

TEST(LossModules, NamesAndPolymorphicCall) {
  std::vector<std::unique_ptr<nn::Loss>> losses;
  losses.push_back(std::make_unique<nn::MSELoss>());
  losses.push_back(std::make_unique<nn::L1Loss>());
  losses.push_back(std::make_unique<nn::BCEWithLogitsLoss>());
  std::vector<std::string> names;
  Tensor x = tensor({0.5, 1.5}), y = tensor({1.0, 0.0});
  for (const auto& l : losses) {
    names.push_back(l->name());
    EXPECT_EQ((*l)(x, y).dim(), 0);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"MSELoss", "L1Loss", "BCEWithLogitsLoss"}));
  EXPECT_NEAR(nn::MSELoss()(x, y).item(), (0.25 + 2.25) / 2, 1e-6);
}

}  // namespace
}  // namespace strata
