// Workloads that need only the core and arithmetic: per-op framework overhead and add bandwidth.
#include "bench.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;

// Per-op overhead: a 1x16 add is almost all framework time (checks, allocation, dispatch, autograd).
STRATA_BENCHMARK(overhead_add_nograd, "overhead.add_1x16", "c = a + b, 1x16 float32, inputs need no grad") {
  Tensor a = strata::randn({1, 16});
  Tensor b = strata::randn({1, 16});
  ctx.latency("ns/op", 1e9, [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) Tensor c = a + b;
  });
}

STRATA_BENCHMARK(overhead_add_autograd, "overhead.add_1x16.autograd",
                 "c = a + b, 1x16 float32, a and b require grad (graph node recorded and freed)") {
  Tensor a = strata::randn({1, 16}).requires_grad_();
  Tensor b = strata::randn({1, 16}).requires_grad_();
  ctx.latency("ns/op", 1e9, [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) Tensor c = a + b;
  });
}

STRATA_BENCHMARK(overhead_add_nograd_guard, "overhead.add_1x16.no_grad_mode",
                 "c = a + b, 1x16 float32, a and b require grad, under NoGradGuard") {
  Tensor a = strata::randn({1, 16}).requires_grad_();
  Tensor b = strata::randn({1, 16}).requires_grad_();
  strata::NoGradGuard guard;
  ctx.latency("ns/op", 1e9, [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) Tensor c = a + b;
  });
}

// Memory-bound elementwise: bytes moved = 2 reads + 1 write of 4-byte floats.
STRATA_BENCHMARK(add_1m, "elementwise.add_1M", "c = a + b, 2^20 float32 each (12 MiB moved per op)") {
  const int64_t n = int64_t{1} << 20;
  Tensor a = strata::randn({n});
  Tensor b = strata::randn({n});
  ctx.throughput("GB/s", 3.0 * 4.0 * static_cast<double>(n) / 1e9, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) Tensor c = a + b;
  });
}

}  // namespace
