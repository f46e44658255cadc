// Hand-computed values, gradients, dtypes, layouts and errors for the elementwise family: pow, sqrt, rsqrt,
// square, exp, log, log1p, erf, abs, sign, clamp, minimum, maximum, where, the comparisons, the logical ops,
// allclose, the operators and the Tensor methods of this family.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>

#include "kernels/cpu/loops.h"
#include "strata/strata.h"

using namespace strata;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Compares every element (row-major) with `want`; nan must be nan, infinities exact, others within rel tol.
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

// The message of the strata::Error that f throws ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::string& msg, std::initializer_list<const char*> parts) {
  EXPECT_FALSE(msg.empty()) << "no strata::Error was thrown";
  for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}

Tensor leaf(std::initializer_list<double> v) { return tensor(v, TensorOptions(kFloat64)).requires_grad_(); }
Tensor bools(std::initializer_list<double> v) { return tensor(v, TensorOptions(kBool)); }

void expect_bools(const Tensor& t, std::initializer_list<bool> want) {
  EXPECT_EQ(t.dtype(), kBool);
  EXPECT_EQ(t.to_vector<bool>(), std::vector<bool>(want)) << "shape " << t.shape();
}

// d(sum(y))/dx for y = f(x).
template <class F>
Tensor grad_of(F&& f, const Tensor& x) {
  Tensor y = f(x);
  y.sum().backward();
  return x.grad();
}

}  // namespace

// ---- pow ----

TEST(Pow, ScalarExponentValues) {
  Tensor x = tensor({1, 2, 3, -2});
  expect_values(pow(x, 2.0), {1, 4, 9, 4});
  expect_values(pow(x, 3.0), {1, 8, 27, -8});
  expect_values(pow(x, 1.0), {1, 2, 3, -2});
  expect_values(pow(x, 0.0), {1, 1, 1, 1});
  expect_values(pow(x, -1.0), {1, 0.5, 1.0 / 3, -0.5});
  expect_values(pow(x, -2.0), {1, 0.25, 1.0 / 9, 0.25});
  expect_values(pow(x, 0.5), {1, std::sqrt(2.0), std::sqrt(3.0), kNaN});
  expect_values(pow(x, -0.5), {1, 1 / std::sqrt(2.0), 1 / std::sqrt(3.0), kNaN});
  expect_values(pow(tensor({1, 4, 9}), 2.5), {1, 32, 243});
  expect_values(pow(tensor({-8, 8}), 1.0 / 3), {kNaN, 2});  // fractional power of a negative: nan
  EXPECT_EQ(pow(x, 2.5).dtype(), kFloat32);
  EXPECT_EQ(tensor({2, 3}).pow(2.0).to_vector<double>(), (std::vector<double>{4, 9}));
}

TEST(Pow, ScalarExponentGradient) {
  // d/dx x^2.5 = 2.5 x^1.5
  expect_values(grad_of([](const Tensor& t) { return pow(t, 2.5); }, leaf({4, 1})), {20, 2.5});
  expect_values(grad_of([](const Tensor& t) { return pow(t, 2.0); }, leaf({-3, 0.5})), {-6, 1});
  expect_values(grad_of([](const Tensor& t) { return pow(t, -1.0); }, leaf({2, -0.5})), {-0.25, -4});
  // x^0 is constant: zero gradient even at x = 0 (not 0 * 0^-1 = nan)
  expect_values(grad_of([](const Tensor& t) { return pow(t, 0.0); }, leaf({0, 2})), {0, 0});
  // x^0.5 at 0: inf, as PyTorch
  expect_values(grad_of([](const Tensor& t) { return pow(t, 0.5); }, leaf({0, 4})), {kInf, 0.25});
}

