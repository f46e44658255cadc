// Hand-computed (and PyTorch 1.13-checked) values and gradients for the activations: relu, leaky_relu,
// sigmoid, tanh, gelu (exact and tanh), softplus, silu; dtypes, strided inputs and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>

#include "strata/strata.h"

using namespace strata;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

void expect_values(const Tensor& t, std::initializer_list<double> want, double tol = 1e-6) {
  std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << "shape " << t.shape();
  size_t i = 0;
  for (double w : want) {
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << ": got " << got[i] << ", want nan";
    } else if (std::isinf(w)) {
      EXPECT_EQ(got[i], w) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], w, tol * std::max(1.0, std::abs(w))) << "element " << i;
    }
    ++i;
  }
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The inputs PyTorch's values below were computed at.
const std::initializer_list<double> kXs = {-3, -1, -0.5, 0, 0.5, 1, 3};

// Checks y = f(x) for float32 and float64 (tolerances 2e-6 and 1e-11) and the float64 gradient of sum(y).
template <class F>
void check_activation(F f, std::initializer_list<double> want_y, std::initializer_list<double> want_grad) {
  expect_values(f(tensor(kXs)), want_y, 2e-6);
  Tensor x = tensor(kXs, TensorOptions(kFloat64)).requires_grad_();
  Tensor y = f(x);
  EXPECT_EQ(y.dtype(), kFloat64);
  expect_values(y, want_y, 1e-11);
  y.sum().backward();
  expect_values(x.grad(), want_grad, 1e-11);
}

}  // namespace

TEST(Activation, Relu) {
  check_activation([](const Tensor& t) { return relu(t); }, {0, 0, 0, 0, 0.5, 1, 3}, {0, 0, 0, 0, 1, 1, 1});
  expect_values(relu(tensor({kNaN, -kInf, kInf})), {kNaN, 0, kInf});  // nan stays nan (PyTorch)
  Tensor i = relu(tensor({-2, 3}, TensorOptions(kInt64)));
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{0, 3}));
  EXPECT_NE(error_of([] { relu(tensor({1}, TensorOptions(kBool))); }).find("[relu]"), std::string::npos);
  expect_values(tensor({{-1, 2}, {3, -4}}).t().relu(), {0, 3, 2, 0});
}

TEST(Activation, LeakyRelu) {
  // gradient at 0 is the slope (PyTorch)
  check_activation([](const Tensor& t) { return leaky_relu(t, 0.2); }, {-0.6, -0.2, -0.1, 0, 0.5, 1, 3},
                   {0.2, 0.2, 0.2, 0.2, 1, 1, 1});
  expect_values(leaky_relu(tensor({-100, 2})), {-1, 2});  // default slope 0.01
  expect_values(leaky_relu(tensor({kNaN})), {kNaN});
  EXPECT_EQ(leaky_relu(tensor({-1}, TensorOptions(kInt64))).dtype(), kFloat32);
}

TEST(Activation, Sigmoid) {
  check_activation(
      [](const Tensor& t) { return sigmoid(t); },
      {0.0474258731776, 0.26894142137, 0.377540668798, 0.5, 0.622459331202, 0.73105857863, 0.952574126822},
      {0.0451766597309, 0.196611933241, 0.235003712202, 0.25, 0.235003712202, 0.196611933241, 0.0451766597309});
  // saturation without overflow, and an accurate negative tail (PyTorch float32 flushes sigmoid(-100) to 0)
  expect_values(sigmoid(tensor({-kInf, kInf, 100, kNaN})), {0, 1, 1, kNaN});
  EXPECT_NEAR(sigmoid(tensor({-100}, TensorOptions(kFloat64))).item(), 3.720075976020836e-44, 1e-57);
  EXPECT_NEAR(sigmoid(tensor({-20})).item(), 2.06115369216775e-09, 1e-15);
  expect_values(tensor({0}).sigmoid(), {0.5});
}

