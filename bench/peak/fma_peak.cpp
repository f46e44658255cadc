// The machine's float32 FMA peak, measured: every OpenMP thread runs 12 independent chains of 8-wide AVX2 FMAs
// (enough to cover the FMA latency on both pipes), and the program prints GFLOP/s per thread count. The
// "percent of peak" figures in docs/benchmarks.md divide by this number.
//   strata_fma_peak [seconds=1]
#include <immintrin.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

#if defined(__AVX2__) && defined(__FMA__)
// Returns the flops done; `iters` rounds of 12 FMAs on 8 floats, 2 flops each.
__attribute__((noinline)) double fma_chains(long iters, float* sink) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(1.0f + 1e-7f * static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it) {
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], m, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, a[i]);
  _mm256_storeu_ps(sink, s);
  return static_cast<double>(iters) * 12 * 8 * 2;
}
#endif

}  // namespace

int main(int argc, char** argv) {
#if defined(__AVX2__) && defined(__FMA__)
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const int max_threads = omp_get_max_threads();
  for (int threads = 1; threads <= max_threads; ++threads) {
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const long iters = static_cast<long>(seconds * 2e8 / 5);
      double flops = 0;
      const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
      {
        alignas(32) float sink[8];
        flops += fma_chains(iters, sink);
        if (sink[0] == 42.0f) std::printf(" ");  // keeps the result alive
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (flops / s > best) best = flops / s;
    }
    std::printf("{\"threads\": %d, \"fma_peak_gflops\": %.1f}\n", threads, best / 1e9);
  }
  return 0;
#else
  (void)argc;
  (void)argv;
  std::printf("{\"error\": \"built without AVX2 + FMA\"}\n");
  return 1;
#endif
}
