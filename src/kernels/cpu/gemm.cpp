// GEMM backends: OpenBLAS (OpenMP build) through cblas, the in-tree packed kernel (BLIS-style blocking with a
// 6x16 register tile), and the naive i-k-j reference. Measurements behind the choice: docs/performance.md.
#include "kernels/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "strata/core/threading.h"

#ifdef STRATA_HAVE_OPENBLAS
// Declared here instead of including cblas.h: that header is an alternatives symlink that may belong to
// another BLAS. Enums are passed as int (CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112).
extern "C" {
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
void cblas_dgemm(int order, int trans_a, int trans_b, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc);
void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float* a, int lda, const float* x, int incx,
                 float beta, float* y, int incy);
void cblas_dgemv(int order, int trans, int m, int n, double alpha, const double* a, int lda, const double* x, int incx,
                 double beta, double* y, int incy);
int openblas_get_parallel(void);  // 0 sequential, 1 pthreads, 2 OpenMP
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
}
#endif

namespace strata::kernels::cpu {

namespace {

// C = beta * C over an M x N block (beta == 0 writes zeros without reading C).
template <class T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) {
      std::fill(c, c + N, T(0));
    } else {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Packed kernel. op(A) is cut into MC x KC blocks packed as MR-row micro-panels, op(B) into KC x NC panels
// packed as NR-column micro-panels (both zero-padded); the micro-kernel keeps an MR x NR tile of C in
// registers (12 vector accumulators with AVX2) and streams one packed column of A and row of B per step.
constexpr int64_t kMR = 6;
template <class T>
constexpr int64_t kNR = 64 / static_cast<int64_t>(sizeof(T));  // two 32-byte vectors: 16 floats, 8 doubles
// Block sizes can be overridden (-DSTRATA_GEMM_MC=...) for tuning experiments with bench/gemm_candidates.
#ifndef STRATA_GEMM_MC
#define STRATA_GEMM_MC 144
#endif
#ifndef STRATA_GEMM_KC
#define STRATA_GEMM_KC 256
#endif
#ifndef STRATA_GEMM_NC
#define STRATA_GEMM_NC 4080
#endif
constexpr int64_t kMC = STRATA_GEMM_MC;  // packed A block 144 x 256 floats = 144 KiB: stays in L2
constexpr int64_t kKC = STRATA_GEMM_KC;  // one packed B micro-panel 256 x 16 floats = 16 KiB: stays in L1
constexpr int64_t kNC = STRATA_GEMM_NC;  // multiple of 16 and 8; packed B panel up to 4 MiB: L3
static_assert(kMC % kMR == 0 && kNC % 16 == 0, "MC must be a multiple of MR, NC of NR");
// Below this many flops the packed kernel stays on one thread (a parallel region costs a few microseconds).
constexpr double kParallelFlops = 2.0 * 64 * 64 * 64;
// 16-bit GEMM: convert-then-OpenBLAS (true) or convert-while-packing into the in-tree kernel (false); set from
// bench/gemm_lowp measurements (docs/precision.md).
constexpr bool kLowpConvertDefault = true;

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Grow-only 64-byte-aligned scratch buffer; one per calling thread, so no allocation on repeated calls.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(p_); }
  template <class T>
  T* get(int64_t n) {
    const size_t bytes = static_cast<size_t>(round_up(std::max<int64_t>(n, 1) * static_cast<int64_t>(sizeof(T)), 64));
    if (bytes > bytes_) {
      std::free(p_);
      p_ = std::aligned_alloc(64, bytes);
      bytes_ = p_ ? bytes : 0;
      if (!p_) throw std::bad_alloc();
    }
    return static_cast<T*>(p_);
  }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

#if defined(__AVX2__) && defined(__FMA__)
template <class T>
struct Vec;
template <>
struct Vec<float> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct Vec<double> {
  typedef double type __attribute__((vector_size(32)));
};

// C[0:mr, 0:nr] = alpha * (a_panel . b_panel) + beta * C. a: kc x MR packed, b: kc x NR packed. R <= MR rows
// are computed (a short last row panel runs only the FMAs it needs); mr <= R.
template <class T, int R = kMR>
inline void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict c, int64_t ldc,
                         T alpha, T beta, int64_t mr, int64_t nr) {
  using V = typename Vec<T>::type;
  constexpr int64_t L = 32 / static_cast<int64_t>(sizeof(T));
  constexpr int64_t NR = 2 * L;
  V acc[R][2];
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = V{};
  for (int64_t p = 0; p < kc; ++p) {
    V b0, b1;
    std::memcpy(&b0, b + p * NR, sizeof(V));
    std::memcpy(&b1, b + p * NR + L, sizeof(V));
    for (int i = 0; i < R; ++i) {
      const V ai = a[p * kMR + i] - V{};  // broadcast (x - 0 folds to x; x + 0 would not, because of -0)
      acc[i][0] += ai * b0;               // contracted to vfmadd (-ffp-contract=fast)
      acc[i][1] += ai * b1;
    }
  }
  if (mr == R && nr == NR) {
    for (int i = 0; i < R; ++i) {
      T* ci = c + i * ldc;
      V c0 = alpha * acc[i][0], c1 = alpha * acc[i][1];
      if (beta != T(0)) {
        V o0, o1;
        std::memcpy(&o0, ci, sizeof(V));
        std::memcpy(&o1, ci + L, sizeof(V));
        c0 += beta * o0;
        c1 += beta * o1;
      }
      std::memcpy(ci, &c0, sizeof(V));
      std::memcpy(ci + L, &c1, sizeof(V));
    }
    return;
  }
  alignas(64) T tile[R * NR];
  for (int i = 0; i < R; ++i) {
    std::memcpy(tile + i * NR, &acc[i][0], sizeof(V));
    std::memcpy(tile + i * NR + L, &acc[i][1], sizeof(V));
  }
  for (int64_t i = 0; i < mr; ++i) {
    T* ci = c + i * ldc;
    for (int64_t j = 0; j < nr; ++j) {
      ci[j] = beta == T(0) ? alpha * tile[i * NR + j] : alpha * tile[i * NR + j] + beta * ci[j];
    }
  }
}
#else
// Portable fallback for builds without AVX2/FMA: the same tile in plain loops (the compiler vectorises what
// the target allows).
template <class T, int R = kMR>
inline void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict c, int64_t ldc,
                         T alpha, T beta, int64_t mr, int64_t nr) {
  constexpr int64_t NR = kNR<T>;
  T acc[R][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t i = 0; i < R; ++i) {
      const T ai = a[p * kMR + i];
      for (int64_t j = 0; j < NR; ++j) acc[i][j] += ai * b[p * NR + j];
    }
  }
  for (int64_t i = 0; i < mr; ++i) {
    T* ci = c + i * ldc;
    for (int64_t j = 0; j < nr; ++j) ci[j] = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * ci[j];
  }
}
#endif