TEST(Pow, IntegerTensors) {
  Tensor i = tensor({1, -2, 3}, TensorOptions(kInt64));
  Tensor sq = pow(i, 2.0);
  EXPECT_EQ(sq.dtype(), kInt64);
  EXPECT_EQ(sq.to_vector<int64_t>(), (std::vector<int64_t>{1, 4, 9}));
  EXPECT_EQ(pow(i, 3.0).to_vector<int64_t>(), (std::vector<int64_t>{1, -8, 27}));
  Tensor half = pow(i, 0.5);  // a fractional exponent promotes to float32
  EXPECT_EQ(half.dtype(), kFloat32);
  expect_values(half, {1, kNaN, std::sqrt(3.0)});
  expect_error(error_of([&] { pow(i, -1.0); }), {"[pow]", "negative"});
  Tensor b = tensor({1, 0}, TensorOptions(kBool));
  EXPECT_EQ(pow(b, 2.0).dtype(), kInt64);
  // tensor ^ tensor: int ^ int stays int64, float ^ int is float
  Tensor e = tensor({2, 3}, TensorOptions(kInt64));
  Tensor ii = pow(tensor({2, 3}, TensorOptions(kInt64)), e);
  EXPECT_EQ(ii.dtype(), kInt64);
  EXPECT_EQ(ii.to_vector<int64_t>(), (std::vector<int64_t>{4, 27}));
  Tensor fi = pow(tensor({2.5, 3}), e);
  EXPECT_EQ(fi.dtype(), kFloat32);
  expect_values(fi, {6.25, 27});
  // scalar base with an int exponent tensor: int64 for an integral base (negative powers truncate), float
  // for a fractional base
  Tensor ei = tensor({1, -2, 3}, TensorOptions(kInt64));
  Tensor p2 = pow(2.0, ei);
  EXPECT_EQ(p2.dtype(), kInt64);
  EXPECT_EQ(p2.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 8}));
  Tensor p25 = pow(2.5, ei);
  EXPECT_EQ(p25.dtype(), kFloat32);
  expect_values(p25, {2.5, 0.16, 15.625});
}

TEST(Pow, TensorExponentValuesAndGradients) {
  Tensor x = leaf({0, 1, 2}), e = leaf({0, 2, 0.5});
  Tensor y = pow(x, e);
  expect_values(y, {1, 1, std::sqrt(2.0)});
  y.sum().backward();
  // dx = e x^(e-1) (0 where e = 0), de = x^e log x (0 where x = 0 and e >= 0): PyTorch 1.13's values
  expect_values(x.grad(), {0, 2, 0.5 / std::sqrt(2.0)});
  expect_values(e.grad(), {0, 0, std::sqrt(2.0) * std::log(2.0)});
}

TEST(Pow, TensorExponentBroadcast) {
  Tensor x = from_vector<double>({2, 3}, {2, 1}).requires_grad_();  // (2, 1)
  Tensor e = leaf({1, 2, 3});                                       // (3,)
  Tensor y = pow(x, e);
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  expect_values(y, {2, 4, 8, 3, 9, 27});
  y.sum().backward();
  expect_values(x.grad(), {1 + 4 + 12, 1 + 6 + 27});
  const double l2 = std::log(2.0), l3 = std::log(3.0);
  expect_values(e.grad(), {2 * l2 + 3 * l3, 4 * l2 + 9 * l3, 8 * l2 + 27 * l3});
  expect_error(error_of([] { pow(ones({2, 3}), ones({4})); }), {"[pow]", "(2, 3)", "(4,)"});
}

TEST(Pow, ScalarBase) {
  Tensor e = leaf({0, -1, 2});
  Tensor y = pow(2.0, e);
  expect_values(y, {1, 0.5, 4});
  y.sum().backward();
  expect_values(e.grad(), {std::log(2.0), 0.5 * std::log(2.0), 4 * std::log(2.0)});
  // base 0: 0^0 = 1, 0^-1 = inf; the exponent's gradient is 0 where e >= 0 (PyTorch: [0, -inf, 0])
  Tensor e0 = leaf({0, -1, 2});
  Tensor y0 = pow(0.0, e0);
  expect_values(y0, {1, kInf, 0});
  y0.sum().backward();
  expect_values(e0.grad(), {0, -kInf, 0});
  EXPECT_EQ(pow(2.0, tensor({1, 2})).dtype(), kFloat32);
}

// ---- sqrt, rsqrt, square ----

TEST(Sqrt, ValuesGradientsAndLayouts) {
  expect_values(sqrt(tensor({0, 1, 4, 2.25, -1})), {0, 1, 2, 1.5, kNaN});
  expect_values(grad_of([](const Tensor& t) { return sqrt(t); }, leaf({4, 0.25, 0})), {0.25, 1, kInf});
  // transposed: [[1, 4], [9, 16]]^T
  Tensor m = tensor({{1, 4}, {9, 16}});
  expect_values(sqrt(m.t()), {1, 3, 2, 4});
  expect_values(m.sqrt(), {1, 2, 3, 4});
  Tensor i = sqrt(tensor({4, 9}, TensorOptions(kInt64)));  // ints compute in float32
  EXPECT_EQ(i.dtype(), kFloat32);
  expect_values(i, {2, 3});
  EXPECT_EQ(sqrt(tensor({4}, TensorOptions(kFloat64))).dtype(), kFloat64);
}

