#pragma once
// Vectorisable float32 math: exp, tanh, sigmoid, erfc and the activations built on them (silu, both gelus).
// Each scalar function is branch-free (selects only) so that GCC auto-vectorises the array loops in
// vec_math.cpp (AVX2/AVX-512 with -march=native; needs -fno-trapping-math, no -ffast-math). The array
// kernels take contiguous runs: out[i] = f(in[i]) for i < n, and out may equal in. Each has a naive std::
// reference beside it. Accuracy over the full float range (tests/kernels/vec_math_test.cpp): exp 1.0 ulp,
// tanh 1.3, sigmoid 2.3, silu 2.9 (where sigmoid(x) is normal); gelu and erfc ~8 ulp where their tails
// start, growing with the size of the exponent -z^2 further out; overflow to inf, underflow to 0 through
// the subnormals, -0 and nan propagate correctly.
#include <bit>
#include <cmath>
#include <cstdint>

namespace strata::kernels::cpu::vec {

// exp(x): Cody-Waite range reduction x = n ln2 + r (|r| <= ln2/2), Cephes' degree-6 polynomial for e^r,
// then e^r * 2^n applied as two power-of-two factors so that results overflow to inf and go subnormal
// with a single rounding.
inline float exp_f(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln2 = kLn2Hi + kLn2Lo, kLn2Hi with 9 significant bits
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // exp(89) overflows and exp(-104) underflows; clamping keeps n in [-150, 129]. NaN passes through.
  float xc = x > 89.0f ? 89.0f : x;
  xc = xc < -104.0f ? -104.0f : xc;
  float t = xc * kLog2e + kRound;
  float n = t - kRound;
  // The low bits of t hold n (as an integer, offset by kRound's own bits).
  uint32_t ni = std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(kRound);
  float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  // 2^n = 2^n1 * 2^n2 with n1 = floor(n / 2): both factors are normal floats for n in [-150, 129].
  uint32_t n1 = static_cast<uint32_t>(static_cast<int32_t>(ni) >> 1);
  uint32_t n2 = ni - n1;
  float s1 = std::bit_cast<float>((n1 + 127u) << 23);
  float s2 = std::bit_cast<float>((n2 + 127u) << 23);
  return (y * s1) * s2;
}

// tanh(x): Cephes' odd polynomial for |x| < 0.625, 1 - 2 / (exp(2|x|) + 1) above; the sign of x
// (including -0) is put back at the end.
inline float tanh_f(float x) {
  float ax = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu);
  float z = ax * ax;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * ax + ax;
  float large = 1.0f - 2.0f / (exp_f(2.0f * ax) + 1.0f);
  float r = ax < 0.625f ? small : large;
  return std::bit_cast<float>(std::bit_cast<uint32_t>(r) | (std::bit_cast<uint32_t>(x) & 0x80000000u));
}

// sigmoid(x) = 1 / (1 + exp(-x)), evaluated with e = exp(-|x|) as 1 / (1 + e) for x >= 0 and e / (1 + e)
// for x < 0, so that the negative tail keeps full relative accuracy down to the subnormals.
inline float sigmoid_f(float x) {
  float ax = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu);
  float e = exp_f(-ax);
  return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

// silu(x) = x * sigmoid(x)
inline float silu_f(float x) { return x * sigmoid_f(x); }

// gelu with the tanh approximation: 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
// The sigmoid form is the same function and keeps relative accuracy in the negative tail.
inline float gelu_tanh_f(float x) {
  constexpr float kTwoSqrt2OverPi = 1.5957691216057308f;  // 2 * sqrt(2 / pi)
  float u2 = kTwoSqrt2OverPi * (x + 0.044715f * x * x * x);
  return x * sigmoid_f(u2);
}

// P(t) of Numerical Recipes' Chebyshev fit erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), z >= 0, whose
// fractional error is below 1.2e-7 for every z >= 0.
inline float erfc_poly(float t) {
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  return p * t - 1.26551223f;
}

// s * exp(-(a^2) + p) with a^2 carried as a rounded square plus its rounding error (an FMA where the
// target has one), so that the large negative exponent of the tails is formed accurately.
inline float exp_minus_square(float a, float s, float p) {
  float a2 = a * a;
#if defined(__FMA__)
  float a2_lo = std::fma(a, a, -a2);
#else
  float a2_lo = 0.0f;
#endif
  return exp_f((p - s * a2_lo) - s * a2);
}

// erfc(x): the fit above at |x| (capped at 11, where erfc is 0 in float; nan passes through), and
// 2 - erfc(|x|) for x < 0.
inline float erfc_f(float x) {
  float ax = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu);
  ax = ax > 11.0f ? 11.0f : ax;
  float t = 1.0f / (1.0f + 0.5f * ax);
  float e = t * exp_minus_square(ax, 1.0f, erfc_poly(t));
  return x < 0.0f ? 2.0f - e : e;
}

// Exact gelu x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2: with z = |x| / sqrt 2, Phi = erfc(z) / 2 for x < 0
// (the tail, with full relative accuracy) and 1 - erfc(z) / 2 above. z^2 = x^2 / 2 is formed from x^2
// directly. Beyond |x| = 20 Phi is 0 or 1 in float, so |x| is capped there.
inline float gelu_f(float x) {
  float ax = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu);
  ax = ax > 20.0f ? 20.0f : ax;
  float t = 1.0f / (1.0f + ax * 0.35355339059327376f);  // 1 / (1 + z / 2)
  float half_erfc = 0.5f * t * exp_minus_square(ax, 0.5f, erfc_poly(t));
  return x * (x < 0.0f ? half_erfc : 1.0f - half_erfc);
}

// d/dx gelu(x) = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi); Phi as in gelu_f. Beyond |x| = 20
// the derivative is 0 or 1 in float.
inline float gelu_grad_f(float x) {
  float ax = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu);
  ax = ax > 20.0f ? 20.0f : ax;
  float t = 1.0f / (1.0f + ax * 0.35355339059327376f);
  float half_erfc = 0.5f * t * exp_minus_square(ax, 0.5f, erfc_poly(t));
  float pdf = 0.3989422804014327f * exp_minus_square(ax, 0.5f, 0.0f);  // 1 / sqrt(2 pi)
  float cdf = x < 0.0f ? half_erfc : 1.0f - half_erfc;
  float xc = x < -20.0f ? -20.0f : (x > 20.0f ? 20.0f : x);
  return cdf + xc * pdf;
}

// Array kernels over contiguous runs (vectorised), and their std:: references (one element at a time).
void exp(float* out, const float* in, int64_t n);
void tanh(float* out, const float* in, int64_t n);
void sigmoid(float* out, const float* in, int64_t n);
void silu(float* out, const float* in, int64_t n);
void gelu_tanh(float* out, const float* in, int64_t n);
void gelu(float* out, const float* in, int64_t n);
void erfc(float* out, const float* in, int64_t n);
// dx[i] = dy[i] * gelu'(x[i]) (exact gelu's backward in one pass); dx may equal dy.
void gelu_backward(float* dx, const float* x, const float* dy, int64_t n);

void exp_reference(float* out, const float* in, int64_t n);
void tanh_reference(float* out, const float* in, int64_t n);
void sigmoid_reference(float* out, const float* in, int64_t n);
void silu_reference(float* out, const float* in, int64_t n);
void gelu_tanh_reference(float* out, const float* in, int64_t n);
void gelu_reference(float* out, const float* in, int64_t n);
void erfc_reference(float* out, const float* in, int64_t n);
void gelu_backward_reference(float* dx, const float* x, const float* dy, int64_t n);

}  // namespace strata::kernels::cpu::vec