// Packs op(A)[i0 : i0+rows, p0 : p0+kc] (rows <= MR) as dst[p * MR + i], zero rows below `rows`. A 16-bit
// source (In = Half/BFloat16) is converted to the accumulator type T while packing.
template <class T, class In>
void pack_a(const In* A, int64_t lda, bool trans, int64_t i0, int64_t rows, int64_t p0, int64_t kc, T* dst) {
  if (rows < kMR) std::fill(dst, dst + kc * kMR, T(0));
  if (trans) {  // op(A)(i, p) = A[p * lda + i]: each p reads `rows` contiguous values
    for (int64_t p = 0; p < kc; ++p) {
      const In* src = A + (p0 + p) * lda + i0;
      for (int64_t i = 0; i < rows; ++i) dst[p * kMR + i] = static_cast<T>(src[i]);
    }
  } else {  // op(A)(i, p) = A[i * lda + p]: each row is read contiguously
    for (int64_t i = 0; i < rows; ++i) {
      const In* src = A + (i0 + i) * lda + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * kMR + i] = static_cast<T>(src[p]);
    }
  }
}

// Packs op(B)[p0 : p0+kc, j0 : j0+cols] (cols <= NR) as dst[p * NR + j], zero columns right of `cols`.
template <class T, class In>
void pack_b(const In* B, int64_t ldb, bool trans, int64_t p0, int64_t kc, int64_t j0, int64_t cols, T* dst) {
  constexpr int64_t NR = kNR<T>;
  if (cols < NR) std::fill(dst, dst + kc * NR, T(0));
  if (trans) {  // op(B)(p, j) = B[j * ldb + p]
    for (int64_t j = 0; j < cols; ++j) {
      const In* src = B + (j0 + j) * ldb + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = static_cast<T>(src[p]);
    }
  } else {  // op(B)(p, j) = B[p * ldb + j]
    for (int64_t p = 0; p < kc; ++p) {
      const In* src = B + (p0 + p) * ldb + j0;
      if constexpr (std::is_same_v<T, In>) {
        if (cols == NR) {
          std::memcpy(dst + p * NR, src, sizeof(T) * NR);
          continue;
        }
      }
      for (int64_t j = 0; j < cols; ++j) dst[p * NR + j] = static_cast<T>(src[j]);
    }
  }
}