TEST(Rsqrt, ValuesAndGradient) {
  expect_values(rsqrt(tensor({4, 0.25, 0})), {0.5, 2, kInf});
  // d/dx x^-1/2 = -1/2 x^-3/2
  expect_values(grad_of([](const Tensor& t) { return rsqrt(t); }, leaf({4, 0.25})), {-0.0625, -4});
}

TEST(Square, ValuesDtypesAndGradient) {
  expect_values(square(tensor({-3, 0.5, 0})), {9, 0.25, 0});
  Tensor i = square(tensor({-3, 2}, TensorOptions(kInt64)));
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{9, 4}));
  Tensor b = square(tensor({1, 0}, TensorOptions(kBool)));
  EXPECT_EQ(b.dtype(), kInt64);
  EXPECT_EQ(b.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  expect_values(grad_of([](const Tensor& t) { return square(t); }, leaf({-3, 0.5})), {-6, 1});
  // sliced: every second column of a (2, 4)
  Tensor m = tensor({{1, 2, 3, 4}, {5, 6, 7, 8}});
  expect_values(square(m.slice(1, 0, 4, 2)), {1, 9, 25, 49});
}

// ---- exp, log, log1p, erf ----

TEST(Exp, ValuesAndGradient) {
  const double e = std::exp(1.0);
  expect_values(exp(tensor({0, 1, -1, 2, -0.0})), {1, e, 1 / e, std::exp(2.0), 1});
  expect_values(exp(tensor({1000, -1000, kNaN})), {kInf, 0, kNaN});
  expect_values(exp(tensor({0, 1, -1, 2}, TensorOptions(kFloat64))), {1, e, 1 / e, std::exp(2.0)}, 1e-15);
  expect_values(grad_of([](const Tensor& t) { return exp(t); }, leaf({0, 1, -2})), {1, e, std::exp(-2.0)});
  expect_values(tensor({0, 1}).exp(), {1, e});
  Tensor h = exp(tensor({0, 1}).to(kFloat16));  // float16 computes in float32 and returns float16
  EXPECT_EQ(h.dtype(), kFloat16);
  expect_values(h, {1, 2.71875});  // e rounded to float16's 11 significant bits
  Tensor i = exp(tensor({0, 1}, TensorOptions(kInt64)));
  EXPECT_EQ(i.dtype(), kFloat32);
  expect_values(i, {1, e});
}

TEST(Exp, Float32LayoutsGiveIdenticalResults) {
  // The float32 path hands contiguous runs to the vector kernel and gathers strided ones: a transposed,
  // a sliced and a broadcast (expanded) view must give exactly the values of their contiguous copies,
  // below and above kParallelGrain.
  for (int64_t n : {int64_t{7}, int64_t{64}, int64_t{300}}) {
    Tensor m = rand({n, n + 3}) * 20.0 - 10.0;
    Tensor views[] = {m.t(), m.slice(1, 1, n + 3, 2), m.select(1, 2).unsqueeze(0).expand({4, n})};
    for (const Tensor& v : views) {
      EXPECT_EQ(exp(v).to_vector<float>(), exp(v.contiguous()).to_vector<float>()) << "shape " << v.shape();
      EXPECT_EQ(sigmoid(v).to_vector<float>(), sigmoid(v.contiguous()).to_vector<float>());
      EXPECT_EQ(tanh(v).to_vector<float>(), tanh(v.contiguous()).to_vector<float>());
    }
  }
  // Large contiguous input (parallel path) against std::exp.
  const int64_t big = kernels::cpu::kParallelGrain * 2 + 5;
  Tensor x = rand({big}) * 40.0 - 20.0;
  std::vector<float> xv = x.to_vector<float>(), yv = exp(x).to_vector<float>();
  for (size_t i = 0; i < xv.size(); ++i) {
    ASSERT_NEAR(yv[i], std::exp(static_cast<double>(xv[i])), 2.5e-7 * std::exp(static_cast<double>(xv[i])))
        << "i = " << i;
  }
}

