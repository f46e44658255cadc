// int8 GEMM (see qgemm.h). The micro-kernel keeps a 6 x 16 int32 tile in 12 AVX2 registers; per pair of k
// it broadcasts (a[k], a[k+1]) of each row as one int32 and multiplies it into two packed weight vectors with
// vpmaddwd, which adds the two products per column: 16 exact multiply-adds per instruction (float FMA: 8).
#include "kernels/cpu/qgemm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace strata::kernels::cpu {

namespace {

constexpr int64_t kMR = 6;
constexpr int64_t kNR = 16;
// Below this many multiply-adds a call stays on one thread (a parallel region costs a few microseconds).
constexpr int64_t kParallelMacs = 64 * 64 * 64;

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// One tile: rows m0..m0+mr of a16 (stride k_pad) times one packed 16-column panel; acc is mr x 16, dense.
template <int MR>
void micro_kernel(const int16_t* a, int64_t k_pad, const int16_t* panel, int32_t* acc) {
#ifdef __AVX2__
  __m256i c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = _mm256_setzero_si256();
  for (int64_t k = 0; k < k_pad; k += 2) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + k * kNR));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + k * kNR + 16));
    for (int r = 0; r < MR; ++r) {
      int32_t pair;
      std::memcpy(&pair, a + r * k_pad + k, sizeof pair);
      const __m256i b = _mm256_set1_epi32(pair);
      c0[r] = _mm256_add_epi32(c0[r], _mm256_madd_epi16(b, w0));
      c1[r] = _mm256_add_epi32(c1[r], _mm256_madd_epi16(b, w1));
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * kNR), c0[r]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + r * kNR + 8), c1[r]);
  }
#else
  for (int r = 0; r < MR; ++r) {
    int32_t* c = acc + r * kNR;
    std::fill(c, c + kNR, 0);
    for (int64_t k = 0; k < k_pad; k += 2) {
      const int32_t a0 = a[r * k_pad + k], a1 = a[r * k_pad + k + 1];
      const int16_t* w = panel + k * kNR;
      for (int64_t j = 0; j < kNR; ++j) c[j] += a0 * w[2 * j] + a1 * w[2 * j + 1];
    }
  }
#endif
}

void run_tile(int64_t mr, const int16_t* a, int64_t k_pad, const int16_t* panel, int32_t* acc) {
  switch (mr) {
    case 1: micro_kernel<1>(a, k_pad, panel, acc); break;
    case 2: micro_kernel<2>(a, k_pad, panel, acc); break;
    case 3: micro_kernel<3>(a, k_pad, panel, acc); break;
    case 4: micro_kernel<4>(a, k_pad, panel, acc); break;
    case 5: micro_kernel<5>(a, k_pad, panel, acc); break;
    default: micro_kernel<6>(a, k_pad, panel, acc); break;
  }
}

// Calls store(m0, mr, n0, nr, tile) for every tile, OpenMP over tiles for large products.
template <class Store>
void for_each_tile(int64_t M, const int16_t* a16, const QPackedWeights& w, Store store) {
  const int64_t m_blocks = (M + kMR - 1) / kMR;
  const int64_t panels = w.n_pad / kNR;
  const int64_t tiles = m_blocks * panels;
  auto body = [&](int64_t t) {
    alignas(32) int32_t acc[kMR * kNR];
    const int64_t p = t / m_blocks, mb = t % m_blocks;  // panel-major: a thread's tiles share weight panels
    const int64_t m0 = mb * kMR, mr = std::min(kMR, M - m0);
    const int64_t n0 = p * kNR, nr = std::min(kNR, w.n - n0);
    run_tile(mr, a16 + m0 * w.k_pad, w.k_pad, w.data.data() + p * w.k_pad * kNR, acc);
    store(m0, mr, n0, nr, acc);
  };
  const bool parallel = M * w.n * w.k >= kParallelMacs && tiles > 1 && !omp_in_parallel();
  if (parallel) {
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) body(t);
  } else {
    for (int64_t t = 0; t < tiles; ++t) body(t);
  }
}

// Grow-only scratch for the widened activations, one per thread.
int16_t* scratch(size_t n) {
  thread_local std::vector<int16_t> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

}  // namespace

QPackedWeights qgemm_pack_weights(const int8_t* w, int64_t N, int64_t K, int64_t ldw) {
  QPackedWeights p;
  p.n = N;
  p.k = K;
  p.k_pad = round_up(std::max<int64_t>(K, 1), 2);
  p.n_pad = round_up(std::max<int64_t>(N, 1), kNR);
  p.data.assign(static_cast<size_t>(p.n_pad * p.k_pad), 0);
  for (int64_t n = 0; n < N; ++n) {
    int16_t* panel = p.data.data() + (n / kNR) * p.k_pad * kNR;
    const int64_t j = n % kNR;
    for (int64_t k = 0; k < K; ++k) panel[(k / 2) * 2 * kNR + 2 * j + (k % 2)] = w[n * ldw + k];
  }
  return p;
}

