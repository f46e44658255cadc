// Unary elementwise bandwidth (needs src/ops/elementwise*.cpp; see bench/CMakeLists.txt).
#include "bench.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;

STRATA_BENCHMARK(exp_1m, "elementwise.exp_1M", "y = exp(x), 2^20 float32 (8 MiB moved per op)") {
  const int64_t n = int64_t{1} << 20;
  Tensor x = strata::randn({n});
  ctx.throughput("GB/s", 2.0 * 4.0 * static_cast<double>(n) / 1e9, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) Tensor y = strata::exp(x);
  });
}

}  // namespace