TEST(Log, ValuesAndGradient) {
  expect_values(log(tensor({1, static_cast<float>(std::exp(1.0)), 0.5, 0, -1})), {0, 1, std::log(0.5), -kInf, kNaN});
  expect_values(tensor({1, 4}).log(), {0, std::log(4.0)});
  expect_values(grad_of([](const Tensor& t) { return log(t); }, leaf({1, 4, 0.5})), {1, 0.25, 2});
}

TEST(Log1p, ValuesAndGradient) {
  expect_values(log1p(tensor({0, 1, -1}, TensorOptions(kFloat64))), {0, std::log(2.0), -kInf}, 1e-15);
  // accurate for tiny x, where log(1 + x) would give 0
  EXPECT_DOUBLE_EQ(log1p(tensor({1e-10}, TensorOptions(kFloat64))).item(), 9.9999999995e-11);
  EXPECT_NEAR(log1p(tensor({1e-10})).item(), 1e-10, 1e-16);
  expect_values(grad_of([](const Tensor& t) { return log1p(t); }, leaf({0, 1, -0.5})), {1, 0.5, 2});
}

TEST(Erf, ValuesAndGradient) {
  // PyTorch: erf(0.5) = 0.520499877813, erf(-1) = -0.84270079295
  expect_values(erf(tensor({0, 0.5, -1, 10})), {0, 0.520499877813, -0.84270079295, 1});
  // 2 / sqrt(pi) exp(-x^2)
  expect_values(grad_of([](const Tensor& t) { return erf(t); }, leaf({0, 0.5, -1})),
                {1.1283791671, 0.878782578935, 0.415107497421});
}

TEST(Erfc, ValuesAndGradient) {
  expect_values(erfc(tensor({0, 0.5, -1, 3, -10})), {1, 0.479500122187, 1.84270079295, 2.20904969986e-05, 2}, 2e-6);
  expect_values(erfc(tensor({0.5, 3, 10}, TensorOptions(kFloat64))),
                {0.479500122187, 2.20904969986e-05, 2.088487583762545e-45}, 1e-11);
  // the tail keeps its relative accuracy in float32 too (1 - erf would give 0)
  EXPECT_NEAR(erfc(tensor({5})).item(), 1.5374597944280349e-12, 1e-17);
  // -2 / sqrt(pi) exp(-x^2)
  expect_values(grad_of([](const Tensor& t) { return erfc(t); }, leaf({0, 0.5, -1})),
                {-1.1283791671, -0.878782578935, -0.415107497421});
  Tensor m = tensor({{0, -1}, {0.5, 3}});
  expect_values(erfc(m.t()), {1, 0.479500122187, 1.84270079295, 2.20904969986e-05}, 2e-6);
}

// ---- abs, sign ----

TEST(Abs, ValuesDtypesAndGradient) {
  expect_values(abs(tensor({-2, 0, 3, -0.5, kNaN})), {2, 0, 3, 0.5, kNaN});
  EXPECT_FALSE(std::signbit(abs(tensor({-0.0})).item()));
  Tensor i = abs(tensor({-2, 5}, TensorOptions(kInt64)));
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{2, 5}));
  expect_error(error_of([] { abs(tensor({1, 0}, TensorOptions(kBool))); }), {"[abs]", "bool"});
  // d|x|/dx = sign(x), 0 at 0 (PyTorch)
  expect_values(grad_of([](const Tensor& t) { return abs(t); }, leaf({-2, 0, 3})), {-1, 0, 1});
  expect_values(tensor({{-1, 2}, {3, -4}}).t().abs(), {1, 3, 2, 4});
}

TEST(Sign, ValuesDtypesAndGradient) {
  expect_values(sign(tensor({-2, 0, 3, kNaN, -0.0, -kInf})), {-1, 0, 1, 0, 0, -1});
  Tensor i = sign(tensor({-5, 0, 7}, TensorOptions(kInt64)));
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1}));
  Tensor b = sign(tensor({1, 0}, TensorOptions(kBool)));
  EXPECT_EQ(b.dtype(), kBool);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{true, false}));
  Tensor x = leaf({-2, 3});
  Tensor y = sign(x);
  EXPECT_TRUE(y.requires_grad());
  y.sum().backward();
  expect_values(x.grad(), {0, 0});
}

// ---- clamp ----

