// The vectorised float32 math kernels (kernels/cpu/vec_math.h): ulp error against double-precision std::
// over a dense sweep of all floats, special values, agreement with the naive references at lengths around
// the vector widths and kParallelGrain, and the unary_array driver on strided layouts.
#include "kernels/cpu/vec_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <vector>

#include "kernels/cpu/elementwise.h"

namespace vec = strata::kernels::cpu::vec;
using strata::kernels::cpu::kParallelGrain;

namespace {

using ArrayFn = void (*)(float*, const float*, int64_t);
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kMinSub = 1.401298464324817e-45;  // 2^-149, the smallest float subnormal

// |got - want| in units of the last place of the float nearest want (subnormal ulp below FLT_MIN).
// Returns +inf when got and want differ in kind (nan vs number, inf vs finite).
double ulp_error(float got, double want) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got) ? 0.0 : INFINITY;
  const float wf = static_cast<float>(want);
  if (std::isinf(wf) || std::isinf(got)) return wf == got ? 0.0 : INFINITY;
  int e = wf == 0.0f ? -126 : std::max(std::ilogb(wf), -126);
  return std::abs(static_cast<double>(got) - want) / std::ldexp(1.0, e - 23);
}

double ref_exp(double x) { return std::exp(x); }
double ref_tanh(double x) { return std::tanh(x); }
double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double ref_silu(double x) { return x / (1.0 + std::exp(-x)); }
double two_u(double x) { return 2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x); }
// Written as x sigmoid(2u): 0.5 x (1 + tanh u) cancels badly in the negative tail even in double.
double ref_gelu_tanh(double x) { return x / (1.0 + std::exp(-two_u(x))); }
double ref_gelu(double x) { return 0.5 * x * std::erfc(-x * 0.7071067811865476); }
double ref_erfc(double x) { return std::erfc(x); }

// Float tolerance of erfc-based kernels: the erfc fit is good to 1.2e-7; the float rounding of the exponent
// -a^2 + P(t) costs up to about a^2 ulp (1.5 a^2 allowed with FMA, where a^2 is split exactly; 3 a^2
// without), plus the subnormal floor |x| 2^-149.
#if defined(__FMA__)
constexpr double kPerSquare = 1.5;
#else
constexpr double kPerSquare = 3.0;
#endif
double erfc_tolerance(double x, double want, double exponent) {
  const float wf = static_cast<float>(want);
  const double ulp = std::ldexp(1.0, std::max(wf == 0.0f ? -126 : std::ilogb(wf), -126) - 23);
  return 10.0 + kPerSquare * std::min(exponent, 1e30) + std::abs(x) * kMinSub / ulp;
}

// Every 997th float bit pattern (about 4.3 million values over the whole range, both signs, subnormals,
// infinities and nans), plus the edges of each kernel's branches.
const std::vector<float>& sweep() {
  static const std::vector<float> xs = [] {
    std::vector<float> v;
    for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 997) v.push_back(std::bit_cast<float>(static_cast<uint32_t>(b)));
    for (float x : {0.0f,
                    -0.0f,
                    kInf,
                    -kInf,
                    kNaN,
                    -kNaN,
                    std::numeric_limits<float>::max(),
                    std::numeric_limits<float>::lowest(),
                    std::numeric_limits<float>::min(),
                    std::numeric_limits<float>::denorm_min(),
                    -std::numeric_limits<float>::denorm_min(),
                    88.72283f,
                    88.72284f,
                    88.7229f,
                    89.0f,
                    89.5f,
                    -87.33654f,
                    -87.3366f,
                    -103.27893f,
                    -103.9720f,
                    -103.9721f,
                    -104.0f,
                    -104.5f,
                    0.625f,
                    -0.625f,
                    0.62499994f,
                    -0.62499994f,
                    1e-20f,
                    -1e-20f,
                    9.0f,
                    -9.0f,
                    20.0f,
                    -20.0f}) {
      v.push_back(x);
      v.push_back(std::nextafter(x, kInf));
      v.push_back(std::nextafter(x, -kInf));
    }
    return v;
  }();
  return xs;
}

