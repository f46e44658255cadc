// GEMM kernels: OpenBLAS (when linked), the packed kernel, the prepacked-B kernel and the naive reference against
// an independent double-precision oracle, over all transpose combinations, odd sizes, alpha/beta and padded leading
// dims.
#include "kernels/cpu/gemm.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "strata/core/threading.h"
#include "test_util.h"

namespace kc = strata::kernels::cpu;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kSentinel = 777.0;  // written into C's padding; must survive every call

template <class T>
using GemmFn =
    std::function<void(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*, int64_t)>;

// gemm_prepacked behind the plain GEMM signature: B packed, then one product.
template <class T>
void gemm_via_prepacked(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
                        int64_t ldb, T beta, T* C, int64_t ldc) {
  const kc::PackedB<T> packed(tb, K, N, B, ldb);
  kc::gemm_prepacked<T>(ta, M, alpha, A, lda, packed, beta, C, ldc);
}

template <class T>
std::vector<std::pair<std::string, GemmFn<T>>> backends() {
  return {{"naive", kc::gemm_naive<T>},
          {"packed", kc::gemm_packed<T>},
          {"blas", kc::gemm_blas<T>},
          {"gemm", kc::gemm<T>},
          {"prepacked", gemm_via_prepacked<T>}};
}

// Deterministic values in [-1, 1).
struct Lcg {
  uint64_t s;
  double next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / static_cast<double>(1ULL << 53) * 2.0 - 1.0;
  }
};

// A rows x cols matrix stored with leading dim ld >= cols; the padding holds `pad` (NaN: must never be read).
template <class T>
std::vector<T> make_matrix(int64_t rows, int64_t cols, int64_t ld, Lcg& rng, double pad) {
  std::vector<T> m(static_cast<size_t>(std::max<int64_t>(rows * ld, 1)), static_cast<T>(pad));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) m[static_cast<size_t>(i * ld + j)] = static_cast<T>(rng.next());
  }
  return m;
}

struct Problem {
  bool ta, tb;
  int64_t M, N, K;
  double alpha, beta;
  int64_t pad = 0;  // extra leading-dim elements on A, B and C
};

std::string describe(const Problem& p) {
  return std::string(p.ta ? "T" : "N") + (p.tb ? "T" : "N") + " M=" + std::to_string(p.M) +
         " N=" + std::to_string(p.N) + " K=" + std::to_string(p.K) + " alpha=" + std::to_string(p.alpha) +
         " beta=" + std::to_string(p.beta) + " pad=" + std::to_string(p.pad);
}

// Runs every backend on p and checks each against the oracle (at most 3 failures reported per backend).
template <class T>
void check_problem(const Problem& p, uint64_t seed) {
  Lcg rng{seed};
  const int64_t a_rows = p.ta ? p.K : p.M, a_cols = p.ta ? p.M : p.K;
  const int64_t b_rows = p.tb ? p.N : p.K, b_cols = p.tb ? p.K : p.N;
  const int64_t lda = std::max<int64_t>(a_cols, 1) + p.pad, ldb = std::max<int64_t>(b_cols, 1) + p.pad;
  const int64_t ldc = p.N + p.pad;
  auto A = make_matrix<T>(a_rows, a_cols, lda, rng, kNaN);
  auto B = make_matrix<T>(b_rows, b_cols, ldb, rng, kNaN);
  auto C0 = make_matrix<T>(p.M, p.N, ldc, rng, kSentinel);
  if (p.beta == 0.0) {  // garbage that beta == 0 must ignore
    for (int64_t i = 0; i < p.M; ++i) {
      for (int64_t j = 0; j < p.N; ++j) C0[static_cast<size_t>(i * ldc + j)] = static_cast<T>(kNaN);
    }
  }
  auto opa = [&](int64_t i, int64_t k) { return static_cast<double>(p.ta ? A[k * lda + i] : A[i * lda + k]); };
  auto opb = [&](int64_t k, int64_t j) { return static_cast<double>(p.tb ? B[j * ldb + k] : B[k * ldb + j]); };
  const double eps = std::numeric_limits<T>::epsilon();
  for (const auto& [name, fn] : backends<T>()) {
    std::vector<T> C = C0;
    fn(p.ta, p.tb, p.M, p.N, p.K, static_cast<T>(p.alpha), A.data(), lda, B.data(), ldb, static_cast<T>(p.beta),
       C.data(), ldc);
    int64_t bad = 0;
    for (int64_t i = 0; i < p.M && bad < 3; ++i) {
      for (int64_t j = 0; j < ldc && bad < 3; ++j) {
        const double got = static_cast<double>(C[static_cast<size_t>(i * ldc + j)]);
        if (j >= p.N) {  // padding untouched
          if (got != kSentinel) {
            ADD_FAILURE() << name << " " << describe(p) << ": wrote padding C[" << i << "][" << j << "]";
            ++bad;
          }
          continue;
        }
        double ref = 0.0, mag = 0.0;
        for (int64_t k = 0; k < p.K; ++k) {
          ref += opa(i, k) * opb(k, j);
          mag += std::abs(opa(i, k) * opb(k, j));
        }
        ref *= p.alpha;
        mag *= std::abs(p.alpha);
        if (p.beta != 0.0) {
          const double c = static_cast<double>(C0[static_cast<size_t>(i * ldc + j)]);
          ref += p.beta * c;
          mag += std::abs(p.beta * c);
        }
        const double tol = 4.0 * eps * static_cast<double>(p.K + 2) * mag + 1e-300;
        if (!(std::abs(got - ref) <= tol)) {
          ADD_FAILURE() << name << " " << describe(p) << ": C[" << i << "][" << j << "] = " << got << ", expected "
                        << ref << " (tol " << tol << ")";
          ++bad;
        }
      }
    }
  }
}

