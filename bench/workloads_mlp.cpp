// MLP inference latency at batch 1 (needs src/ops/linalg.cpp and src/ops/activation*.cpp).
#include "bench.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;

// Flatten -> Linear(784, 512) -> ReLU -> Linear(512, 256) -> ReLU -> Linear(256, 10), eval, no grad.
STRATA_BENCHMARK(mlp_infer_b1, "mlp.infer_b1",
                 "MLP 784-512-256-10 forward on one 1x784 input under NoGradGuard (PyTorch: no_grad)") {
  const Tensor w1 = strata::randn({512, 784}) * 0.035;
  const Tensor b1 = strata::randn({512}) * 0.035;
  const Tensor w2 = strata::randn({256, 512}) * 0.044;
  const Tensor b2 = strata::randn({256}) * 0.044;
  const Tensor w3 = strata::randn({10, 256}) * 0.0625;
  const Tensor b3 = strata::randn({10}) * 0.0625;
  const Tensor x = strata::randn({1, 784});
  strata::NoGradGuard no_grad;
  ctx.latency("us/forward", 1e6, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) {
      Tensor h = strata::relu(strata::linear(x, w1, b1));
      h = strata::relu(strata::linear(h, w2, b2));
      Tensor y = strata::linear(h, w3, b3);
    }
  });
}

}  // namespace
