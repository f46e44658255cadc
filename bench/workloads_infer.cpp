// LeNet-5 inference latency at batch 1 (twin in bench/torch_bench.py; mlp.infer_b1 is in workloads_mlp.cpp).
#include <memory>

#include "bench.h"
#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;
namespace nn = strata::nn;

template <class M, class... A>
nn::ModulePtr make(A&&... args) {
  return std::make_shared<M>(std::forward<A>(args)...);
}

// The lenet.train model (conv5x5 1-6 pad 2, pool, conv5x5 6-16, pool, fc 120-84-10) in eval mode, on one
// (1, 1, 28, 28) image under NoGradGuard.
STRATA_BENCHMARK(lenet_infer_b1, "lenet.infer_b1",
                 "LeNet-5 forward on one (1, 1, 28, 28) image, eval, under NoGradGuard (PyTorch: inference_mode)") {
  nn::Sequential model{make<nn::Conv2d>(1, 6, 5, 1, 2),
                       make<nn::ReLU>(),
                       make<nn::MaxPool2d>(2),
                       make<nn::Conv2d>(6, 16, 5),
                       make<nn::ReLU>(),
                       make<nn::MaxPool2d>(2),
                       make<nn::Flatten>(),
                       make<nn::Linear>(400, 120),
                       make<nn::ReLU>(),
                       make<nn::Linear>(120, 84),
                       make<nn::ReLU>(),
                       make<nn::Linear>(84, 10)};
  model.eval();
  const Tensor x = strata::randn({1, 1, 28, 28});
  strata::NoGradGuard no_grad;
  ctx.latency("us/forward", 1e6, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) Tensor y = model(x);
  });
}

}  // namespace