template <class T>
class Gemm : public ::testing::Test {};
using GemmTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Gemm, GemmTypes);

const std::vector<int64_t> kSizes = {1, 5, 6, 7, 15, 16, 17, 33, 100, 257};

TYPED_TEST(Gemm, AllTransposeCombosOddSizes) {
  uint64_t seed = 1;
  for (int t = 0; t < 4; ++t) {
    for (size_t i = 0; i < kSizes.size(); ++i) {
      for (size_t j = 0; j < kSizes.size(); ++j) {
        // K walks the size list too, so every size appears in every position.
        const int64_t K = kSizes[(i + j) % kSizes.size()];
        check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, kSizes[i], kSizes[j], K, 1.0, 0.0}, seed++);
      }
    }
  }
}

TYPED_TEST(Gemm, SquaresAcrossBlockSizes) {
  // 257 crosses MC (144) and KC (256); 100 and up cross the parallel threshold.
  uint64_t seed = 100;
  for (int64_t n : {1, 6, 16, 17, 64, 100, 145, 257}) {
    for (int t = 0; t < 4; ++t) check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, n, n, n, 1.0, 0.0}, seed++);
  }
}

TYPED_TEST(Gemm, AlphaBeta) {
  uint64_t seed = 200;
  for (double alpha : {1.0, 0.5, -1.75}) {
    for (double beta : {0.0, 1.0, -0.75}) {
      for (int t = 0; t < 4; ++t) {
        check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 17, 33, 100, alpha, beta}, seed++);
        check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 100, 7, 257, alpha, beta}, seed++);
      }
    }
  }
}

TYPED_TEST(Gemm, PaddedLeadingDims) {
  uint64_t seed = 300;
  for (int64_t pad : {1, 3, 16}) {
    for (int t = 0; t < 4; ++t) {
      check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 33, 17, 15, 1.0, 0.0, pad}, seed++);
      check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 100, 100, 33, 0.5, -0.75, pad}, seed++);
      check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 7, 257, 6, 1.0, 1.0, pad}, seed++);
    }
  }
}

TYPED_TEST(Gemm, VectorOperands) {
  // M == 1 or N == 1 go to gemv with OpenBLAS; beta == 0 must still ignore C's old contents.
  uint64_t seed = 350;
  for (int t = 0; t < 4; ++t) {
    for (double beta : {0.0, -0.75}) {
      for (int64_t pad : {0, 3}) {
        check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 1, 257, 100, 0.5, beta, pad}, seed++);
        check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 100, 1, 257, -1.25, beta, pad}, seed++);
        check_problem<TypeParam>({(t & 1) != 0, (t & 2) != 0, 1, 1, 33, 1.0, beta, pad}, seed++);
      }
    }
  }
}

TYPED_TEST(Gemm, DegenerateShapes) {
  // K == 0 (C = beta * C), alpha == 0 (A and B are not read), and N past the NC block (4080).
  check_problem<TypeParam>({false, false, 5, 7, 0, 1.0, 0.0, 2}, 400);
  check_problem<TypeParam>({true, true, 5, 7, 0, 1.0, -0.75, 2}, 401);
  check_problem<TypeParam>({false, true, 5, 7, 9, 0.0, 0.5, 1}, 402);
  check_problem<TypeParam>({false, false, 7, 4100, 3, 1.0, 0.0}, 403);
  check_problem<TypeParam>({true, true, 3, 4099, 5, 1.5, 1.0}, 404);
  // M == 0 / N == 0: nothing to do, nothing written.
  TypeParam c = static_cast<TypeParam>(kSentinel);
  for (const auto& [name, fn] : backends<TypeParam>()) {
    fn(false, false, 0, 1, 1, 1, &c, 1, &c, 1, 0, &c, 1);
    fn(false, false, 1, 0, 1, 1, &c, 1, &c, 1, 0, &c, 1);
    EXPECT_EQ(c, static_cast<TypeParam>(kSentinel)) << name;
  }
}

