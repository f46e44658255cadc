#pragma once
// The models of the training benchmarks, shared by strata_bench (workloads_train.cpp, workloads_gpt.cpp) and
// the data-parallel scaling benchmark (dist/dist_scaling.cpp). Their PyTorch twins are in bench/torch_bench.py.
#include <memory>
#include <string>
#include <vector>

#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace strata::bench::models {

template <class M, class... A>
nn::ModulePtr make(A&&... args) {
  return std::make_shared<M>(std::forward<A>(args)...);
}

// The layers of an nn::Sequential (which is not movable): nn::Sequential model(models::mlp_layers()).
// MLP 784-512-256-10 ReLU on (N, 1, 28, 28) images (Adam lr 1e-3, batch 128 in the benchmarks).
inline std::vector<nn::ModulePtr> mlp_layers() {
  return {make<nn::Flatten>(),        make<nn::Linear>(784, 512), make<nn::ReLU>(),
          make<nn::Linear>(512, 256), make<nn::ReLU>(),           make<nn::Linear>(256, 10)};
}

// LeNet-5: conv5x5 1-6 pad 2, pool, conv5x5 6-16, pool, fc 120-84-10 (SGD lr 0.01 momentum 0.9, batch 64).
inline std::vector<nn::ModulePtr> lenet_layers() {
  return {make<nn::Conv2d>(1, 6, 5, 1, 2),
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
}

// Small ResNet: conv3x3 1-32 + BN + ReLU, 2 BasicBlocks of 32, BasicBlock 32-64 stride 2, global average pool,
// fc 10 (Adam lr 1e-3, batch 128).
inline std::vector<nn::ModulePtr> resnet_small_layers() {
  return {make<nn::Conv2d>(1, 32, 3, 1, 1, 1, 1, /*has_bias=*/false),
          make<nn::BatchNorm2d>(32),
          make<nn::ReLU>(),
          make<nn::BasicBlock>(32, 32),
          make<nn::BasicBlock>(32, 32),
          make<nn::BasicBlock>(32, 64, 2),
          make<nn::AdaptiveAvgPool2d>(1),
          make<nn::Flatten>(),
          make<nn::Linear>(64, 10)};
}

// GPT: token Embedding(vocab, d) + learned positions (ctx, d); pre-LN blocks (fused qkv, exact-GELU MLP 4d);
// final LayerNorm; Linear(d, vocab, no bias). The benchmark's: (96, 128, 128, 4, 4), T 128, batch 16, Adam 3e-4.
class TinyGPT : public nn::Module {
 public:
  TinyGPT(int64_t vocab, int64_t ctx, int64_t d, int64_t heads, int64_t layers) {
    wte = register_module("wte", std::make_shared<nn::Embedding>(vocab, d));
    wpe = register_module("wpe", std::make_shared<nn::LearnedPositionalEncoding>(ctx, d, true));
    h = register_module("h", std::make_shared<nn::ModuleList>());
    for (int64_t i = 0; i < layers; ++i) h->push_back(std::make_shared<nn::GPTBlock>(d, heads, 4 * d));
    ln_f = register_module("ln_f", std::make_shared<nn::LayerNorm>(std::vector<int64_t>{d}));
    lm_head = register_module("lm_head", std::make_shared<nn::Linear>(d, vocab, false));
  }
  std::string type_name() const override { return "TinyGPT"; }
  Tensor forward(const Tensor& idx) override {  // (B, T) int64 -> (B, T, vocab)
    Tensor x = wpe->forward(wte->forward(idx));
    for (const auto& blk : *h) x = blk->forward(x);
    return lm_head->forward(ln_f->forward(x));
  }

  std::shared_ptr<nn::Embedding> wte;
  std::shared_ptr<nn::LearnedPositionalEncoding> wpe;
  std::shared_ptr<nn::ModuleList> h;
  std::shared_ptr<nn::LayerNorm> ln_f;
  std::shared_ptr<nn::Linear> lm_head;
};

}  // namespace strata::bench::models
