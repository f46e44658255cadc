#pragma once
// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, for float and double.
//   op(A) is M x K: A is stored M x K (lda >= K), or K x M when trans_a (lda >= M).
//   op(B) is K x N: B is stored K x N (ldb >= N), or N x K when trans_b (ldb >= K).
//   C is M x N (ldc >= N). beta == 0 overwrites C without reading it (NaN garbage is ignored).
// gemm() goes to OpenBLAS (OpenMP build) when the library was built with it, else to the in-tree packed
// kernel; gemm_packed and gemm_naive are always available (fallback, test oracle, benchmarks).
// Called inside an OpenMP parallel region, every variant runs single-threaded in the calling thread.
#include <cstdint>
#include <vector>

#include "strata/core/dtype.h"

namespace strata::kernels::cpu {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc);

// The in-tree packed kernel: 6x16 (float) / 6x8 (double) micro-kernel, MC/KC/NC blocking, OpenMP over blocks.
template <class T>
void gemm_packed(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                 const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// op(B) (K x N) packed once for many products with different A: the per-step h W_hh^T and dg W_hh of a
// recurrent layer, where a BLAS call would repack the same B on every step. Layout is the packed kernel's:
// K blocks of KC rows, each cut into zero-padded NR-column micro-panels.
template <class T>
class PackedB {
 public:
  PackedB() = default;
  // op(B) is B (K x N, ldb >= N) or, when trans_b, B^T (B stored N x K, ldb >= K).
  PackedB(bool trans_b, int64_t K, int64_t N, const T* B, int64_t ldb);
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  // The micro-panel of column panel s in the K block starting at row pc (a multiple of KC).
  const T* panel(int64_t pc, int64_t s) const;

 private:
  std::vector<T> data_;
  int64_t k_ = 0, n_ = 0, n_panels_ = 0;
};

// C = alpha * op(A) * B + beta * C against a PackedB (M x B.n() result, K = B.k()). Threads share out B's
// column panels; every tile of C is summed by one thread in a fixed K order, so the result does not depend on
// the thread count (deterministic mode needs nothing more).
template <class T>
void gemm_prepacked(bool trans_a, int64_t M, T alpha, const T* A, int64_t lda, const PackedB<T>& B, T beta, T* C,
                    int64_t ldc);

// The reference: i-k-j loops, single-threaded.
template <class T>
void gemm_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// OpenBLAS cblas_?gemm; falls back to gemm_packed when the library was built without OpenBLAS.
template <class T>
void gemm_blas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// True when gemm() and gemm_blas() call OpenBLAS.
bool gemm_has_blas();
// "openblas-openmp", "openblas-pthread(1 thread in parallel regions)" or "strata-packed".
const char* gemm_backend_name();

// `batch` independent GEMMs of the same shape; matrix b starts at A + a_off[b], B + b_off[b], C + c_off[b]
// (offsets in elements; equal offsets express a broadcast operand). Runs OpenMP over the batch when that
// keeps every thread busy, else one threaded GEMM after another.
template <class T>
void gemm_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t lda, const int64_t* a_off, const T* B, int64_t ldb, const int64_t* b_off, T beta, T* C,
                  int64_t ldc, const int64_t* c_off);

// The strided form (stride 0 broadcasts an operand): matrix b at A + b * stride_a, etc.
template <class T>
void gemm_strided_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha,
                          const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta,
                          T* C, int64_t ldc, int64_t stride_c);

// Mixed precision: A and B in float16/bfloat16 (In = Half or BFloat16), accumulation and C in float32.
// gemm_lowp_packed converts while packing into the in-tree float32 kernel; gemm_lowp_convert converts both
// operands to float32 in one pass each and calls gemm<float> (OpenBLAS). gemm_lowp picks the one measured
// faster here (docs/precision.md); STRATA_LOWP_GEMM=packed|convert overrides it.
template <class In>
void gemm_lowp(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const In* A, int64_t lda,
               const In* B, int64_t ldb, float beta, float* C, int64_t ldc);
template <class In>
void gemm_lowp_packed(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const In* A,
                      int64_t lda, const In* B, int64_t ldb, float beta, float* C, int64_t ldc);
template <class In>
void gemm_lowp_convert(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const In* A,
                       int64_t lda, const In* B, int64_t ldb, float beta, float* C, int64_t ldc);
// gemm_batched for 16-bit inputs.
template <class In>
void gemm_lowp_batched(bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N, int64_t K, float alpha,
                       const In* A, int64_t lda, const int64_t* a_off, const In* B, int64_t ldb, const int64_t* b_off,
                       float beta, float* C, int64_t ldc, const int64_t* c_off);

}  // namespace strata::kernels::cpu