TEST(Activation, Tanh) {
  check_activation(
      [](const Tensor& t) { return tanh(t); },
      {-0.995054753687, -0.761594155956, -0.46211715726, 0, 0.46211715726, 0.761594155956, 0.995054753687},
      {0.00986603716544, 0.419974341614, 0.786447732966, 1, 0.786447732966, 0.419974341614, 0.00986603716544});
  expect_values(tanh(tensor({-kInf, kInf, 20, -20, kNaN})), {-1, 1, 1, -1, kNaN});
  EXPECT_TRUE(std::signbit(tanh(tensor({-0.0})).item()));
  expect_values(tensor({{0.5, -1}, {1, 3}}).t().tanh(),
                {0.46211715726, 0.761594155956, -0.761594155956, 0.995054753687});
}

TEST(Activation, GeluExact) {
  check_activation(
      [](const Tensor& t) { return gelu(t); },
      {-0.00404969409489, -0.158655253931, -0.154268769363, 0, 0.345731230637, 0.841344746069, 2.99595030591},
      {-0.0119456472042, -0.0833154705877, 0.132504875344, 0.5, 0.867495124656, 1.08331547059, 1.0119456472});
  // large |x|: x and (a tiny negative) 0
  expect_values(gelu(tensor({20, 100})), {20, 100});
  EXPECT_LE(std::abs(gelu(tensor({-20})).item()), 1e-30);
  EXPECT_TRUE(std::isnan(gelu(tensor({kNaN})).item()));
  // strided input through the float32 vector path
  Tensor m = tensor({{-1, 0.5}, {1, 3}});
  expect_values(gelu(m.t()), {-0.158655253931, 0.841344746069, 0.345731230637, 2.99595030591}, 2e-6);
}

// The float32 backward is one fused kernel (vec::gelu_backward); float64 keeps the composite rule. They agree,
// on a strided input and a strided output gradient, across the tails and the middle.
TEST(Activation, GeluExactFusedFloat32BackwardMatchesFloat64) {
  Tensor x64 = mul(randn({64, 48}, TensorOptions(kFloat64)), 4.0).t();  // strided, |x| up to ~16
  Tensor g64 = randn({48, 64}, TensorOptions(kFloat64));
  Tensor x32 = x64.to(kFloat32).detach().requires_grad_(), xd = x64.to(kFloat32).to(kFloat64).requires_grad_();
  gelu(x32).backward(g64.to(kFloat32));
  gelu(xd).backward(g64.to(kFloat32).to(kFloat64));
  const std::vector<double> got = x32.grad().to_vector<double>(), want = xd.grad().to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(got[i] - want[i]) / (1.0 + std::abs(want[i])));
  EXPECT_LE(worst, 2e-6);
  EXPECT_EQ(x32.grad().dtype(), kFloat32);
}

TEST(Activation, GeluTanh) {
  check_activation(
      [](const Tensor& t) { return gelu(t, "tanh"); },
      {-0.00363739208177, -0.158808009392, -0.154285990175, 0, 0.345714009825, 0.841191990608, 2.99636260792},
      {-0.011584166631, -0.0829640838458, 0.132630096465, 0.5, 0.867369903535, 1.08296408385, 1.01158416663});
  expect_values(gelu(tensor({20, 100}), "tanh"), {20, 100});
  EXPECT_LE(std::abs(gelu(tensor({-20}), "tanh").item()), 1e-30);
  // strided input through the float32 vector path
  Tensor m = tensor({{-1, 0.5}, {1, 3}});
  expect_values(gelu(m.t(), "tanh"), {-0.158808009392, 0.841191990608, 0.345714009825, 2.99636260792}, 2e-6);
}