// Largest error of `fn` over the sweep with a per-input tolerance in ulps; reports the worst input.
struct SweepResult {
  double worst_ratio = 0;  // error / tolerance
  double worst_ulp = 0;
  float worst_x = 0;
  float got = 0;
  double want = 0;
};

template <class Ref, class Tol>
SweepResult run_sweep(ArrayFn fn, Ref ref, Tol tol_ulp) {
  const auto& xs = sweep();
  std::vector<float> out(xs.size(), 12345.0f);
  fn(out.data(), xs.data(), static_cast<int64_t>(xs.size()));
  SweepResult r;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = ref(static_cast<double>(xs[i]));
    const double err = ulp_error(out[i], want);
    const double tol = std::isfinite(xs[i]) ? tol_ulp(static_cast<double>(xs[i]), want) : 1.0;
    const double ratio = err == 0.0 ? 0.0 : err / tol;
    if (!(ratio <= r.worst_ratio)) {
      r = {ratio, err, xs[i], out[i], want};
      if (std::isinf(ratio) || std::isnan(ratio)) break;
    }
  }
  return r;
}

#define EXPECT_SWEEP_OK(r, name)                                                                                \
  EXPECT_LE((r).worst_ratio, 1.0) << name << ": " << (r).worst_ulp << " ulp at x = " << (r).worst_x << " (got " \
                                  << (r).got << ", want " << (r).want << ")"

}  // namespace

TEST(VecMath, ExpUlpSweep) {
  auto r = run_sweep(vec::exp, ref_exp, [](double, double) { return 1.5; });
  EXPECT_SWEEP_OK(r, "exp");
}

TEST(VecMath, TanhUlpSweep) {
  auto r = run_sweep(vec::tanh, ref_tanh, [](double, double) { return 1.5; });
  EXPECT_SWEEP_OK(r, "tanh");
}

TEST(VecMath, SigmoidUlpSweep) {
  // exp's 1 ulp passes through e / (1 + e) unscaled in the negative half: 2.3 ulp measured.
  auto r = run_sweep(vec::sigmoid, ref_sigmoid, [](double, double) { return 2.5; });
  EXPECT_SWEEP_OK(r, "sigmoid");
}

TEST(VecMath, SiluUlpSweep) {
  // x * sigmoid(x): below x = -87 sigmoid(x) is subnormal, and its absolute resolution 2^-149 is scaled
  // by |x|; that floor is allowed on top of 3.5 ulp.
  auto r = run_sweep(vec::silu, ref_silu, [](double x, double want) {
    const float wf = static_cast<float>(want);
    const double ulp = std::ldexp(1.0, std::max(wf == 0.0f ? -126 : std::ilogb(wf), -126) - 23);
    return 3.5 + std::abs(x) * kMinSub / ulp;
  });
  EXPECT_SWEEP_OK(r, "silu");
}

TEST(VecMath, GeluTanhUlpSweep) {
  // exp(-2u) amplifies the float rounding of 2u by |2u| (the function's own conditioning in the tail),
  // plus the subnormal floor as for silu.
  auto r = run_sweep(vec::gelu_tanh, ref_gelu_tanh, [](double x, double want) {
    const float wf = static_cast<float>(want);
    const double ulp = std::ldexp(1.0, std::max(wf == 0.0f ? -126 : std::ilogb(wf), -126) - 23);
    return 4.0 + 4.0 * std::min(std::abs(two_u(x)), 1e30) + std::abs(x) * kMinSub / ulp;
  });
  EXPECT_SWEEP_OK(r, "gelu_tanh");
}

TEST(VecMath, GeluUlpSweep) {
  // Measured: 8 ulp near x = -3, 68 near x = -12 (exponent x^2 / 2 = 70) with FMA.
  auto r = run_sweep(vec::gelu, ref_gelu, [](double x, double want) { return erfc_tolerance(x, want, 0.5 * x * x); });
  EXPECT_SWEEP_OK(r, "gelu");
}

