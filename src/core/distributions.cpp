// PyTorch-compatible random fills. What matches PyTorch 1.13 (CPU, checked against Debian's python3-torch
// on an AVX2 machine; tests/core/random_test.cpp holds the reference values):
//   rand / uniform_     bit-exact for float32, float64, float16, bfloat16 (same draws, same arithmetic,
//                       including the fused multiply-add that PyTorch's AVX2 build uses for x*(to-from)+from).
//   randn / normal_     float32 with >= 16 contiguous elements: bit-exact (normal_fill_AVX2, whose
//                       avx_mathfun log/sincos polynomials are replayed below with the same single-precision
//                       operations); everything else goes through double Box-Muller with glibc's log/sin/cos,
//                       as PyTorch does, so it matches as long as the C library is the same (bit-exact here).
//   randint, randperm, bernoulli: exact integer arithmetic on the same draws.
// PyTorch's own float32 randn depends on the CPU kernel it dispatches to: its AVX2 and AVX512 builds give
// the values reproduced here; with ATEN_CPU_CAPABILITY=default (scalar normal_fill with std::log/cos/sin)
// about 40% of the values differ from these by an ulp or so (measured: max 1.9e-6 over 100k draws).
// Values are produced in the order PyTorch's TensorIterator visits the output (memory order for
// non-contiguous tensors), so in-place fills of strided views match too.
// PyTorch's kernels are built by GCC with -mfma and the default -ffp-contract=fast, which fuses a multiply
// into the add or subtract that consumes it (avx_mathfun's _mm256_mul_ps/_mm256_add_ps pairs included).
// The code below spells out each of those fusions as std::fma and forbids any other contraction (this
// project also builds with -ffp-contract=fast), so the results do not depend on the compiler's choices.
#include "core/distributions.h"

#include <bit>
#include <cmath>
#include <numbers>

#if defined(__clang__)
#define STRATA_NO_CONTRACT _Pragma("clang fp contract(off)")
#else
#pragma GCC optimize("fp-contract=off")
#define STRATA_NO_CONTRACT
#endif

