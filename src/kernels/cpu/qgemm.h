#pragma once
// int8 GEMM with int32 accumulation, for post-training quantized inference (nn/quantized.h):
//   acc[m, n] = sum_k (A[m, k] - a_zero) * W[n, k]                      (exact, int32)
//   C[m, n]   = a_scale * w_scale[n] * acc[m, n] + bias[n]             (float32 epilogue)
// A: M x K activations, uint8 with a zero point (asymmetric) or int8 (symmetric, a_zero = 0), row-major (lda).
// W: N x K int8 weights in PyTorch's (out, in) layout, symmetric per output channel (w_real = w_scale[n] * q).
// The fast path widens both operands to int16 and uses AVX2 vpmaddwd (16 exact multiply-adds per
// instruction, no saturation: |a - a_zero| <= 255, |w| <= 127), on weights packed once at quantization time.
// Measured against widening to float + gemm<float> in docs/quantization.md. OpenMP over (row, column) tiles
// when the product is large enough; single-threaded inside a parallel region.
#include <cstdint>
#include <vector>

namespace strata::kernels::cpu {

// Weights packed for the kernel: int16, K padded to even, N padded to 16, interleaved per 16-column panel as
// [k / 2][16 columns][2]. Holds the int8 values (the file keeps int8; this is the in-memory form).
struct QPackedWeights {
  int64_t n = 0, k = 0, k_pad = 0, n_pad = 0;
  std::vector<int16_t> data;  // n_pad / 16 panels of k_pad * 16
};

// w: (N, K) int8, row stride ldw.
QPackedWeights qgemm_pack_weights(const int8_t* w, int64_t N, int64_t K, int64_t ldw);

// Activations widened for the kernel: (M, k_pad) int16 holding a - a_zero (zero in the K padding).
// im2col-style callers may fill this form directly (QuantizedConv2d does).
void qgemm_pack_activations(const uint8_t* a, int64_t M, int64_t K, int64_t lda, int32_t a_zero, int64_t k_pad,
                            int16_t* out);
void qgemm_pack_activations(const int8_t* a, int64_t M, int64_t K, int64_t lda, int64_t k_pad, int16_t* out);

// acc = A16 * W^T in int32 (M x N, ldc), from packed activations (M, w.k_pad).
void qgemm_s32(int64_t M, const int16_t* a16, const QPackedWeights& w, int32_t* acc, int64_t ldc);
// C = a_scale * w_scale[n] * (A16 * W^T) + bias[n] in float32; bias may be null.
void qgemm_f32(int64_t M, const int16_t* a16, const QPackedWeights& w, float a_scale, const float* w_scale,
               const float* bias, float* C, int64_t ldc);

// The whole product from uint8 activations (packs A into a per-thread scratch buffer).
void qgemm_u8s8(int64_t M, const uint8_t* A, int64_t lda, int32_t a_zero, float a_scale, const QPackedWeights& w,
                const float* w_scale, const float* bias, float* C, int64_t ldc);

// The reference: plain loops over the unpacked operands, single-threaded (the test oracle).
void qgemm_naive_s32(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda, int32_t a_zero, const int8_t* W,
                     int64_t ldw, int32_t* acc, int64_t ldc);
void qgemm_naive_s32(int64_t M, int64_t N, int64_t K, const int8_t* A, int64_t lda, const int8_t* W, int64_t ldw,
                     int32_t* acc, int64_t ldc);

// ---- Quantization of float data (per tensor / per row), as PyTorch's observers define it. ----

// Asymmetric uint8 parameters for the range [lo, hi] (widened to include 0, so that 0 is exact):
// scale = (hi - lo) / 255, zero_point = round(-lo / scale) in [0, 255]; scale 1, zero point 0 for an all-zero range.
struct QParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};
QParams choose_qparams_u8(float lo, float hi);
// min and max of n floats (0, 0 for n == 0); non-finite values are an internal error for the caller to check.
void min_max(const float* x, int64_t n, float& lo, float& hi);
// q = clamp(round(x / scale) + zero_point, 0, 255).
void quantize_u8(const float* x, int64_t n, QParams p, uint8_t* q);
// Symmetric int8 per row: scale[r] = max|w[r, :]| / 127 (1 for a zero row), q = round(w / scale) in [-127, 127].
void quantize_rows_s8(const float* w, int64_t rows, int64_t cols, int8_t* q, float* scale);

}  // namespace strata::kernels::cpu