TEST(VecMath, ErfcUlpSweep) {
  // Measured: 13 ulp near x = 2.7, 68 near x = 8.1 (exponent 66) with FMA.
  auto r = run_sweep(vec::erfc, ref_erfc, [](double x, double want) { return erfc_tolerance(x, want, x * x); });
  EXPECT_SWEEP_OK(r, "erfc");
}

TEST(VecMath, GeluTanhUlpModerateRange) {
  // Where 2u is moderate the plain ulp bound holds.
  std::vector<float> xs;
  for (float x = -3.0f; x <= 3.0f; x += 1.0f / 1024) xs.push_back(x);
  std::vector<float> out(xs.size());
  vec::gelu_tanh(out.data(), xs.data(), static_cast<int64_t>(xs.size()));
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) worst = std::max(worst, ulp_error(out[i], ref_gelu_tanh(xs[i])));
  EXPECT_LE(worst, 40.0);  // gelu(-3) = -0.004: the u rounding costs ~|2u| ulp at most
}

// gelu's backward against double-precision Phi(x) + x phi(x), and its reference, over [-30, 30].
TEST(VecMath, GeluBackwardMatchesTheDerivative) {
  std::vector<float> xs, dy;
  for (float x = -30.0f; x <= 30.0f; x += 0.0137f) xs.push_back(x);
  for (size_t i = 0; i < xs.size(); ++i) dy.push_back(0.5f + 0.001f * static_cast<float>(i % 997));
  const auto n = static_cast<int64_t>(xs.size());
  std::vector<float> got(xs.size(), -99.0f), ref(xs.size(), -99.0f);
  vec::gelu_backward(got.data(), xs.data(), dy.data(), n);
  vec::gelu_backward_reference(ref.data(), xs.data(), dy.data(), n);
  double worst = 0, worst_ref = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    const double want = dy[i] * (0.5 * std::erfc(-x * 0.7071067811865476) +
                                 x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi));
    worst = std::max(worst, std::abs(got[i] - want) / (1.0 + std::abs(want)));
    worst_ref = std::max(worst_ref, std::abs(ref[i] - want) / (1.0 + std::abs(want)));
  }
  EXPECT_LE(worst, 1e-6);
  EXPECT_LE(worst_ref, 1e-6);
}

