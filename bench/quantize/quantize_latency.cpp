// int8 inference latency (docs/quantization.md). Two parts:
//   kernel: qgemm_u8s8 against widening the uint8 activations to float and calling gemm<float> on weights
//           widened once (the alternative the kernel had to beat), on the demo model's GEMM shapes;
//   model:  batch-1 and batch-64 forward latency of a run's float32 model.safetensors and int8
//           model.int8.safetensors (strata quantize), median of repeated calls under NoGradGuard.
// usage: strata_quantize_bench <run dir> (e.g. runs/lenet after `make demo` and `strata quantize runs/lenet`)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/qgemm.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/generator.h"
#include "strata/ops/creation.h"
#include "strata/tools/run.h"

using namespace strata;
namespace kc = strata::kernels::cpu;

namespace {

// Median microseconds of fn over `reps` calls (after 3 warm-up calls).
double median_us(int reps, const std::function<void()>& fn) {
  for (int i = 0; i < 3; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[static_cast<size_t>(reps / 2)];
}

void kernel_row(int64_t M, int64_t N, int64_t K, const char* what) {
  std::vector<uint8_t> A(static_cast<size_t>(M * K));
  std::vector<int8_t> W(static_cast<size_t>(N * K));
  uint32_t s = 1;
  for (auto& a : A) a = static_cast<uint8_t>((s = s * 1664525u + 1013904223u) >> 24);
  for (auto& w : W) w = static_cast<int8_t>(static_cast<int>((s = s * 1664525u + 1013904223u) >> 24) - 128);
  std::vector<float> ws(static_cast<size_t>(N), 0.01f), bias(static_cast<size_t>(N), 0.1f),
      C(static_cast<size_t>(M * N));
  const kc::QPackedWeights pw = kc::qgemm_pack_weights(W.data(), N, K, K);
  const double q = median_us(M * N * K > 1000000 ? 30 : 300, [&] {
    kc::qgemm_u8s8(M, A.data(), K, 128, 0.02f, pw, ws.data(), bias.data(), C.data(), N);
  });
  std::vector<float> Wf(W.begin(), W.end()), Af(static_cast<size_t>(M * K));
  const double f = median_us(M * N * K > 1000000 ? 30 : 300, [&] {
    for (size_t i = 0; i < Af.size(); ++i) Af[i] = static_cast<float>(A[i] - 128);
    kc::gemm<float>(false, true, M, N, K, 1.0f, Af.data(), K, Wf.data(), K, 0.0f, C.data(), N);
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) C[m * N + n] = 0.02f * ws[n] * C[m * N + n] + bias[n];
    }
  });
  std::printf("kernel  %-26s M=%-6lld N=%-4lld K=%-5lld  qgemm %9.1f us   float-gemm %9.1f us   ratio %.2fx\n", what,
              static_cast<long long>(M), static_cast<long long>(N), static_cast<long long>(K), q, f, f / q);
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("threads %d, gemm backend %s\n", omp_get_max_threads(), kc::gemm_backend_name());
  kernel_row(1, 128, 800, "lenet fc1, batch 1");
  kernel_row(64, 128, 800, "lenet fc1, batch 64");
  kernel_row(64 * 100, 32, 400, "lenet conv2 im2col, b 64");
  kernel_row(64, 512, 512, "square-ish 512");
  if (argc < 2) return 0;
  const std::string dir = argv[1];
  const tools::RunConfig cfg = tools::load_run_config(dir + "/config.json");
  const tools::Datasets d = tools::load_datasets(cfg);
  auto f32 = tools::load_model(cfg, d, dir + "/model.safetensors");
  auto i8 = tools::load_model(cfg, d, dir + "/model.int8.safetensors");
  f32->eval();
  i8->eval();
  NoGradGuard ng;
  for (int64_t b : {1, 64}) {
    std::vector<int64_t> shape{b};
    shape.insert(shape.end(), d.example_shape.begin(), d.example_shape.end());
    Tensor x = randn(Shape(shape));
    const int reps = b == 1 ? 500 : 50;
    const double tf = median_us(reps, [&] { (*f32)(x); });
    const double tq = median_us(reps, [&] { (*i8)(x); });
    std::printf("model   %s batch %-3lld  float32 %9.1f us   int8 %9.1f us   speed-up %.2fx\n", cfg.name.c_str(),
                static_cast<long long>(b), tf, tq, tf / tq);
  }
  return 0;
}