TEST(Clamp, ValuesWithBothOrOneBound) {
  Tensor x = tensor({-1, 0, 0.5, 1, 2, kNaN});
  expect_values(clamp(x, 0.0, 1.0), {0, 0, 0.5, 1, 1, kNaN});
  expect_values(clamp(x, 0.25, std::nullopt), {0.25, 0.25, 0.5, 1, 2, kNaN});
  expect_values(clamp(x, std::nullopt, 0.25), {-1, 0, 0.25, 0.25, 0.25, kNaN});
  // min > max gives max everywhere (PyTorch)
  expect_values(clamp(x, 1.0, 0.0), {0, 0, 0, 0, 0, kNaN});
  expect_values(clamp(tensor({-kInf, kInf}), -3.0, std::nullopt), {-3, kInf});
  expect_values(clamp(tensor({{1, 5}, {-3, 7}}).t(), 0.0, 4.0), {1, 0, 4, 4});
  expect_error(error_of([&] { clamp(x, std::nullopt, std::nullopt); }), {"[clamp]", "min", "max"});
}

TEST(Clamp, Dtypes) {
  Tensor i = tensor({1, -2, 3}, TensorOptions(kInt64));
  Tensor ci = clamp(i, 0.0, 2.0);
  EXPECT_EQ(ci.dtype(), kInt64);
  EXPECT_EQ(ci.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 2}));
  Tensor cf = clamp(i, 0.5, 2.0);  // a fractional bound promotes to float32 (PyTorch: [1, 0.5, 2])
  EXPECT_EQ(cf.dtype(), kFloat32);
  expect_values(cf, {1, 0.5, 2});
  EXPECT_EQ(clamp(i, -1e30, 1e30).to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(clamp(tensor({1}, TensorOptions(kFloat64)), 0.0, 1.0).dtype(), kFloat64);
}

TEST(Clamp, GradientPassesInsideInclusiveBounds) {
  // PyTorch 1.13: clamp(x, 0, 1) on [-1, 0, 0.5, 1, 2] has gradient [0, 1, 1, 1, 0]
  expect_values(grad_of([](const Tensor& t) { return clamp(t, 0.0, 1.0); }, leaf({-1, 0, 0.5, 1, 2})), {0, 1, 1, 1, 0});
  expect_values(grad_of([](const Tensor& t) { return clamp(t, 0.0, std::nullopt); }, leaf({-1, 0, 2})), {0, 1, 1});
  expect_values(grad_of([](const Tensor& t) { return clamp(t, std::nullopt, 0.0); }, leaf({-1, 0, 2})), {1, 1, 0});
  expect_values(grad_of([](const Tensor& t) { return clamp(t, 1.0, 0.0); }, leaf({-1, 0.5, 2})), {0, 0, 0});
}

TEST(Clamp, InPlace) {
  Tensor x = tensor({-1, 0.5, 2});
  uint64_t v = x.version();
  x.clamp_(0.0, 1.0);
  expect_values(x, {0, 0.5, 1});
  EXPECT_GT(x.version(), v);
  // a strided view writes through to its base
  Tensor m = tensor({{-5, 5}, {6, -6}});
  m.t().clamp_(std::nullopt, 1.0);
  expect_values(m, {-5, 1, 1, -6});
  Tensor i = tensor({-3, 3}, TensorOptions(kInt64));
  i.clamp_(-1.0, std::nullopt);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{-1, 3}));
  expect_error(error_of([&] { i.clamp_(0.5, std::nullopt); }), {"[clamp_]", "int64"});
  Tensor w = tensor({1, 2}).requires_grad_();
  expect_error(error_of([&] { w.clamp_(0.0, 1.0); }), {"[clamp_]", "leaf"});
  // a saved input modified in place is caught at backward time
  Tensor a = tensor({1, 2}).requires_grad_();
  Tensor h = a * 1.0;
  Tensor y = exp(h);
  {
    NoGradGuard g;
    h.clamp_(0.0, 1.5);
  }
  EXPECT_NO_THROW(y.sum().backward());  // exp saved its output, not h
  Tensor b = tensor({1, 2}).requires_grad_();
  Tensor hb = b * 1.0;
  Tensor yb = log(hb);  // log saves its input
  {
    NoGradGuard g;
    hb.clamp_(0.0, 1.5);
  }
  expect_error(error_of([&] { yb.sum().backward(); }), {"log", "modified in place"});
}

// ---- minimum, maximum ----