TEST(VecMath, SpecialValues) {
  auto one = [](ArrayFn fn, float x) {
    float in[1] = {x}, out[1] = {12345.0f};
    fn(out, in, 1);
    return out[0];
  };
  // exp: overflow, underflow through the subnormals, -0, nan
  EXPECT_EQ(one(vec::exp, kInf), kInf);
  EXPECT_EQ(one(vec::exp, -kInf), 0.0f);
  EXPECT_TRUE(std::isnan(one(vec::exp, kNaN)));
  EXPECT_EQ(one(vec::exp, -0.0f), 1.0f);
  EXPECT_EQ(one(vec::exp, 0.0f), 1.0f);
  EXPECT_EQ(one(vec::exp, 88.8f), kInf);
  EXPECT_EQ(one(vec::exp, 1000.0f), kInf);
  EXPECT_TRUE(std::isfinite(one(vec::exp, 88.72283f)));
  EXPECT_NEAR(one(vec::exp, 88.72283f), 3.4028e38f, 1e34f);
  EXPECT_EQ(one(vec::exp, -200.0f), 0.0f);
  float sub = one(vec::exp, -100.0f);  // 3.72e-44: subnormal, 26.6 x 2^-149
  EXPECT_GT(sub, 0.0f);
  EXPECT_LT(sub, std::numeric_limits<float>::min());
  EXPECT_NEAR(sub, 3.720076e-44, 1.5e-45);
  EXPECT_EQ(one(vec::exp, 1.0f), std::numbers::e_v<float>);
  // tanh: odd, -0 keeps its sign, saturates, nan
  EXPECT_TRUE(std::signbit(one(vec::tanh, -0.0f)));
  EXPECT_EQ(one(vec::tanh, -0.0f), 0.0f);
  EXPECT_EQ(one(vec::tanh, kInf), 1.0f);
  EXPECT_EQ(one(vec::tanh, -kInf), -1.0f);
  EXPECT_EQ(one(vec::tanh, 50.0f), 1.0f);
  EXPECT_TRUE(std::isnan(one(vec::tanh, kNaN)));
  EXPECT_EQ(one(vec::tanh, 1e-30f), 1e-30f);
  EXPECT_EQ(one(vec::tanh, -0.3f), -one(vec::tanh, 0.3f));
  // sigmoid: saturates to exactly 0 and 1, subnormal tail, nan
  EXPECT_EQ(one(vec::sigmoid, kInf), 1.0f);
  EXPECT_EQ(one(vec::sigmoid, -kInf), 0.0f);
  EXPECT_EQ(one(vec::sigmoid, 0.0f), 0.5f);
  EXPECT_EQ(one(vec::sigmoid, -0.0f), 0.5f);
  EXPECT_EQ(one(vec::sigmoid, 200.0f), 1.0f);
  EXPECT_NEAR(one(vec::sigmoid, -100.0f), 3.720076e-44, 1.5e-45);
  EXPECT_TRUE(std::isnan(one(vec::sigmoid, kNaN)));
  // silu and gelu: nan propagates, 0 maps to 0, large positive x to x
  EXPECT_TRUE(std::isnan(one(vec::silu, kNaN)));
  EXPECT_TRUE(std::isnan(one(vec::gelu_tanh, kNaN)));
  EXPECT_EQ(one(vec::silu, 0.0f), 0.0f);
  EXPECT_EQ(one(vec::gelu_tanh, 0.0f), 0.0f);
  EXPECT_EQ(one(vec::silu, 100.0f), 100.0f);
  EXPECT_EQ(one(vec::gelu_tanh, 100.0f), 100.0f);
  EXPECT_EQ(one(vec::gelu_tanh, 1e20f), 1e20f);
  EXPECT_EQ(one(vec::silu, -200.0f), 0.0f);
  EXPECT_EQ(one(vec::gelu_tanh, -30.0f), 0.0f);
  EXPECT_TRUE(std::isnan(one(vec::gelu, kNaN)));
  EXPECT_EQ(one(vec::gelu, 0.0f), 0.0f);
  EXPECT_EQ(one(vec::gelu, 100.0f), 100.0f);
  EXPECT_EQ(one(vec::gelu, 1e30f), 1e30f);
  EXPECT_EQ(one(vec::gelu, kInf), kInf);
  EXPECT_EQ(one(vec::gelu, -30.0f), 0.0f);
  EXPECT_TRUE(std::isnan(one(vec::erfc, kNaN)));
  EXPECT_EQ(one(vec::erfc, kInf), 0.0f);
  EXPECT_EQ(one(vec::erfc, -kInf), 2.0f);
  EXPECT_EQ(one(vec::erfc, 20.0f), 0.0f);
  EXPECT_EQ(one(vec::erfc, -20.0f), 2.0f);
  EXPECT_NEAR(one(vec::erfc, 0.0f), 1.0f, 2e-7f);
  EXPECT_NEAR(one(vec::erfc, -0.0f), 1.0f, 2e-7f);
  EXPECT_NEAR(one(vec::erfc, 10.0f), 2.088487583762545e-45, 1.5e-45);  // subnormal
}

// Each kernel against its naive std:: reference at lengths around the vector widths (8 floats for AVX2,
// 16 for AVX-512) and kParallelGrain, on inputs in [-12, 12]; the tail beyond n must stay untouched.
struct KernelPair {
  const char* name;
  ArrayFn fast;
  ArrayFn reference;
  double max_ulp;
  double abs_tol;  // for the references that cancel (gelu's 1 + tanh)
};