#ifdef STRATA_HAVE_OPENBLAS
// The OpenMP build runs single-threaded inside our parallel regions on its own. Any other build (pthreads)
// would start its own threads there and oversubscribe (2.2-4.7x slower, dependencies.md), so it is set to one
// thread while any caller is inside a parallel region.
bool openblas_is_openmp() {
  static const bool v = openblas_get_parallel() == 2;
  return v;
}

class BlasSerialGuard {
 public:
  BlasSerialGuard() : active_(!openblas_is_openmp() && omp_in_parallel()) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mu());
    if (depth()++ == 0) {
      saved() = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~BlasSerialGuard() {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mu());
    if (--depth() == 0) openblas_set_num_threads(saved());
  }
  BlasSerialGuard(const BlasSerialGuard&) = delete;
  BlasSerialGuard& operator=(const BlasSerialGuard&) = delete;

 private:
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static int& depth() {
    static int d = 0;
    return d;
  }
  static int& saved() {
    static int s = 1;
    return s;
  }
  bool active_;
};

bool fits_int(int64_t v) { return v <= INT_MAX; }
#endif

}  // namespace

template <class T>
void gemm_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  scale_c(M, N, beta, C, ldc);
  if (K <= 0 || alpha == T(0)) return;
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (int64_t p = 0; p < K; ++p) {
      const T a = alpha * (trans_a ? A[p * lda + i] : A[i * lda + p]);
      if (trans_b) {
        for (int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + p];
      } else {
        const T* b = B + p * ldb;
        for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
      }
    }
  }
}

namespace {
// The packed kernel over inputs of type In (T, or 16-bit converted while packing) accumulating in T.
template <class T, class In>
void gemm_packed_impl(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const In* A, int64_t lda,
                      const In* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  constexpr int64_t NR = kNR<T>;
  const int64_t kc_max = std::min(K, kKC);
  static thread_local Scratch scratch_a, scratch_b;
  T* pa = scratch_a.get<T>(std::min(round_up(M, kMR), kMC) * kc_max);
  T* pb = scratch_b.get<T>(std::min(round_up(N, NR), kNC) * kc_max);
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  // Never nested: inside an outer parallel region this runs on the calling thread alone.
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && flops >= kParallelFlops;
  // Every thread walks the same jc/pc/ic loops; packing and the micro-tiles are shared out by `omp for`, whose
  // implicit barriers order packing before use and use before the next repack.
#pragma omp parallel if (par)
  {
    for (int64_t jc = 0; jc < N; jc += kNC) {
      const int64_t nc = std::min(kNC, N - jc);
      const int64_t n_panels = (nc + NR - 1) / NR;
      for (int64_t pc = 0; pc < K; pc += kKC) {
        const int64_t kc = std::min(kKC, K - pc);
        const T beta_eff = pc == 0 ? beta : T(1);  // later K blocks accumulate
#pragma omp for schedule(static)
        for (int64_t s = 0; s < n_panels; ++s) {
          pack_b(B, ldb, trans_b, pc, kc, jc + s * NR, std::min(NR, nc - s * NR), pb + s * NR * kc);
        }
        for (int64_t ic = 0; ic < M; ic += kMC) {
          const int64_t mc = std::min(kMC, M - ic);
          const int64_t m_panels = (mc + kMR - 1) / kMR;
#pragma omp for schedule(static)
          for (int64_t r = 0; r < m_panels; ++r) {
            pack_a(A, lda, trans_a, ic + r * kMR, std::min(kMR, mc - r * kMR), pc, kc, pa + r * kMR * kc);
          }
#pragma omp for collapse(2) schedule(static)
          for (int64_t s = 0; s < n_panels; ++s) {
            for (int64_t r = 0; r < m_panels; ++r) {
              micro_kernel<T>(kc, pa + r * kMR * kc, pb + s * NR * kc, C + (ic + r * kMR) * ldc + jc + s * NR, ldc,
                              alpha, beta_eff, std::min(kMR, mc - r * kMR), std::min(NR, nc - s * NR));
            }
          }
        }
      }
    }
  }
}
}  // namespace