TEST(MinMax, ValuesBroadcastAndNan) {
  Tensor a = tensor({{1, 5, -2}, {4, 0, 3}});
  Tensor b = tensor({2, 2, 2});
  expect_values(maximum(a, b), {2, 5, 2, 4, 2, 3});
  expect_values(minimum(a, b), {1, 2, -2, 2, 0, 2});
  expect_values(maximum(a.t(), from_vector<float>({0, 1, 2}, {3, 1})), {1, 4, 5, 1, 2, 3});
  // nan in either operand propagates (PyTorch)
  expect_values(maximum(tensor({kNaN, 1, 2}), tensor({0, kNaN, 1})), {kNaN, kNaN, 2});
  expect_values(minimum(tensor({kNaN, 1, 2}), tensor({0, kNaN, 1})), {kNaN, kNaN, 1});
  expect_values(maximum(tensor({-kInf, 3}), tensor({-5, kInf})), {-5, kInf});
  expect_error(error_of([] { maximum(ones({2, 3}), ones({2})); }), {"[maximum]", "(2, 3)", "(2,)"});
  expect_error(error_of([] { minimum(ones({4}), ones({3})); }), {"[minimum]", "(4,)", "(3,)"});
}

TEST(MinMax, Dtypes) {
  Tensor i = tensor({1, 5}, TensorOptions(kInt64));
  Tensor f = tensor({2.5, 2.5});
  Tensor m = maximum(i, f);  // int64 with float32 -> float32 (PyTorch)
  EXPECT_EQ(m.dtype(), kFloat32);
  expect_values(m, {2.5, 5});
  Tensor ii = minimum(i, tensor({3, 3}, TensorOptions(kInt64)));
  EXPECT_EQ(ii.dtype(), kInt64);
  EXPECT_EQ(ii.to_vector<int64_t>(), (std::vector<int64_t>{1, 3}));
  expect_bools(maximum(bools({1, 0, 0}), bools({0, 0, 1})), {true, false, true});
  expect_bools(minimum(bools({1, 1, 0}), bools({1, 0, 1})), {true, false, false});
  EXPECT_EQ(maximum(bools({1, 0}), tensor({0.5, 0.5})).dtype(), kFloat32);
  EXPECT_EQ(maximum(tensor({1}), tensor({1}, TensorOptions(kFloat64))).dtype(), kFloat64);
}

TEST(MinMax, GradientsSplitTiesEvenly) {
  // PyTorch 1.13: maximum([1, 2, 3], [1, 3, 2]) gives a.grad [0.5, 0, 1], b.grad [0.5, 1, 0]
  Tensor a = leaf({1, 2, 3}), b = leaf({1, 3, 2});
  maximum(a, b).sum().backward();
  expect_values(a.grad(), {0.5, 0, 1});
  expect_values(b.grad(), {0.5, 1, 0});
  Tensor c = leaf({1, 2, 3}), d = leaf({1, 3, 2});
  minimum(c, d).sum().backward();
  expect_values(c.grad(), {0.5, 1, 0});
  expect_values(d.grad(), {0.5, 0, 1});
  // broadcast: b (scalar-like, shape (1,)) collects the gradient of every position it wins
  Tensor x = leaf({-1, 0, 2, 5}), t = leaf({0});
  Tensor y = maximum(x, t);
  (y * tensor({1, 10, 100, 1000}, TensorOptions(kFloat64))).sum().backward();
  expect_values(x.grad(), {0, 5, 100, 1000});
  expect_values(t.grad(), {1 + 5});
  // only one side requires grad
  Tensor p = leaf({1, 4});
  minimum(p, tensor({2, 2}, TensorOptions(kFloat64))).sum().backward();
  expect_values(p.grad(), {1, 0});
}

TEST(MinMax, MixedDtypeGradientsKeepInputDtypes) {
  Tensor a = tensor({1, 4}).requires_grad_();                           // float32
  Tensor b = tensor({2, 3}, TensorOptions(kFloat64)).requires_grad_();  // float64
  Tensor y = maximum(a, b);
  EXPECT_EQ(y.dtype(), kFloat64);
  y.sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  expect_values(a.grad(), {0, 1});
  expect_values(b.grad(), {1, 0});
}

// ---- where ----

