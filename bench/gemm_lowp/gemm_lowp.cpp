// gemm_lowp: the two 16-bit GEMMs of kernels/cpu/gemm.h against the float32 GEMM on the shapes the training
// workloads run (docs/precision.md, "Speed"). Per case and thread count: gemm<float> (OpenBLAS sgemm),
// gemm_lowp_packed and gemm_lowp_convert for bfloat16 and float16, the variants interleaved in rounds so that
// they see the same machine state; the best (minimum) microseconds per call of 9 rounds, the steadier estimate
// on a machine that other processes share.
// usage: strata_gemm_lowp_bench [threads...] (default: 1 2)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "strata/core/dtype.h"
#include "strata/core/threading.h"

namespace kc = strata::kernels::cpu;
using strata::BFloat16;
using strata::Half;

namespace {

struct Case {
  const char* name;
  bool ta, tb;
  int64_t M, N, K;
};

// Linear layers follow nn.Linear (W stored (out, in)): forward x @ W^T is NT (B, out, in), backward-data
// g @ W is NN (B, in, out), backward-weights g^T @ x is TN (out, in, B). Conv rows are the im2col GEMMs
// (M = Cout, N = Ho*Wo, K = Cin*k*k) per image.
std::vector<Case> cases() {
  return {
      {"mlp.l1.fwd 784-512", false, true, 128, 512, 784},
      {"mlp.l1.bwd_w", true, false, 512, 784, 128},
      {"mlp.l2.fwd 512-256", false, true, 128, 256, 512},
      {"mlp.l2.bwd_data", false, false, 128, 512, 256},
      {"mlp.l2.bwd_w", true, false, 256, 512, 128},
      {"mlp.l3.fwd 256-10", false, true, 128, 10, 256},
      {"lenet.conv1 6x784x25", false, false, 6, 784, 25},
      {"lenet.conv2 16x100x150", false, false, 16, 100, 150},
      {"lenet.fc1 64x120x400", false, true, 64, 120, 400},
      {"resnet.conv 32x784x288", false, false, 32, 784, 288},
      {"resnet.conv 64x196x576", false, false, 64, 196, 576},
      {"gpt.qkv.fwd 2048x384x128", false, true, 2048, 384, 128},
      {"gpt.qkv.bwd_data 2048x128x384", false, false, 2048, 128, 384},
      {"gpt.qkv.bwd_w 384x128x2048", true, false, 384, 128, 2048},
      {"gpt.fc.fwd 2048x512x128", false, true, 2048, 512, 128},
      {"gpt.proj.fwd 2048x128x512", false, true, 2048, 128, 512},
      {"gpt.att q@k^T 128x128x32", false, true, 128, 128, 32},
      {"lstm.x_proj 2048x1024x64", false, true, 2048, 1024, 64},
      {"lstm.h_step 32x1024x256", false, true, 32, 1024, 256},
  };
}

double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best microseconds per call over `rounds` rounds, the variants interleaved within each round.
std::vector<double> measure(const std::vector<std::function<void()>>& fns, double flops) {
  const int reps = std::clamp(static_cast<int>(2e8 / std::max(flops, 1.0)), 3, 2000);  // ~10-50 ms a batch
  const int rounds = 9;
  std::vector<std::vector<double>> t(fns.size());
  for (const auto& f : fns) f();  // warm-up: scratch buffers, OpenBLAS threads
  for (int r = 0; r < rounds; ++r) {
    for (size_t v = 0; v < fns.size(); ++v) {
      const double a = now_us();
      for (int i = 0; i < reps; ++i) fns[v]();
      t[v].push_back((now_us() - a) / reps);
    }
  }
  std::vector<double> med;
  for (auto& x : t) med.push_back(*std::min_element(x.begin(), x.end()));
  return med;
}

template <class T>
std::vector<T> filled(int64_t n, uint32_t seed) {
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v)
    x = T(static_cast<float>(static_cast<int>((seed = seed * 1664525u + 1013904223u) >> 24) - 128) / 128.f);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) threads.push_back(std::atoi(argv[i]));
  if (threads.empty()) threads = {1, 2};
  std::printf("# backend %s; microseconds per call (best of 9 interleaved rounds); ratio = time / float32\n",
              kc::gemm_backend_name());
  std::printf("%-31s %3s %9s | %9s %9s %5s %5s | %9s %9s %5s %5s | %s\n", "case", "thr", "f32 us", "bf16 pk", "bf16 cv",
              "pk/f", "cv/f", "fp16 pk", "fp16 cv", "pk/f", "cv/f", "faster (bf16, fp16)");
  for (int nt : threads) {
    strata::set_num_threads(nt);
    for (const Case& c : cases()) {
      const int64_t lda = c.ta ? c.M : c.K, ldb = c.tb ? c.K : c.N;
      const auto af = filled<float>(c.M * c.K, 1), bf = filled<float>(c.K * c.N, 2);
      const std::vector<BFloat16> ab(af.begin(), af.end()), bb(bf.begin(), bf.end());
      const std::vector<Half> ah(af.begin(), af.end()), bh(bf.begin(), bf.end());
      std::vector<float> C(static_cast<size_t>(c.M * c.N));
      const double flops = 2.0 * static_cast<double>(c.M * c.N * c.K);
      const auto t = measure(
          {[&] { kc::gemm<float>(c.ta, c.tb, c.M, c.N, c.K, 1.f, af.data(), lda, bf.data(), ldb, 0.f, C.data(), c.N); },
           [&] {
             kc::gemm_lowp_packed(c.ta, c.tb, c.M, c.N, c.K, 1.f, ab.data(), lda, bb.data(), ldb, 0.f, C.data(), c.N);
           },
           [&] {
             kc::gemm_lowp_convert(c.ta, c.tb, c.M, c.N, c.K, 1.f, ab.data(), lda, bb.data(), ldb, 0.f, C.data(), c.N);
           },
           [&] {
             kc::gemm_lowp_packed(c.ta, c.tb, c.M, c.N, c.K, 1.f, ah.data(), lda, bh.data(), ldb, 0.f, C.data(), c.N);
           },
           [&] {
             kc::gemm_lowp_convert(c.ta, c.tb, c.M, c.N, c.K, 1.f, ah.data(), lda, bh.data(), ldb, 0.f, C.data(), c.N);
           }},
          flops);
      std::printf("%-31s %3d %9.1f | %9.1f %9.1f %5.2f %5.2f | %9.1f %9.1f %5.2f %5.2f | %s, %s\n", c.name, nt, t[0],
                  t[1], t[2], t[1] / t[0], t[2] / t[0], t[3], t[4], t[3] / t[0], t[4] / t[0],
                  t[1] < t[2] ? "packed" : "convert", t[3] < t[4] ? "packed" : "convert");
      std::fflush(stdout);
    }
  }
  return 0;
}