template <class T>
void gemm_packed(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                 const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  gemm_packed_impl<T, T>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
PackedB<T>::PackedB(bool trans_b, int64_t K, int64_t N, const T* B, int64_t ldb)
    : k_(std::max<int64_t>(K, 0)), n_(std::max<int64_t>(N, 0)), n_panels_((n_ + kNR<T> - 1) / kNR<T>) {
  constexpr int64_t NR = kNR<T>;
  data_.resize(static_cast<size_t>(k_ * n_panels_ * NR));
  // Column panels are independent: pack them in parallel when B is large (one pack per sequence, 0.8 MB for
  // a 768 x 256 W_hh).
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && k_ * n_ >= (int64_t{1} << 16);
#pragma omp parallel for schedule(static) if (par)
  for (int64_t s = 0; s < n_panels_; ++s) {
    for (int64_t pc = 0; pc < k_; pc += kKC) {
      pack_b(B, ldb, trans_b, pc, std::min(kKC, k_ - pc), s * NR, std::min(NR, n_ - s * NR),
             data_.data() + (pc * n_panels_ + s * std::min(kKC, k_ - pc)) * NR);
    }
  }
}

template <class T>
const T* PackedB<T>::panel(int64_t pc, int64_t s) const {
  return data_.data() + (pc * n_panels_ + s * std::min(kKC, k_ - pc)) * kNR<T>;
}

namespace {
// One micro-tile with the row count chosen at compile time (the last row panel of M = 32 has 2 rows).
template <class T>
void micro_kernel_rows(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta, int64_t mr, int64_t nr) {
  switch (mr) {
    case 1: micro_kernel<T, 1>(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
    case 2: micro_kernel<T, 2>(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
    case 3: micro_kernel<T, 3>(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
    case 4: micro_kernel<T, 4>(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
    case 5: micro_kernel<T, 5>(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
    default: micro_kernel<T>(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
  }
}
}  // namespace

template <class T>
void gemm_prepacked(bool trans_a, int64_t M, T alpha, const T* A, int64_t lda, const PackedB<T>& B, T beta, T* C,
                    int64_t ldc) {
  const int64_t N = B.n(), K = B.k();
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  constexpr int64_t NR = kNR<T>;
  const int64_t n_panels = (N + NR - 1) / NR;
  // op(A) is packed a block of rows at a time over all of K, the block kept within ~192 KiB so that it stays in
  // L2 while the B micro-panels stream past (M = 32 batch rows is one block up to K = 1536 floats).
  const int64_t mb = std::max(kMR, (int64_t{192 * 1024} / static_cast<int64_t>(sizeof(T) * K)) / kMR * kMR);
  const int64_t mb_panels = (std::min(M, mb) + kMR - 1) / kMR;
  static thread_local Scratch scratch_a;
  T* pa = scratch_a.get<T>(mb_panels * kMR * K);
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const bool par = !omp_in_parallel() && omp_get_max_threads() > 1 && n_panels > 1 && flops >= kParallelFlops;
  const int64_t k_blocks = (K + kKC - 1) / kKC;
#pragma omp parallel if (par)
  {
    for (int64_t ic = 0; ic < M; ic += mb) {
      const int64_t mc = std::min(mb, M - ic), m_panels = (mc + kMR - 1) / kMR;
#pragma omp for collapse(2) schedule(static)
      for (int64_t q = 0; q < k_blocks; ++q) {
        for (int64_t r = 0; r < m_panels; ++r) {
          const int64_t pc = q * kKC, kc = std::min(kKC, K - pc);
          pack_a(A, lda, trans_a, ic + r * kMR, std::min(kMR, mc - r * kMR), pc, kc,
                 pa + pc * m_panels * kMR + r * kMR * kc);
        }
      }
      // Each thread owns whole column panels (every K block of a tile, in order): the bits do not depend on the
      // thread count. The B micro-panel stays in L1 while the row panels of A stream past it.
#pragma omp for schedule(static)
      for (int64_t s = 0; s < n_panels; ++s) {
        const int64_t nr = std::min(NR, N - s * NR);
        for (int64_t pc = 0; pc < K; pc += kKC) {
          const int64_t kc = std::min(kKC, K - pc);
          const T beta_eff = pc == 0 ? beta : T(1);
          const T* bp = B.panel(pc, s);
          for (int64_t r = 0; r < m_panels; ++r) {
            micro_kernel_rows<T>(kc, pa + pc * m_panels * kMR + r * kMR * kc, bp, C + (ic + r * kMR) * ldc + s * NR,
                                 ldc, alpha, beta_eff, std::min(kMR, mc - r * kMR), nr);
          }
        }
      }
    }
  }
}

template <class In>
void gemm_lowp_packed(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const In* A,
                      int64_t lda, const In* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_packed_impl<float, In>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class In>
void gemm_lowp_convert(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const In* A,
                       int64_t lda, const In* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  // op(A) and op(B) as stored (rows x ld), converted to float32 in one pass each, then the float32 GEMM.
  const int64_t a_rows = trans_a ? K : M, a_cols = trans_a ? M : K;
  const int64_t b_rows = trans_b ? N : K, b_cols = trans_b ? K : N;
  static thread_local Scratch scratch_a, scratch_b;
  float* fa = scratch_a.get<float>(std::max<int64_t>(a_rows * a_cols, 1));
  float* fb = scratch_b.get<float>(std::max<int64_t>(b_rows * b_cols, 1));
  const bool par = !omp_in_parallel() && (a_rows * a_cols + b_rows * b_cols) >= (int64_t{1} << 16);
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < a_rows; ++r) {
    for (int64_t c = 0; c < a_cols; ++c) fa[r * a_cols + c] = static_cast<float>(A[r * lda + c]);
  }
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < b_rows; ++r) {
    for (int64_t c = 0; c < b_cols; ++c) fb[r * b_cols + c] = static_cast<float>(B[r * ldb + c]);
  }
  gemm<float>(trans_a, trans_b, M, N, K, alpha, fa, std::max<int64_t>(a_cols, 1), fb, std::max<int64_t>(b_cols, 1),
              beta, C, ldc);
}

namespace {
// STRATA_LOWP_GEMM=convert|packed overrides the measured choice (benchmarks compare the two).
bool lowp_use_convert() {
  static const bool v = [] {
    const char* e = std::getenv("STRATA_LOWP_GEMM");
    if (e != nullptr && std::string(e) == "packed") return false;
    if (e != nullptr && std::string(e) == "convert") return true;
    return kLowpConvertDefault;
  }();
  return v;
}
}  // namespace

template <class In>
void gemm_lowp(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const In* A, int64_t lda,
               const In* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (lowp_use_convert()) {
    gemm_lowp_convert(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    gemm_lowp_packed(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

template <class In>
void gemm_lowp_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K, float alpha,
                       const In* A, int64_t lda, const int64_t* a_off, const In* B, int64_t ldb, const int64_t* b_off,
                       float beta, float* C, int64_t ldc, const int64_t* c_off) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  const int64_t nt = omp_get_max_threads();
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const bool over_batch = nt > 1 && !omp_in_parallel() && batch >= nt && (batch % nt == 0 || batch >= 4 * nt) &&
                          flops * static_cast<double>(batch) >= kParallelFlops;
#pragma omp parallel for schedule(static) if (over_batch)
  for (int64_t b = 0; b < batch; ++b) {
    gemm_lowp(trans_a, trans_b, M, N, K, alpha, A + a_off[b], lda, B + b_off[b], ldb, beta, C + c_off[b], ldc);
  }
}

#define STRATA_GEMM_LOWP_INSTANTIATE(In)                                                                            \
  template void gemm_lowp<In>(bool, bool, int64_t, int64_t, int64_t, float, const In*, int64_t, const In*, int64_t, \
                              float, float*, int64_t);                                                              \
  template void gemm_lowp_packed<In>(bool, bool, int64_t, int64_t, int64_t, float, const In*, int64_t, const In*,   \
                                     int64_t, float, float*, int64_t);                                              \
  template void gemm_lowp_convert<In>(bool, bool, int64_t, int64_t, int64_t, float, const In*, int64_t, const In*,  \
                                      int64_t, float, float*, int64_t);                                             \
  template void gemm_lowp_batched<In>(bool, bool, int64_t, int64_t, int64_t, int64_t, float, const In*, int64_t,    \
                                      const int64_t*, const In*, int64_t, const int64_t*, float, float*, int64_t,   \
                                      const int64_t*);
STRATA_GEMM_LOWP_INSTANTIATE(BFloat16)
STRATA_GEMM_LOWP_INSTANTIATE(Half)
#undef STRATA_GEMM_LOWP_INSTANTIATE

#ifdef STRATA_HAVE_OPENBLAS
namespace {
// Row-major y = alpha * op(A) x + beta * y, A stored rows x cols (op: 111 none, 112 transposed).
template <class T>
void blas_gemv(int trans, int64_t rows, int64_t cols, T alpha, const T* A, int64_t lda, const T* x, int64_t incx,
               T beta, T* y, int64_t incy) {
  const auto r = static_cast<int>(rows), c = static_cast<int>(cols), la = static_cast<int>(lda);
  const auto ix = static_cast<int>(incx), iy = static_cast<int>(incy);
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemv(101, trans, r, c, alpha, A, la, x, ix, beta, y, iy);
  } else {
    cblas_dgemv(101, trans, r, c, alpha, A, la, x, ix, beta, y, iy);
  }
}
}  // namespace
#endif

template <class T>
void gemm_blas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
#ifdef STRATA_HAVE_OPENBLAS
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (fits_int(M) && fits_int(N) && fits_int(K) && fits_int(lda) && fits_int(ldb) && fits_int(ldc)) {
    BlasSerialGuard guard;
    if (M == 1 || N == 1) {
      // A vector operand: OpenBLAS 0.3.21 runs a fully packed sgemm for it, ~5x slower than gemv (batch-1
      // inference). beta == 0 must not read C, so zero it first and accumulate onto the zeros.
      if (beta == T(0)) scale_c(M, N, beta, C, ldc);
      const T b = beta == T(0) ? T(1) : beta;
      if (M == 1) {
        // c (1 x N) = a (1 x K) op(B):  c^T = op(B)^T a^T. op(B)^T is B^T (B stored K x N) or B (stored N x K).
        const int64_t inc_a = trans_a ? lda : 1;
        blas_gemv(trans_b ? 111 : 112, trans_b ? N : K, trans_b ? K : N, alpha, B, ldb, A, inc_a, b, C, 1);
      } else {
        // c (M x 1) = op(A) (M x K) b (K x 1); A stored M x K, or K x M when trans_a.
        const int64_t inc_b = trans_b ? 1 : ldb;
        blas_gemv(trans_a ? 112 : 111, trans_a ? K : M, trans_a ? M : K, alpha, A, lda, B, inc_b, b, C, ldc);
      }
      return;
    }
    const int ta = trans_a ? 112 : 111, tb = trans_b ? 112 : 111;
    const auto m = static_cast<int>(M), n = static_cast<int>(N), k = static_cast<int>(K);
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemm(101, ta, tb, m, n, k, alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C,
                  static_cast<int>(ldc));
    } else {
      cblas_dgemm(101, ta, tb, m, n, k, alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C,
                  static_cast<int>(ldc));
    }
    return;
  }
#endif
  gemm_packed(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);  // no BLAS, or 32-bit overflow
}

#ifdef STRATA_HAVE_OPENBLAS
namespace {

// OpenBLAS (OpenMP build) runs on omp_get_max_threads() threads, read from the calling thread's own setting:
// setting that to 1 for one call makes it single-threaded without touching any other thread.
class OneBlasThread {
 public:
  OneBlasThread() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneBlasThread() { omp_set_num_threads(saved_); }
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  int saved_;
};

// Deterministic mode. OpenBLAS 0.3.21's sgemm rounds differently on 1, 2, 3 and 4 threads (64 x 120 x 400: a
// third of C differs, by up to 2e-6), and so does its gemv. Here C is cut into blocks of columns (or rows) fixed by
// the shape alone, each block is one single-threaded OpenBLAS call, and threads share out the blocks: the same
// bits on any thread count, with OpenBLAS's speed per block.
template <class T>
void gemm_blas_fixed_blocks(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                            int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  constexpr int64_t kMaxBlocks = 8;
  constexpr double kBlockFlops = 1 << 21;  // ~20 us on one core: smaller blocks cost more than they share
  const bool split_n = N >= M;
  const int64_t dim = split_n ? N : M;
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const int64_t want = std::clamp<int64_t>(static_cast<int64_t>(flops / kBlockFlops), 1, kMaxBlocks);
  const int64_t size = round_up((dim + want - 1) / want, 16);
  const int64_t blocks = (dim + size - 1) / size;
  auto run = [&](int64_t b) {
    const OneBlasThread one;
    const int64_t lo = b * size, n = std::min(size, dim - lo);
    if (split_n) {
      gemm_blas(trans_a, trans_b, M, n, K, alpha, A, lda, trans_b ? B + lo * ldb : B + lo, ldb, beta, C + lo, ldc);
    } else {
      gemm_blas(trans_a, trans_b, n, N, K, alpha, trans_a ? A + lo : A + lo * lda, lda, B, ldb, beta, C + lo * ldc,
                ldc);
    }
  };
  const bool par = blocks > 1 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t b = 0; b < blocks; ++b) run(b);
}

}  // namespace
#endif

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
#ifdef STRATA_HAVE_OPENBLAS
  if (!is_deterministic()) {
    gemm_blas(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else if (openblas_is_openmp()) {
    gemm_blas_fixed_blocks(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    // Another OpenBLAS build got loaded (threads of its own): the packed kernel computes each tile of C in one
    // thread in a fixed K order.
    gemm_packed(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
#else
  gemm_packed(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);  // thread-count independent
#endif
}

bool gemm_has_blas() {
#ifdef STRATA_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

const char* gemm_backend_name() {
#ifdef STRATA_HAVE_OPENBLAS
  return openblas_is_openmp() ? "openblas-openmp" : "openblas-pthread (1 thread inside parallel regions)";
#else
  return "strata-packed";
#endif
}

template <class T>
void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t lda, const int64_t* a_off, const T* B, int64_t ldb, const int64_t* b_off, T beta, T* C,
                  int64_t ldc, const int64_t* c_off) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  const int64_t nt = omp_get_max_threads();
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  // Over the batch when every thread gets an equal share (or many items), each GEMM then single-threaded;
  // otherwise one threaded GEMM after another.
  const bool over_batch = nt > 1 && !omp_in_parallel() && batch >= nt && (batch % nt == 0 || batch >= 4 * nt) &&
                          flops * static_cast<double>(batch) >= kParallelFlops;
  if (over_batch) {
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < batch; ++b) {
      gemm(trans_a, trans_b, M, N, K, alpha, A + a_off[b], lda, B + b_off[b], ldb, beta, C + c_off[b], ldc);
    }
  } else {
    for (int64_t b = 0; b < batch; ++b) {
      gemm(trans_a, trans_b, M, N, K, alpha, A + a_off[b], lda, B + b_off[b], ldb, beta, C + c_off[b], ldc);
    }
  }
}

template <class T>
void gemm_strided_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha,
                          const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta,
                          T* C, int64_t ldc, int64_t stride_c) {
  if (batch <= 0) return;
  std::vector<int64_t> off(static_cast<size_t>(3 * batch));
  int64_t* oa = off.data();
  int64_t* ob = oa + batch;
  int64_t* oc = ob + batch;
  for (int64_t b = 0; b < batch; ++b) {
    oa[b] = b * stride_a;
    ob[b] = b * stride_b;
    oc[b] = b * stride_c;
  }
  gemm_batched(trans_a, trans_b, batch, M, N, K, alpha, A, lda, oa, B, ldb, ob, beta, C, ldc, oc);
}

#define STRATA_GEMM_INSTANTIATE(T)                                                                                     \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*,         \
                        int64_t);                                                                                      \
  template void gemm_packed<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*,  \
                               int64_t);                                                                               \
  template void gemm_naive<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*,   \
                              int64_t);                                                                                \
  template void gemm_blas<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*,    \
                             int64_t);                                                                                 \
  template void gemm_batched<T>(bool, bool, int64_t, int64_t, int64_t, int64_t, T, const T*, int64_t, const int64_t*,  \
                                const T*, int64_t, const int64_t*, T, T*, int64_t, const int64_t*);                    \
  template void gemm_strided_batched<T>(bool, bool, int64_t, int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, \
                                        const T*, int64_t, int64_t, T, T*, int64_t, int64_t);                          \
  template class PackedB<T>;                                                                                           \
  template void gemm_prepacked<T>(bool, int64_t, T, const T*, int64_t, const PackedB<T>&, T, T*, int64_t);
STRATA_GEMM_INSTANTIATE(float)
STRATA_GEMM_INSTANTIATE(double)
#undef STRATA_GEMM_INSTANTIATE

}  // namespace strata::kernels::cpu