TEST(Where, ValuesAndBroadcast) {
  Tensor c = bools({1, 0, 1});
  expect_values(where(c, tensor({1, 2, 3}), tensor({-1, -2, -3})), {1, -2, 3});
  // cond (2, 1), a (3,), b scalar-like (1, 1): result (2, 3)
  Tensor c2 = from_vector<bool>({true, false}, {2, 1});
  Tensor w = where(c2, tensor({1, 2, 3}), tensor({9}).reshape({1, 1}));
  EXPECT_EQ(w.shape(), Shape({2, 3}));
  expect_values(w, {1, 2, 3, 9, 9, 9});
  // transposed a
  Tensor m = tensor({{1, 2}, {3, 4}});
  expect_values(where(from_vector<bool>({true, false, false, true}, {2, 2}), m.t(), 0.0), {1, 0, 0, 4});
  expect_values(where(c, 7.0, tensor({1, 2, 3})), {7, 2, 7});
  expect_values(where(c, tensor({1, 2, 3}), -1.5), {1, -1.5, 3});
  expect_error(error_of([] { where(bools({1, 0}), ones({3}), ones({3})); }), {"[where]", "(2,)", "(3,)"});
  expect_error(error_of([] { where(ones({3}), ones({3}), ones({3})); }), {"[where]", "bool", "float32"});
}

TEST(Where, Dtypes) {
  Tensor c = bools({1, 0, 1});
  Tensor i = tensor({1, 2, 3}, TensorOptions(kInt64));
  Tensor wi = where(c, i, 7.0);  // int64 with an integral scalar stays int64 (PyTorch)
  EXPECT_EQ(wi.dtype(), kInt64);
  EXPECT_EQ(wi.to_vector<int64_t>(), (std::vector<int64_t>{1, 7, 3}));
  Tensor wf = where(c, i, 0.5);  // a fractional scalar promotes to float32
  EXPECT_EQ(wf.dtype(), kFloat32);
  expect_values(wf, {1, 0.5, 3});
  EXPECT_EQ(where(c, tensor({1, 2, 3}), 2.0).dtype(), kFloat32);
  EXPECT_EQ(where(c, tensor({1, 2, 3}, TensorOptions(kFloat64)), 2.0).dtype(), kFloat64);
  EXPECT_EQ(where(c, i, tensor({1, 2, 3})).dtype(), kFloat32);
  expect_bools(where(c, bools({0, 0, 0}), bools({1, 1, 1})), {false, true, false});
}

TEST(Where, GradientsFlowByMask) {
  Tensor c = bools({1, 0, 1});
  Tensor a = leaf({1, 2, 3}), b = leaf({4, 5, 6});
  Tensor y = where(c, a, b);
  (y * tensor({1, 2, 3}, TensorOptions(kFloat64))).sum().backward();
  expect_values(a.grad(), {1, 0, 3});
  expect_values(b.grad(), {0, 2, 0});
  // broadcast b (1,) gathers the gradient of every position where cond is false
  Tensor a2 = leaf({1, 2, 3}), b2 = leaf({10});
  where(c, a2, b2).sum().backward();
  expect_values(a2.grad(), {1, 0, 1});
  expect_values(b2.grad(), {1});
  // scalar forms
  Tensor a3 = leaf({1, 2, 3});
  where(c, 0.0, a3).sum().backward();
  expect_values(a3.grad(), {0, 1, 0});
}

// ---- comparisons ----

TEST(Compare, TensorTensor) {
  Tensor a = tensor({1, 2, 3}), b = tensor({3, 2, 1});
  expect_bools(eq(a, b), {false, true, false});
  expect_bools(ne(a, b), {true, false, true});
  expect_bools(lt(a, b), {true, false, false});
  expect_bools(le(a, b), {true, true, false});
  expect_bools(gt(a, b), {false, false, true});
  expect_bools(ge(a, b), {false, true, true});
  expect_bools(a == b, {false, true, false});
  expect_bools(a != b, {true, false, true});
  expect_bools(a < b, {true, false, false});
  expect_bools(a <= b, {true, true, false});
  expect_bools(a > b, {false, false, true});
  expect_bools(a >= b, {false, true, true});
  // broadcast (2, 1) vs (3,), transposed and sliced operands
  Tensor col = from_vector<float>({1, 2}, {2, 1});
  expect_bools(lt(col, tensor({0, 1.5, 3})), {false, true, true, false, false, true});
  Tensor m = tensor({{1, 2}, {3, 4}});
  expect_bools(eq(m.t(), tensor({{1, 3}, {2, 4}})), {true, true, true, true});
  expect_bools(gt(tensor({1, 2, 3, 4, 5, 6}).slice(0, 0, 6, 2), 2.0), {false, true, true});
  // nan compares unequal to everything
  expect_bools(eq(tensor({kNaN, 1}), tensor({kNaN, 1})), {false, true});
  expect_bools(ne(tensor({kNaN}), tensor({kNaN})), {true});
  expect_error(error_of([] { eq(ones({2, 3}), ones({3, 2})); }), {"[eq]", "(2, 3)", "(3, 2)"});
  expect_error(error_of([] { ge(ones({5}), ones({2})); }), {"[ge]", "(5,)", "(2,)"});
}