TYPED_TEST(Gemm, InsideParallelRegionMatchesSerial) {
  // The conv pattern: GEMMs called from an omp parallel for run single-threaded in each caller, with the same
  // results as when called alone.
  using T = TypeParam;
  const int64_t M = 100, N = 120, K = 90, items = 6;
  Lcg rng{500};
  auto A = make_matrix<T>(items * M, K, K, rng, 0.0);
  auto B = make_matrix<T>(K, N, N, rng, 0.0);
  for (const auto& entry : backends<T>()) {
    const std::string& name = entry.first;
    const GemmFn<T>& fn = entry.second;
    std::vector<T> alone(static_cast<size_t>(items * M * N)), inside(alone.size(), static_cast<T>(kNaN));
    for (int64_t b = 0; b < items; ++b)
      fn(false, false, M, N, K, 1, A.data() + b * M * K, K, B.data(), N, 0, alone.data() + b * M * N, N);
#pragma omp parallel for num_threads(2)
    for (int64_t b = 0; b < items; ++b) {
      fn(false, false, M, N, K, 1, A.data() + b * M * K, K, B.data(), N, 0, inside.data() + b * M * N, N);
    }
    for (size_t i = 0; i < alone.size(); ++i) {
      ASSERT_NEAR(static_cast<double>(inside[i]), static_cast<double>(alone[i]), 1e-4) << name << " at " << i;
    }
  }
}

TYPED_TEST(Gemm, BatchedWithBroadcastOffsets) {
  using T = TypeParam;
  const int64_t M = 7, N = 17, K = 33, batch = 6;
  Lcg rng{600};
  // A has 3 matrices used as a0 a1 a2 a0 a1 a2; B has one matrix shared by all (offset 0).
  auto A = make_matrix<T>(3 * K, M, M, rng, 0.0);  // stored transposed: K x M each
  auto B = make_matrix<T>(K, N, N, rng, 0.0);
  std::vector<int64_t> ao, bo, co;
  for (int64_t b = 0; b < batch; ++b) {
    ao.push_back((b % 3) * K * M);
    bo.push_back(0);
    co.push_back(b * M * N);
  }
  for (int threads : {1, 2}) {
    const strata::testing::ThreadCount scope(threads);
    std::vector<T> C(static_cast<size_t>(batch * M * N), static_cast<T>(kNaN)), R(C.size());
    kc::gemm_batched<T>(true, false, batch, M, N, K, 2, A.data(), M, ao.data(), B.data(), N, bo.data(), 0, C.data(), N,
                        co.data());
    for (int64_t b = 0; b < batch; ++b) {
      kc::gemm_naive<T>(true, false, M, N, K, 2, A.data() + ao[b], M, B.data(), N, 0, R.data() + co[b], N);
    }
    for (size_t i = 0; i < C.size(); ++i) ASSERT_NEAR(C[i], R[i], 1e-4) << "threads " << threads << " at " << i;
    // Strided form: stride 0 broadcasts B.
    std::vector<T> S(C.size(), static_cast<T>(kNaN));
    kc::gemm_strided_batched<T>(true, false, 3, M, N, K, 2, A.data(), M, K * M, B.data(), N, 0, 0, S.data(), N, M * N);
    for (size_t i = 0; i < static_cast<size_t>(3 * M * N); ++i) ASSERT_NEAR(S[i], R[i], 1e-4) << "strided at " << i;
  }
}

