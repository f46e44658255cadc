// GPT training step (our baseline GPT workload): token Embedding(96, 128) + learned positions
// (128, 128); 4 pre-LN blocks (4 heads, fused qkv, exact-GELU MLP 512); final LayerNorm; Linear(128, 96, no
// bias); T = 128, B = 16 (2,048 tokens per step); Adam lr 3e-4. Needs src/nn/transformer.cpp and embedding.cpp.
#include "bench.h"
#include "bench_models.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;
namespace nn = strata::nn;

using strata::bench::models::TinyGPT;

// precision BF16 / FP16: the step goes through train::Stepper with StepOptions::precision (forward and loss under
// AutocastGuard; fp16 with the Stepper's default GradScaler).
void gpt_train(strata::bench::Context& ctx, strata::train::Precision precision) {
  const int64_t V = 96, T = 128, B = 16;
  TinyGPT model(V, T, 128, 4, 4);
  strata::optim::AdamOptions o;
  o.lr = 3e-4;
  strata::optim::Adam opt(model.parameters(), o);
  Tensor data = strata::randint(0, V, {B, T + 1});
  Tensor x = data.narrow(1, 0, T).contiguous(), y = data.narrow(1, 1, T).contiguous().reshape({B * T});
  strata::train::Stepper stepper(model, opt, {.precision = precision});
  auto step = [&] {
    if (precision != strata::train::Precision::FP32) {
      stepper([&] { return strata::cross_entropy(model.forward(x).reshape({B * T, V}), y); });
      return;
    }
    Tensor logits = model.forward(x);
    Tensor loss = strata::cross_entropy(logits.reshape({B * T, V}), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  };
  ctx.throughput("tokens/s", static_cast<double>(B * T), [&](int64_t steps) {
    for (int64_t i = 0; i < steps; ++i) step();
  });
  ctx.peak_rss();
}

#define GPT_DESC "GPT d128 h4 L4 (fused qkv, GELU MLP 512), T 128, batch 16, Adam 3e-4: one training step"
STRATA_BENCHMARK(gpt_train_fp32, "gpt.train_t128_b16", GPT_DESC) { gpt_train(ctx, strata::train::Precision::FP32); }
STRATA_BENCHMARK(gpt_train_bf16, "gpt.train_t128_b16_bf16", GPT_DESC ", under bf16 autocast") {
  gpt_train(ctx, strata::train::Precision::BF16);
}
STRATA_BENCHMARK(gpt_train_fp16, "gpt.train_t128_b16_fp16", GPT_DESC ", under fp16 autocast with loss scaling") {
  gpt_train(ctx, strata::train::Precision::FP16);
}

// The attention of one GPT layer alone: causal SDPA forward + backward on (16, 4, 128, 32) q, k, v.
STRATA_BENCHMARK(sdpa_causal, "attention.causal_b16_h4_t128_d32",
                 "causal attention (16, 4, 128, 32), forward + backward (PyTorch: q@k^T, masked_fill, softmax, @v)") {
  Tensor q = strata::randn({16, 4, 128, 32}).requires_grad_(), k = strata::randn({16, 4, 128, 32}).requires_grad_();
  Tensor v = strata::randn({16, 4, 128, 32}).requires_grad_();
  Tensor g = strata::randn({16, 4, 128, 32});
  ctx.throughput("tokens/s", 16 * 128, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) {
      Tensor y = strata::scaled_dot_product_attention(q, k, v, Tensor(), 0.0, true);
      strata::autograd::grad({y}, {q, k, v}, {g});
    }
  });
}

}  // namespace
