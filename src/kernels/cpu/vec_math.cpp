// Array forms of the vectorisable float32 math in vec_math.h, and their naive std:: references.
#include "kernels/cpu/vec_math.h"

#include <cmath>

namespace strata::kernels::cpu::vec {

// Each loop is a plain map over a contiguous run; `omp simd` lets GCC vectorise it without -ffast-math.
#define STRATA_VEC_MAP(fn) _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) out[i] = fn(in[i])

void exp(float* out, const float* in, int64_t n) { STRATA_VEC_MAP(exp_f); }
void tanh(float* out, const float* in, int64_t n) { STRATA_VEC_MAP(tanh_f); }
void sigmoid(float* out, const float* in, int64_t n) { STRATA_VEC_MAP(sigmoid_f); }
void silu(float* out, const float* in, int64_t n) { STRATA_VEC_MAP(silu_f); }
void gelu_tanh(float* out, const float* in, int64_t n) { STRATA_VEC_MAP(gelu_tanh_f); }
void gelu(float* out, const float* in, int64_t n) { STRATA_VEC_MAP(gelu_f); }
void erfc(float* out, const float* in, int64_t n) { STRATA_VEC_MAP(erfc_f); }

void gelu_backward(float* dx, const float* x, const float* dy, int64_t n) {
  _Pragma("omp simd") for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * gelu_grad_f(x[i]);
}

#undef STRATA_VEC_MAP

void exp_reference(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::exp(in[i]);
}
void tanh_reference(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
}
void sigmoid_reference(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i]));
}
void silu_reference(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] / (1.0f + std::exp(-in[i]));
}
void gelu_tanh_reference(float* out, const float* in, int64_t n) {
  const float k = 0.7978845608028654f;  // sqrt(2 / pi)
  for (int64_t i = 0; i < n; ++i) {
    float x = in[i];
    out[i] = 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
  }
}

void gelu_reference(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * 0.70710678118654752f));
}

void erfc_reference(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::erfc(in[i]);
}

void gelu_backward_reference(float* dx, const float* x, const float* dy, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    const double d = 0.5 * std::erfc(-v * 0.70710678118654752) + v * std::exp(-0.5 * v * v) * 0.3989422804014327;
    dx[i] = static_cast<float>(dy[i] * d);
  }
}

}  // namespace strata::kernels::cpu::vec