TEST(Activation, GeluBadApproximate) {
  std::string msg = error_of([] { gelu(tensor({1}), "erf"); });
  EXPECT_NE(msg.find("[gelu]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("erf"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { gelu(tensor({1}), ""); }).find("[gelu]"), std::string::npos);
  EXPECT_NE(error_of([] { gelu(tensor({1}), "Tanh"); }).find("[gelu]"), std::string::npos);
}

TEST(Activation, Softplus) {
  check_activation(
      [](const Tensor& t) { return softplus(t); },
      {0.0485873515737, 0.313261687518, 0.47407698418, 0.69314718056, 0.97407698418, 1.31326168752, 3.04858735157},
      {0.0474258731776, 0.26894142137, 0.377540668798, 0.5, 0.622459331202, 0.73105857863, 0.952574126822});
  // beta = 2, threshold = 1: linear (gradient 1) where 2x > 1
  check_activation([](const Tensor& t) { return softplus(t, 2.0, 1.0); },
                   {0.00123784256887, 0.0634640055215, 0.156630843759, 0.34657359028, 0.656630843759, 1, 3},
                   {0.00247262315663, 0.119202922022, 0.26894142137, 0.5, 0.73105857863, 1, 1});
  // at the default threshold 20: x itself above it, log1p(exp(x)) at and below it (PyTorch float32 values)
  expect_values(softplus(tensor({19.9, 20.0, 20.1, -30, 1000})), {19.9, 20.0, 20.1, 9.357622912219837e-14, 1000});
  // negative beta: PyTorch gives [-4.54e-5, -10.0000458]
  expect_values(softplus(tensor({10, -10}), -1.0), {-4.5398901420412585e-05, -10.000045776367188});
}

TEST(Activation, Silu) {
  check_activation(
      [](const Tensor& t) { return silu(t); },
      {-0.142277619533, -0.26894142137, -0.188770334399, 0, 0.311229665601, 0.73105857863, 2.85772238047},
      {-0.0881041060152, 0.0723294881285, 0.260038812697, 0.5, 0.739961187303, 0.927670511871, 1.08810410602});
  expect_values(silu(tensor({100, -20})), {100, -4.1223074731533416e-08});
  expect_values(silu(tensor({1, 2, 3, 4, 5, 6}).slice(0, 1, 6, 2)), {1.76159415596, 3.92805516015, 5.98516436559});
}

TEST(Activation, IntegerInputsGiveFloat32AndHalfInputsStayHalf) {
  for (auto f : {+[](const Tensor& t) { return sigmoid(t); }, +[](const Tensor& t) { return tanh(t); },
                 +[](const Tensor& t) { return gelu(t); }, +[](const Tensor& t) { return silu(t); },
                 +[](const Tensor& t) { return softplus(t); }}) {
    Tensor i = f(tensor({-1, 0, 2}, TensorOptions(kInt64)));
    EXPECT_EQ(i.dtype(), kFloat32);
    EXPECT_EQ(i.to_vector<float>(), f(tensor({-1, 0, 2})).to_vector<float>());
    // 16-bit in, 16-bit out: computed in float32 and rounded once.
    const Tensor h = tensor({1, 2}).to(kFloat16);
    EXPECT_EQ(f(h).dtype(), kFloat16);
    EXPECT_EQ(f(h).to_vector<float>(), f(h.to(kFloat32)).to(kFloat16).to_vector<float>());
  }
}

TEST(Activation, LargeInputsMatchFloat64) {
  // Above kParallelGrain the float32 vector kernels run on two threads; compare with the float64 path
  // (std:: functions).
  Tensor x = rand({70001}, TensorOptions(kFloat64)) * 30.0 - 15.0;
  Tensor xf = x.to(kFloat32);
  struct Op {
    const char* name;
    Tensor (*f)(const Tensor&);
    double rel;  // gelu's tail: exp(-2u) amplifies the float32 rounding of 2u by |2u|
  };
  const Op ops[] = {{"sigmoid", [](const Tensor& t) { return sigmoid(t); }, 2e-6},
                    {"tanh", [](const Tensor& t) { return tanh(t); }, 2e-6},
                    {"silu", [](const Tensor& t) { return silu(t); }, 2e-6},
                    {"gelu_tanh", [](const Tensor& t) { return gelu(t, "tanh"); }, 1e-4},
                    {"gelu", [](const Tensor& t) { return gelu(t); }, 2e-5},
                    {"exp", [](const Tensor& t) { return exp(t); }, 2e-6}};
  for (const Op& op : ops) {
    std::vector<double> want = op.f(xf.to(kFloat64)).to_vector<double>();
    std::vector<float> got = op.f(xf).to_vector<float>();
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], op.rel * std::abs(want[i]) + 1e-30)
          << op.name << " at x = " << xf.to_vector<float>()[i];
    }
  }
}