TEST(VecMath, KernelsMatchReferencesAtManyLengths) {
  const KernelPair pairs[] = {
      {"exp", vec::exp, vec::exp_reference, 2.0, 0.0},
      {"tanh", vec::tanh, vec::tanh_reference, 3.0, 0.0},
      {"sigmoid", vec::sigmoid, vec::sigmoid_reference, 4.0, 0.0},
      {"silu", vec::silu, vec::silu_reference, 4.0, 0.0},
      {"gelu_tanh", vec::gelu_tanh, vec::gelu_tanh_reference, 4.0, 2e-6},
      {"gelu", vec::gelu, vec::gelu_reference, 4.0, 2e-6},   // the reference's 1 + erf cancels
      {"erfc", vec::erfc, vec::erfc_reference, 150.0, 0.0},  // ~x^2 ulp in the tail (see ErfcUlpSweep)
  };
  const int64_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000, kParallelGrain - 1, kParallelGrain + 37};
  for (const auto& p : pairs) {
    for (int64_t n : lengths) {
      std::vector<float> in(static_cast<size_t>(n) + 3), got(in.size(), -777.0f), want(in.size(), -777.0f);
      for (int64_t i = 0; i < n; ++i)
        in[static_cast<size_t>(i)] = -12.0f + 24.0f * static_cast<float>((i * 7919) % 10007) / 10007.0f;
      p.fast(got.data(), in.data(), n);
      p.reference(want.data(), in.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const size_t k = static_cast<size_t>(i);
        const double err = std::abs(static_cast<double>(got[k]) - want[k]);
        EXPECT_TRUE(ulp_error(got[k], want[k]) <= p.max_ulp || err <= p.abs_tol)
            << p.name << " n=" << n << " i=" << i << " x=" << in[k] << " got " << got[k] << " want " << want[k];
      }
      for (size_t k = static_cast<size_t>(n); k < got.size(); ++k)
        ASSERT_EQ(got[k], -777.0f) << p.name << " wrote past n=" << n;
    }
  }
}

TEST(VecMath, InPlace) {
  std::vector<float> x(100), y(100);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.1f - 5.0f;
  vec::tanh(y.data(), x.data(), 100);
  vec::tanh(x.data(), x.data(), 100);
  EXPECT_EQ(x, y);
}

// The unary_array driver: contiguous runs go to the array kernel whole, strided runs through its buffer;
// every layout must give the values the kernel gives on a contiguous copy, also across threads.
TEST(VecMath, UnaryArrayDriverOnStridedLayouts) {
  using namespace strata;
  using strata::kernels::cpu::make_plan;
  using strata::kernels::cpu::unary_array;
  struct Layout {
    Shape shape;
    Strides in_strides;
  };
  // (rows, cols) read transposed from a (cols, rows) buffer; a sliced (every 3rd) column; a broadcast row;
  // a large transposed case above kParallelGrain with a length that is not a multiple of 256.
  const Layout layouts[] = {
      {{5, 7}, {1, 5}}, {{300, 3}, {1, 300}}, {{40, 9}, {27, 3}}, {{4, 513}, {0, 1}}, {{191, 263}, {1, 191}},
  };
  for (const auto& l : layouts) {
    int64_t span = 1;
    for (size_t d = 0; d < l.shape.size(); ++d) span += (l.shape[d] - 1) * l.in_strides[d];
    std::vector<float> in(static_cast<size_t>(span));
    for (size_t i = 0; i < in.size(); ++i) in[i] = std::sin(static_cast<float>(i) * 0.37f) * 9.0f;
    const int64_t n = l.shape.numel();
    std::vector<float> out(static_cast<size_t>(n), -777.0f), gathered(static_cast<size_t>(n)),
        want(static_cast<size_t>(n));
    Strides out_strides = contiguous_strides(l.shape);
    auto plan = make_plan<2>(l.shape, {&out_strides, &l.in_strides});
    unary_array(plan, out.data(), in.data(), vec::exp);
    // The same elements gathered by the naive reference iterator, then one contiguous kernel call.
    strata::kernels::cpu::unary_reference(l.shape, gathered.data(), out_strides, in.data(), l.in_strides,
                                          [](float v) { return v; });
    vec::exp(want.data(), gathered.data(), n);
    EXPECT_EQ(out, want) << "shape " << l.shape << " strides " << l.in_strides;
  }
}