// The recurrent-layer pattern: one PackedB, many products with different A (and beta 1 accumulating), on the
// RNN shapes (batch 32 = five 6-row panels and a 2-row one; K past KC), rows past the prepacked kernel's M block,
// and the same bits on 1, 2 and 3 threads; each against gemm_naive.
TYPED_TEST(Gemm, PrepackedReusedAcrossProductsAnyThreadCount) {
  using T = TypeParam;
  struct Shape3 {
    bool ta, tb;
    int64_t M, N, K;
  };
  for (const Shape3& p :
       {Shape3{false, true, 32, 96, 48}, Shape3{false, false, 32, 48, 300}, Shape3{true, true, 13, 40, 257},
        Shape3{false, false, 100, 37, 600}, Shape3{true, false, 7, 129, 5}}) {
    Lcg rng{700 + static_cast<uint64_t>(p.M + p.N + p.K)};
    const int64_t ar = p.ta ? p.K : p.M, ac = p.ta ? p.M : p.K, br = p.tb ? p.N : p.K, bc = p.tb ? p.K : p.N;
    const auto B = make_matrix<T>(br, bc, bc, rng, 0);
    const kc::PackedB<T> packed(p.tb, p.K, p.N, B.data(), bc);
    ASSERT_EQ(packed.k(), p.K);
    ASSERT_EQ(packed.n(), p.N);
    std::vector<std::vector<T>> per_threads;
    for (int threads : {1, 2, 3}) {
      const strata::testing::ThreadCount scope(threads);
      Lcg arng{11};
      std::vector<T> C(static_cast<size_t>(p.M * p.N), T(0)), R = C;
      for (int step = 0; step < 3; ++step) {
        const auto A = make_matrix<T>(ar, ac, ac, arng, 0);
        const T beta = step == 0 ? T(0) : T(1);
        kc::gemm_prepacked<T>(p.ta, p.M, T(0.5), A.data(), ac, packed, beta, C.data(), p.N);
        kc::gemm_naive<T>(p.ta, p.tb, p.M, p.N, p.K, T(0.5), A.data(), ac, B.data(), bc, beta, R.data(), p.N);
      }
      const double tol = 64 * std::numeric_limits<T>::epsilon() * static_cast<double>(p.K);
      for (size_t i = 0; i < C.size(); ++i) {
        ASSERT_NEAR(static_cast<double>(C[i]), static_cast<double>(R[i]), tol)
            << "M=" << p.M << " N=" << p.N << " K=" << p.K << " threads " << threads << " at " << i;
      }
      per_threads.push_back(C);
    }
    EXPECT_EQ(per_threads[1], per_threads[0]) << "M=" << p.M << " N=" << p.N << " K=" << p.K << ": 2 threads";
    EXPECT_EQ(per_threads[2], per_threads[0]) << "M=" << p.M << " N=" << p.N << " K=" << p.K << ": 3 threads";
  }
}

TEST(GemmBackend, NameMatchesBuild) {
  const std::string name = kc::gemm_backend_name();
  if (kc::gemm_has_blas()) {
    // CMake links the OpenMP variant by full path; anything else means the runtime loaded another build.
    EXPECT_EQ(name, "openblas-openmp");
  } else {
    EXPECT_EQ(name, "strata-packed");
  }
}

// Deterministic mode: gemm() gives the same bits on 1, 2 and 3 threads, for the shapes of a small CNN's linear
// layers (forward, input and weight gradients) where OpenBLAS 0.3.21 rounds differently per thread count, for
// C cut by columns and by rows into several blocks, and for vector operands; and the right values.
TEST(GemmDeterministic, SameBitsOnAnyThreadCount) {
  const strata::DeterministicGuard on(true);
  for (const Problem& p : {Problem{false, true, 64, 128, 288, 1, 0}, Problem{true, false, 128, 288, 64, 1, 1},
                           Problem{false, false, 64, 288, 128, 1, 0}, Problem{false, true, 128, 784, 512, 0.5, 0},
                           Problem{true, false, 300, 40, 200, 1, 0}, Problem{false, true, 300, 40, 200, 1, 0.5},
                           Problem{false, false, 1, 300, 200, 1, 0}, Problem{false, false, 300, 1, 200, 1, 0},
                           Problem{false, false, 0, 5, 3, 1, 0}, Problem{false, false, 4, 5, 0, 1, 0.5}}) {
    Lcg rng{42};
    const int64_t ar = p.ta ? p.K : p.M, ac = p.ta ? p.M : p.K, br = p.tb ? p.N : p.K, bc = p.tb ? p.K : p.N;
    const auto A = make_matrix<float>(ar, ac, ac, rng, 0), B = make_matrix<float>(br, bc, bc, rng, 0);
    const auto C0 = make_matrix<float>(p.M, p.N, p.N, rng, 0);
    std::vector<std::vector<float>> out;
    for (int threads : {1, 2, 3}) {
      const strata::testing::ThreadCount scope(threads);
      std::vector<float> C = C0;
      kc::gemm<float>(p.ta, p.tb, p.M, p.N, p.K, static_cast<float>(p.alpha), A.data(), ac, B.data(), bc,
                      static_cast<float>(p.beta), C.data(), p.N);
      out.push_back(C);
    }
    EXPECT_EQ(out[1], out[0]) << describe(p) << ": 2 threads";
    EXPECT_EQ(out[2], out[0]) << describe(p) << ": 3 threads";
    std::vector<float> R = C0;
    kc::gemm_naive<float>(p.ta, p.tb, p.M, p.N, p.K, static_cast<float>(p.alpha), A.data(), ac, B.data(), bc,
                          static_cast<float>(p.beta), R.data(), p.N);
    for (size_t i = 0; i < R.size(); ++i) ASSERT_NEAR(out[0][i], R[i], 1e-3) << describe(p) << " at " << i;
  }
}

}  // namespace