void qgemm_pack_activations(const uint8_t* a, int64_t M, int64_t K, int64_t lda, int32_t a_zero, int64_t k_pad,
                            int16_t* out) {
  for (int64_t m = 0; m < M; ++m) {
    const uint8_t* src = a + m * lda;
    int16_t* dst = out + m * k_pad;
    for (int64_t k = 0; k < K; ++k) dst[k] = static_cast<int16_t>(src[k] - a_zero);
    std::fill(dst + K, dst + k_pad, int16_t{0});
  }
}

void qgemm_pack_activations(const int8_t* a, int64_t M, int64_t K, int64_t lda, int64_t k_pad, int16_t* out) {
  for (int64_t m = 0; m < M; ++m) {
    const int8_t* src = a + m * lda;
    int16_t* dst = out + m * k_pad;
    for (int64_t k = 0; k < K; ++k) dst[k] = src[k];
    std::fill(dst + K, dst + k_pad, int16_t{0});
  }
}

void qgemm_s32(int64_t M, const int16_t* a16, const QPackedWeights& w, int32_t* acc, int64_t ldc) {
  for_each_tile(M, a16, w, [&](int64_t m0, int64_t mr, int64_t n0, int64_t nr, const int32_t* tile) {
    for (int64_t r = 0; r < mr; ++r) std::copy(tile + r * kNR, tile + r * kNR + nr, acc + (m0 + r) * ldc + n0);
  });
}

void qgemm_f32(int64_t M, const int16_t* a16, const QPackedWeights& w, float a_scale, const float* w_scale,
               const float* bias, float* C, int64_t ldc) {
  for_each_tile(M, a16, w, [&](int64_t m0, int64_t mr, int64_t n0, int64_t nr, const int32_t* tile) {
    float s[kNR], b[kNR];
    for (int64_t j = 0; j < nr; ++j) {
      s[j] = a_scale * w_scale[n0 + j];
      b[j] = bias ? bias[n0 + j] : 0.0f;
    }
    for (int64_t r = 0; r < mr; ++r) {
      float* c = C + (m0 + r) * ldc + n0;
      const int32_t* t = tile + r * kNR;
      for (int64_t j = 0; j < nr; ++j) c[j] = s[j] * static_cast<float>(t[j]) + b[j];
    }
  });
}

void qgemm_u8s8(int64_t M, const uint8_t* A, int64_t lda, int32_t a_zero, float a_scale, const QPackedWeights& w,
                const float* w_scale, const float* bias, float* C, int64_t ldc) {
  int16_t* a16 = scratch(static_cast<size_t>(std::max<int64_t>(M, 1) * w.k_pad));
  qgemm_pack_activations(A, M, w.k, lda, a_zero, w.k_pad, a16);
  qgemm_f32(M, a16, w, a_scale, w_scale, bias, C, ldc);
}

void qgemm_naive_s32(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda, int32_t a_zero, const int8_t* W,
                     int64_t ldw, int32_t* acc, int64_t ldc) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      int32_t s = 0;
      for (int64_t k = 0; k < K; ++k) s += (static_cast<int32_t>(A[m * lda + k]) - a_zero) * W[n * ldw + k];
      acc[m * ldc + n] = s;
    }
  }
}

void qgemm_naive_s32(int64_t M, int64_t N, int64_t K, const int8_t* A, int64_t lda, const int8_t* W, int64_t ldw,
                     int32_t* acc, int64_t ldc) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      int32_t s = 0;
      for (int64_t k = 0; k < K; ++k) s += static_cast<int32_t>(A[m * lda + k]) * W[n * ldw + k];
      acc[m * ldc + n] = s;
    }
  }
}

QParams choose_qparams_u8(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  QParams p;
  if (hi - lo <= 0.0f) return p;
  p.scale = (hi - lo) / 255.0f;
  p.zero_point = static_cast<int32_t>(std::clamp(std::nearbyint(-lo / p.scale), 0.0f, 255.0f));
  return p;
}

void min_max(const float* x, int64_t n, float& lo, float& hi) {
  float a = n > 0 ? x[0] : 0.0f, b = a;
  for (int64_t i = 0; i < n; ++i) {
    a = std::min(a, x[i]);
    b = std::max(b, x[i]);
  }
  lo = a;
  hi = b;
}

void quantize_u8(const float* x, int64_t n, QParams p, uint8_t* q) {
  const float inv = 1.0f / p.scale, zp = static_cast<float>(p.zero_point);
  for (int64_t i = 0; i < n; ++i) {
    q[i] = static_cast<uint8_t>(std::clamp(std::nearbyint(x[i] * inv) + zp, 0.0f, 255.0f));
  }
}

void quantize_rows_s8(const float* w, int64_t rows, int64_t cols, int8_t* q, float* scale) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = w + r * cols;
    float m = 0.0f;
    for (int64_t c = 0; c < cols; ++c) m = std::max(m, std::fabs(src[c]));
    const float s = m > 0.0f ? m / 127.0f : 1.0f;
    scale[r] = s;
    for (int64_t c = 0; c < cols; ++c) {
      q[r * cols + c] = static_cast<int8_t>(std::clamp(std::nearbyint(src[c] / s), -127.0f, 127.0f));
    }
  }
}

}  // namespace strata::kernels::cpu