namespace strata::detail {

float uniform_float_draw(Generator& g, float from, float range, int digits) {
  STRATA_NO_CONTRACT
  const uint32_t mask = (uint32_t{1} << digits) - 1;
  const float x = static_cast<float>(g.random() & mask) * (1.0f / static_cast<float>(uint32_t{1} << digits));
  return std::fma(x, range, from);
}

double uniform_double_draw(Generator& g, double from, double range) {
  STRATA_NO_CONTRACT
  constexpr uint64_t kMask = (uint64_t{1} << 53) - 1;
  const double x = static_cast<double>(g.random64() & kMask) * (1.0 / static_cast<double>(uint64_t{1} << 53));
  return std::fma(x, range, from);
}

namespace {

// avx_mathfun.h's log256_ps (Cephes logf) for one lane; valid for x > 0 (u1 lies in (0, 1]).
float mathfun_log(float x) {
  STRATA_NO_CONTRACT
  constexpr float kSqrtHalf = 0.707106781186547524f;
  constexpr float p0 = 7.0376836292E-2f, p1 = -1.1514610310E-1f, p2 = 1.1676998740E-1f, p3 = -1.2420140846E-1f,
                  p4 = 1.4249322787E-1f, p5 = -1.6668057665E-1f, p6 = 2.0000714765E-1f, p7 = -2.4999993993E-1f,
                  p8 = 3.3333331174E-1f, q1 = -2.12194440e-4f, q2 = 0.693359375f;
  x = std::max(x, std::bit_cast<float>(0x00800000u));  // cut off denormals
  uint32_t bits = std::bit_cast<uint32_t>(x);
  const auto exponent = static_cast<int32_t>(bits >> 23) - 0x7f;
  x = std::bit_cast<float>((bits & ~0x7f800000u) | std::bit_cast<uint32_t>(0.5f));  // mantissa in [0.5, 1)
  float e = static_cast<float>(exponent) + 1.0f;
  const bool below = x < kSqrtHalf;
  const float tmp0 = below ? x : 0.0f;
  x = x - 1.0f;
  e = e - (below ? 1.0f : 0.0f);
  x = x + tmp0;
  const float z = x * x;
  float y = p0;
  y = std::fma(y, x, p1);
  y = std::fma(y, x, p2);
  y = std::fma(y, x, p3);
  y = std::fma(y, x, p4);
  y = std::fma(y, x, p5);
  y = std::fma(y, x, p6);
  y = std::fma(y, x, p7);
  y = std::fma(y, x, p8);
  y = y * x;
  y = std::fma(y, z, e * q1);
  y = std::fma(-z, 0.5f, y);
  x = x + y;
  x = std::fma(e, q2, x);
  return x;
}

// avx_mathfun.h's sincos256_ps for one lane (x >= 0 here: theta = 2 pi u2).
void mathfun_sincos(float x, float& s, float& c) {
  STRATA_NO_CONTRACT
  constexpr float kFourOverPi = 1.27323954473516f;
  constexpr float dp1 = -0.78515625f, dp2 = -2.4187564849853515625e-4f, dp3 = -3.77489497744594108e-8f;
  constexpr float sp0 = -1.9515295891E-4f, sp1 = 8.3321608736E-3f, sp2 = -1.6666654611E-1f;
  constexpr float cp0 = 2.443315711809948E-005f, cp1 = -1.388731625493765E-003f, cp2 = 4.166664568298827E-002f;
  uint32_t sign_sin = std::bit_cast<uint32_t>(x) & 0x80000000u;
  x = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu);
  float y = x * kFourOverPi;
  auto j = static_cast<int32_t>(y);  // truncation, as _mm256_cvttps_epi32
  j = (j + 1) & ~1;
  y = static_cast<float>(j);
  const uint32_t swap_sign_sin = static_cast<uint32_t>(j & 4) << 29;
  const bool poly_sin = (j & 2) == 0;
  // Extended-precision modular arithmetic: x = ((x - y*DP1) - y*DP2) - y*DP3.
  x = std::fma(y, dp1, x);
  x = std::fma(y, dp2, x);
  x = std::fma(y, dp3, x);
  const uint32_t sign_cos = static_cast<uint32_t>(~(j - 2) & 4) << 29;
  sign_sin ^= swap_sign_sin;
  const float z = x * x;
  float yc = std::fma(cp0, z, cp1);
  yc = std::fma(yc, z, cp2);
  yc = yc * z;
  yc = std::fma(yc, z, -(z * 0.5f));
  yc = yc + 1.0f;
  float ys = std::fma(sp0, z, sp1);
  ys = std::fma(ys, z, sp2);
  ys = ys * z;
  ys = std::fma(ys, x, x);
  // The vector code selects with masks and adds +0; the adds only turn -0 into +0.
  const float sin_abs = poly_sin ? 0.0f + ys : yc + 0.0f;
  const float cos_abs = poly_sin ? yc + 0.0f : 0.0f + ys;
  s = std::bit_cast<float>(std::bit_cast<uint32_t>(sin_abs) ^ sign_sin);
  c = std::bit_cast<float>(std::bit_cast<uint32_t>(cos_abs) ^ sign_cos);
}

void normal_fill_16_float(float* data, float mean, float std) {
  STRATA_NO_CONTRACT
  const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
  for (int j = 0; j < 8; ++j) {
    const float u1 = 1.0f - data[j];
    const float u2 = data[j + 8];
    const float radius = std::sqrt(-2.0f * mathfun_log(u1));
    const float theta = two_pi * u2;
    float s = 0, c = 0;
    mathfun_sincos(theta, s, c);
    const float n1 = radius * c;
    const float n2 = radius * s;
    data[j] = std::fma(n1, std, mean);
    data[j + 8] = std::fma(n2, std, mean);
  }
}

void normal_fill_16_double(double* data, double mean, double std) {
  STRATA_NO_CONTRACT
  for (int j = 0; j < 8; ++j) {
    const double u1 = 1 - data[j];
    const double u2 = data[j + 8];
    const double radius = std::sqrt(-2 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    data[j] = std::fma(radius * std::cos(theta), std, mean);
    data[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

// normal_fill_16<Half>: c10::Half arithmetic computes in float and rounds on each store to a Half.
void normal_fill_16_half(Half* data, float mean, float std) {
  STRATA_NO_CONTRACT
  auto r = [](float v) { return static_cast<float>(Half(v)); };
  for (int j = 0; j < 8; ++j) {
    const float u1 = r(1.0f - static_cast<float>(data[j]));
    const float u2 = static_cast<float>(data[j + 8]);
    const float radius = r(std::sqrt(-2.0f * std::log(u1)));
    const float theta = r(static_cast<float>(2.0 * std::numbers::pi * static_cast<double>(u2)));
    data[j] = Half(std::fma(radius * std::cos(theta), std, mean));
    data[j + 8] = Half(std::fma(radius * std::sin(theta), std, mean));
  }
}

// normal_fill_16<BFloat16>: c10's BFloat16 operators and std:: math overloads each round to bfloat16.
void normal_fill_16_half(BFloat16* data, float mean, float std) {
  STRATA_NO_CONTRACT
  auto r = [](float v) { return static_cast<float>(BFloat16(v)); };
  for (int j = 0; j < 8; ++j) {
    const float u1 = r(1.0f - static_cast<float>(data[j]));
    const float u2 = static_cast<float>(data[j + 8]);
    const float radius = r(std::sqrt(r(-2.0f * r(std::log(u1)))));
    const float theta = r(static_cast<float>(2.0 * std::numbers::pi * static_cast<double>(u2)));
    data[j] = BFloat16(r(r(r(radius * r(std::cos(theta))) * std) + mean));
    data[j + 8] = BFloat16(r(r(r(radius * r(std::sin(theta))) * std) + mean));
  }
}

// PyTorch's normal_fill skeleton: uniforms for all n, 16-blocks in place, then the tail recomputed from
// 16 fresh uniforms over the last 16 elements (overlapping the previous block).
template <class T, class Draw, class Block>
void normal_fill_blocks(T* data, int64_t n, Draw draw, Block block) {
  for (int64_t i = 0; i < n; ++i) data[i] = draw();
  for (int64_t i = 0; i < n - 15; i += 16) block(data + i);
  if (n % 16 != 0) {
    T* tail = data + n - 16;
    for (int i = 0; i < 16; ++i) tail[i] = draw();
    block(tail);
  }
}

}  // namespace

void normal_fill_float(float* data, int64_t n, float mean, float std, Generator& g) {
  normal_fill_blocks(
      data, n, [&] { return uniform_float_draw(g, 0.0f, 1.0f, 24); },
      [&](float* p) { normal_fill_16_float(p, mean, std); });
}

void normal_fill_double(double* data, int64_t n, double mean, double std, Generator& g) {
  normal_fill_blocks(
      data, n, [&] { return uniform_double_draw(g, 0.0, 1.0); },
      [&](double* p) { normal_fill_16_double(p, mean, std); });
}

template <class T>
void normal_fill_half(T* data, int64_t n, float mean, float std, Generator& g) {
  const int digits = std::is_same_v<T, Half> ? 11 : 8;
  normal_fill_blocks(
      data, n, [&] { return T(uniform_float_draw(g, 0.0f, 1.0f, digits)); },
      [&](T* p) { normal_fill_16_half(p, mean, std); });
}

template void normal_fill_half<Half>(Half*, int64_t, float, float, Generator&);
template void normal_fill_half<BFloat16>(BFloat16*, int64_t, float, float, Generator&);

}  // namespace strata::detail