TEST(Compare, ScalarsAndDtypes) {
  Tensor x = tensor({0.1, 0.2});            // float32
  expect_bools(eq(x, 0.1), {true, false});  // 0.1 is rounded to float32 first (PyTorch)
  expect_bools(ne(x, 0.1), {false, true});
  Tensor i = tensor({1, 2, 3}, TensorOptions(kInt64));
  expect_bools(eq(i, 1.5), {false, false, false});
  expect_bools(lt(i, 1.5), {true, false, false});
  expect_bools(le(i, 2.0), {true, true, false});
  expect_bools(gt(i, 2.0), {false, false, true});
  expect_bools(ge(i, 2.5), {false, false, true});
  expect_bools(i < 2.0, {true, false, false});
  expect_bools(i <= 2.0, {true, true, false});
  expect_bools(i > 2.0, {false, false, true});
  expect_bools(i >= 2.0, {false, true, true});
  // int64 vs float32, bool vs int64
  expect_bools(eq(i, tensor({1, 2.5, 3})), {true, false, true});
  expect_bools(eq(bools({1, 0}), tensor({1, 1}, TensorOptions(kInt64))), {true, false});
  expect_bools(gt(bools({1, 0}), 0.5), {true, false});
  // no gradient: the result does not require grad
  Tensor w = tensor({1, 2}).requires_grad_();
  EXPECT_FALSE(gt(w, 1.0).requires_grad());
  EXPECT_FALSE(eq(w, w).requires_grad());
}

TEST(Logical, Ops) {
  // non-zero (and nan) is true
  expect_bools(logical_not(tensor({0, 0.5, kNaN, -0.0})), {true, false, false, true});
  expect_bools(logical_not(bools({1, 0})), {false, true});
  expect_bools(logical_not(tensor({0, 3}, TensorOptions(kInt64))), {true, false});
  // PyTorch: logical_and([1, 0, 2], [3, 0, 0]) = [True, False, False]
  expect_bools(logical_and(tensor({1, 0, 2}), tensor({3, 0, 0}, TensorOptions(kInt64))), {true, false, false});
  expect_bools(logical_or(tensor({1, 0, 0}), bools({0, 0, 1})), {true, false, true});
  expect_bools(logical_and(from_vector<bool>({true, false}, {2, 1}), bools({1, 1, 0})),
               {true, true, false, false, false, false});
  expect_error(error_of([] { logical_or(ones({2}), ones({3})); }), {"[logical_or]", "(2,)", "(3,)"});
}

TEST(Allclose, Tolerances) {
  Tensor a = tensor({1, 2, 3});
  EXPECT_TRUE(allclose(a, tensor({1, 2, 3})));
  EXPECT_TRUE(allclose(a, tensor({1, 2, 3.00001})));  // within rtol 1e-5 * 3
  EXPECT_FALSE(allclose(a, tensor({1, 2, 3.0001})));
  EXPECT_TRUE(allclose(a, tensor({1, 2, 3.0001}), 1e-4));
  EXPECT_TRUE(allclose(tensor({0}), tensor({1e-9})));  // within atol 1e-8
  EXPECT_FALSE(allclose(tensor({0}), tensor({1e-7})));
  EXPECT_TRUE(allclose(tensor({0}), tensor({1e-7}), 0.0, 1e-6));
  // nan is never close, equal infinities are
  EXPECT_FALSE(allclose(tensor({kNaN}), tensor({kNaN})));
  EXPECT_TRUE(allclose(tensor({kInf, -kInf}), tensor({kInf, -kInf})));
  EXPECT_FALSE(allclose(tensor({kInf}), tensor({-kInf})));
  // broadcast, strided, mixed dtypes
  EXPECT_TRUE(allclose(tensor({{1, 1}, {1, 1}}).t(), tensor({1})));
  EXPECT_TRUE(allclose(tensor({1, 2}, TensorOptions(kInt64)), tensor({1, 2}, TensorOptions(kFloat64))));
  EXPECT_TRUE(allclose(ones({0}), ones({0})));
  expect_error(error_of([] { allclose(ones({2}), ones({3})); }), {"[allclose]", "(2,)", "(3,)"});
}
