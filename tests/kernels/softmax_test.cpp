// Softmax-family kernels (src/kernels/cpu/softmax.h) against their naive references: rows and blocked
// columns (inner sizes around the block width kCols), sizes around the parallel grain, and the fused
// cross-entropy forward/backward with weights, ignored targets and label smoothing.
#include "kernels/cpu/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace strata::kernels::cpu {
namespace {

template <class T>
std::vector<T> random_values(int64_t n, uint32_t seed, double scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, scale);
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(nd(rng));
  return v;
}

template <class T>
void check_softmax(int64_t outer, int64_t n, int64_t inner, bool log, double tol, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "outer " << outer << " n " << n << " inner " << inner << " log " << log);
  const int64_t total = outer * n * inner;
  std::vector<T> x = random_values<T>(total, seed, 3.0), g = random_values<T>(total, seed + 1, 1.0);
  std::vector<T> y(x.size(), T(-777)), yr(x.size()), gx(x.size(), T(-777)), gr(x.size());
  softmax_forward(x.data(), y.data(), outer, n, inner, log);
  softmax_forward_reference(x.data(), yr.data(), outer, n, inner, log);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], yr[i], tol * (1 + std::abs(yr[i]))) << i;
  softmax_backward(yr.data(), g.data(), gx.data(), outer, n, inner, log);
  softmax_backward_reference(yr.data(), g.data(), gr.data(), outer, n, inner, log);
  for (size_t i = 0; i < gx.size(); ++i) ASSERT_NEAR(gx[i], gr[i], tol * (1 + std::abs(gr[i])) * (log ? n : 1)) << i;
}

TEST(SoftmaxKernel, MatchesReference) {
  uint32_t seed = 1;
  for (int64_t inner : {1, 2, 63, 64, 65, 130}) {
    for (int64_t n : {1, 5, 33}) {
      for (int64_t outer : {1, 3}) {
        for (bool log : {false, true}) {
          check_softmax<double>(outer, n, inner, log, 1e-12, seed++);
          check_softmax<float>(outer, n, inner, log, 2e-5, seed++);
        }
      }
    }
  }
}

TEST(SoftmaxKernel, AroundTheParallelGrain) {
  uint32_t seed = 500;
  for (bool log : {false, true}) {
    check_softmax<float>(kParallelGrain / 10 - 1, 10, 1, log, 2e-5, seed++);
    check_softmax<float>(kParallelGrain / 10 + 7, 10, 1, log, 2e-5, seed++);
    check_softmax<float>(3, 1000, 20, log, 2e-5, seed++);
    check_softmax<double>(1, 70000, 1, log, 1e-12, seed++);
    check_softmax<double>(2, 3, 9000, log, 1e-12, seed++);
  }
}

template <class T>
void check_cross_entropy(int64_t N, int64_t C, int64_t D, bool weighted, double eps, int64_t g_stride, double tol,
                         uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "N " << N << " C " << C << " D " << D << " weighted " << weighted << " eps "
                                    << eps << " g_stride " << g_stride);
  LossShape s;
  s.N = N;
  s.C = C;
  s.D = D;
  s.ignore_index = -1;
  std::vector<T> z = random_values<T>(N * C * D, seed, 2.0);
  std::vector<T> w = random_values<T>(C, seed + 1, 1.0);
  for (T& v : w) v = std::abs(v) + T(0.1);
  const T* wp = weighted ? w.data() : nullptr;
  std::mt19937 rng(seed + 2);
  std::uniform_int_distribution<int64_t> ud(-1, C - 1);  // -1 is the ignore_index
  std::vector<int64_t> t(static_cast<size_t>(N * D));
  for (int64_t& v : t) v = ud(rng);
  std::vector<double> lse(t.size()), loss(t.size()), ref(t.size());
  double total = 0, tw = 0;
  cross_entropy_forward(s, z.data(), t.data(), wp, eps, lse.data(), loss.data(), &total, &tw);
  cross_entropy_reference(s, z.data(), t.data(), wp, eps, ref.data());
  double rt = 0, rw = 0;
  for (size_t p = 0; p < t.size(); ++p) {
    ASSERT_NEAR(loss[p], ref[p], tol * (1 + std::abs(ref[p]))) << p;
    if (t[p] != -1) {
      rt += ref[p];
      rw += weighted ? static_cast<double>(w[static_cast<size_t>(t[p])]) : 1.0;
    }
  }
  EXPECT_NEAR(total, rt, tol * (1 + std::abs(rt)) * static_cast<double>(t.size()));
  EXPECT_NEAR(tw, rw, 1e-6 * (1 + rw));
  std::vector<T> g = random_values<T>(g_stride ? N * D : 1, seed + 3, 1.0);
  std::vector<T> gx(z.size(), T(-777)), gr(z.size());
  cross_entropy_backward(s, z.data(), t.data(), wp, eps, lse.data(), g.data(), g_stride, 0.7, gx.data());
  cross_entropy_backward_reference(s, z.data(), t.data(), wp, eps, g.data(), g_stride, 0.7, gr.data());
  for (size_t i = 0; i < gx.size(); ++i) ASSERT_NEAR(gx[i], gr[i], tol * (1 + std::abs(gr[i]))) << i;
}

TEST(SoftmaxKernel, CrossEntropyMatchesReference) {
  uint32_t seed = 1000;
  for (int64_t D : {1, 3, 64, 65}) {
    for (int64_t C : {1, 2, 10}) {
      for (bool weighted : {false, true}) {
        for (double eps : {0.0, 0.25}) {
          check_cross_entropy<double>(5, C, D, weighted, eps, 1, 1e-12, seed++);
          check_cross_entropy<float>(4, C, D, weighted, eps, 0, 5e-5, seed++);
        }
      }
    }
  }
  check_cross_entropy<float>(4000, 12, 1, true, 0.1, 0, 5e-5, seed++);  // above the parallel grain
}

TEST(SoftmaxKernel, NllMatchesHandValues) {
  LossShape s;
  s.N = 2;
  s.C = 3;
  s.D = 1;
  s.ignore_index = 9;
  const std::vector<double> lp{-1, -2, -3, -0.5, -1.5, -2.5}, w{1, 2, 3};
  const std::vector<int64_t> t{2, 9};
  std::vector<double> loss(2, -777), gx(6, -777);
  double total = 0, tw = 0;
  nll_forward(s, lp.data(), t.data(), w.data(), loss.data(), &total, &tw);
  EXPECT_EQ(loss, (std::vector<double>{9, 0}));
  EXPECT_EQ(total, 9);
  EXPECT_EQ(tw, 3);
  const double g = 2;
  nll_backward(s, t.data(), w.data(), &g, 0, 0.5, gx.data());
  EXPECT_EQ(gx, (std::vector<double>{0, 0, -3, 0, 0, 0}));
}

}  // namespace
}  // namespace strata::kernels::cpu
