// rnn_gemm: the per-step products of a recurrent layer (docs/rnn.md, "Speed"), h W_hh^T forward (NT) and
// dg W_hh backward (NN) at batch 32, hidden 256, for GRU (3 gates) and LSTM (4): gemm<float> (OpenBLAS
// sgemm, which repacks W_hh on every call), its deterministic-mode form, gemm_packed, and gemm_prepacked
// against a PackedB built once (its packing cost is printed apart, to be shared by the T = 64 steps), and
// rows_us: gemm_prepacked the way rnn_layer runs it, each thread on its own block of rows for many steps in one
// parallel region (per step).
// Variants are interleaved in rounds so that they see the same machine state; best microseconds of 15 rounds.
// usage: strata_rnn_gemm_bench [threads...] (default: 1 2)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "strata/core/threading.h"

namespace kc = strata::kernels::cpu;

namespace {

struct Case {
  const char* name;
  bool tb;
  int64_t M, N, K;
};

double best_us(const std::function<void()>& fn, int reps) {
  fn();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) fn();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / reps;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) threads.push_back(std::atoi(argv[i]));
  if (threads.empty()) threads = {1, 2};
  const std::vector<Case> cases = {{"gru.fwd NT 32x768x256", true, 32, 768, 256},
                                   {"lstm.fwd NT 32x1024x256", true, 32, 1024, 256},
                                   {"gru.bwd NN 32x256x768", false, 32, 256, 768},
                                   {"lstm.bwd NN 32x256x1024", false, 32, 256, 1024}};
  std::printf("%-26s %3s %10s %10s %10s %10s %10s %10s\n", "case", "thr", "blas_us", "det_us", "packed_us",
              "prepack_us", "rows_us", "pack_us");
  for (const int nt : threads) {
    strata::set_num_threads(nt);
    for (const Case& c : cases) {
      // W_hh is (G*H) x H: forward op(B) = W_hh^T (stored N x K), backward op(B) = W_hh (stored K x N).
      std::vector<float> a(static_cast<size_t>(c.M * c.K)), b(static_cast<size_t>(c.N * c.K)),
          out(static_cast<size_t>(c.M * c.N));
      for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
      for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 104729) % 1000) / 1000.0f - 0.5f;
      const int64_t ldb = c.tb ? c.K : c.N;
      kc::PackedB<float> pb(c.tb, c.K, c.N, b.data(), ldb);
      auto blas = [&] {
        kc::gemm<float>(false, c.tb, c.M, c.N, c.K, 1.f, a.data(), c.K, b.data(), ldb, 1.f, out.data(), c.N);
      };
      auto det = [&] {
        const strata::DeterministicGuard g(true);
        blas();
      };
      auto packed = [&] {
        kc::gemm_packed<float>(false, c.tb, c.M, c.N, c.K, 1.f, a.data(), c.K, b.data(), ldb, 1.f, out.data(), c.N);
      };
      auto pre = [&] { kc::gemm_prepacked<float>(false, c.M, 1.f, a.data(), c.K, pb, 1.f, out.data(), c.N); };
      auto pack = [&] { kc::PackedB<float> p(c.tb, c.K, c.N, b.data(), ldb); };
      // rnn_layer's split: each thread runs 16 steps on its own block of rows in one parallel region (per step).
      auto rows = [&] {
#pragma omp parallel num_threads(nt)
        {
          const int64_t n = omp_get_num_threads(), i = omp_get_thread_num();
          const int64_t b0 = c.M * i / n, b1 = c.M * (i + 1) / n;
          for (int step = 0; step < 16; ++step) {
            kc::gemm_prepacked<float>(false, b1 - b0, 1.f, a.data() + b0 * c.K, c.K, pb, 1.f, out.data() + b0 * c.N,
                                      c.N);
          }
        }
      };
      double r[6] = {1e30, 1e30, 1e30, 1e30, 1e30, 1e30};
      for (int round = 0; round < 15; ++round) {
        r[0] = std::min(r[0], best_us(blas, 20));
        r[1] = std::min(r[1], best_us(det, 20));
        r[2] = std::min(r[2], best_us(packed, 20));
        r[3] = std::min(r[3], best_us(pre, 20));
        r[4] = std::min(r[4], best_us(rows, 2) / 16);
        r[5] = std::min(r[5], best_us(pack, 5));
      }
      std::printf("%-26s %3d %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", c.name, nt, r[0], r[1], r[2], r[3], r[4],
                  r[5]);
    }
  }
  return 0;
}
