// GEMM throughput at the MLP's shapes and at squares (needs src/ops/linalg.cpp; see bench/CMakeLists.txt).
#include <string>

#include "bench.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;

// C (m x n) = A (m x k) @ B (k x n); 2 m k n flops.
void gemm(strata::bench::Context& ctx, int64_t m, int64_t k, int64_t n) {
  Tensor a = strata::randn({m, k});
  Tensor b = strata::randn({k, n});
  ctx.throughput("GFLOP/s", 2.0 * static_cast<double>(m * k * n) / 1e9, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) Tensor c = strata::matmul(a, b);
  });
}

// The MLP 784-512-256-10 at batch 128: the three forward products x @ W^T.
STRATA_BENCHMARK(gemm_mlp1, "gemm.128x784x512", "matmul (128, 784) @ (784, 512): MLP layer 1 forward") {
  gemm(ctx, 128, 784, 512);
}
STRATA_BENCHMARK(gemm_mlp2, "gemm.128x512x256", "matmul (128, 512) @ (512, 256): MLP layer 2 forward") {
  gemm(ctx, 128, 512, 256);
}
STRATA_BENCHMARK(gemm_mlp3, "gemm.128x256x10", "matmul (128, 256) @ (256, 10): MLP layer 3 forward") {
  gemm(ctx, 128, 256, 10);
}

// Weight gradient of layer 1: dW = G^T @ X with G (128, 512), X (128, 784); A is a transposed view.
STRATA_BENCHMARK(gemm_mlp1_dw, "gemm.t.512x128x784", "matmul G.t() @ X, G (128, 512), X (128, 784): layer 1 dW") {
  Tensor g = strata::randn({128, 512});
  Tensor x = strata::randn({128, 784});
  ctx.throughput("GFLOP/s", 2.0 * 512 * 128 * 784 / 1e9, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) Tensor c = strata::matmul(g.t(), x);
  });
}

STRATA_BENCHMARK(gemm_256, "gemm.256x256x256", "matmul of two 256x256 float32 matrices") { gemm(ctx, 256, 256, 256); }
STRATA_BENCHMARK(gemm_512, "gemm.512x512x512", "matmul of two 512x512 float32 matrices") { gemm(ctx, 512, 512, 512); }
STRATA_BENCHMARK(gemm_1024, "gemm.1024x1024x1024", "matmul of two 1024x1024 float32 matrices") {
  gemm(ctx, 1024, 1024, 1024);
}

}  // namespace
