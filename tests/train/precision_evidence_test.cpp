// Mixed precision end to end on a small MLP (docs/precision.md, "Evidence"): bf16 autocast training reaches the
// float32 loss, keeps fewer bytes for backward, and float16 without loss scaling flushes gradients that the
// GradScaler keeps.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/autograd/autocast.h"
#include "strata/core/allocator.h"
#include "strata/core/generator.h"
#include "strata/diag/precision.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/linalg.h"
#include "strata/ops/reduction.h"
#include "strata/ops/softmax.h"
#include "strata/optim/sgd.h"
#include "strata/train/metrics.h"
#include "strata/train/step.h"

namespace strata::train {
namespace {

// 4 classes from a random linear teacher over 32 Gaussian features; the batch is wide against the model so
// that activations, not the per-forward 16-bit weight copies, dominate what backward keeps.
struct Task {
  Tensor x, y;
  Task() {
    Generator gen(11);
    x = randn({1024, 32}, kFloat32, &gen);
    const Tensor teacher = randn({32, 4}, kFloat32, &gen);
    y = argmax(matmul(x, teacher), 1);
  }
};

std::shared_ptr<nn::Sequential> make_mlp(uint64_t seed) {
  manual_seed(seed);
  return std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
      std::make_shared<nn::Linear>(32, 64), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(64, 64),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(64, 4)});
}

double train_loss(Precision p, int steps) {
  const Task t;
  auto model = make_mlp(5);
  optim::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  Stepper stepper(*model, opt, {.precision = p});
  double loss = 0;
  for (int i = 0; i < steps; ++i) loss = stepper([&] { return cross_entropy((*model)(t.x), t.y); }).loss;
  return loss;
}

// Allocator bytes held by the graph of one forward + loss (the tensors backward will read).
int64_t saved_bytes(Precision p) {
  const Task t;
  auto model = make_mlp(5);
  const int64_t before = cpu_allocator::stats().allocated_bytes;
  Tensor loss;
  {
    const bool mixed = p != Precision::FP32;
    AutocastGuard autocast(mixed ? autocast_dtype(p) : kBFloat16, mixed);
    loss = cross_entropy((*model)(t.x), t.y);
  }
  return cpu_allocator::stats().allocated_bytes - before;
}

TEST(PrecisionEvidence, Bf16TrainingReachesTheFloat32Loss) {
  const double fp32 = train_loss(Precision::FP32, 30), bf16 = train_loss(Precision::BF16, 30);
  const double start = std::log(4.0);
  ASSERT_LT(fp32, 0.5 * start);  // the task is learned, so the comparison means something
  EXPECT_NEAR(bf16, fp32, 0.05 * start) << "fp32 " << fp32 << " bf16 " << bf16;
}

TEST(PrecisionEvidence, Bf16KeepsFewerBytesForBackward) {
  const int64_t fp32 = saved_bytes(Precision::FP32), bf16 = saved_bytes(Precision::BF16);
  ASSERT_GT(fp32, 1024 * 64 * 4);  // at least one float32 hidden activation
  EXPECT_LT(static_cast<double>(bf16), 0.6 * static_cast<double>(fp32)) << "fp32 " << fp32 << " bf16 " << bf16;
}

// The gradient entries of the first layer's weight that are exactly zero after one step whose loss is multiplied
// by 2^-20: the gradients are then around float16's smallest subnormal.
struct TinyGradients {
  int64_t zeros = 0, numel = 0, fp16_flushed_unscaled = 0, fp16_flushed_scaled = 0;
};

TinyGradients tiny_gradient_step(Precision p, bool loss_scaling) {
  const Task t;
  auto model = make_mlp(5);
  optim::SGD opt(model->parameters(), {.lr = 0.0});
  Stepper stepper(*model, opt, {.precision = p, .loss_scaling = loss_scaling});
  const double weight = std::ldexp(1.0, -20);
  stepper([&] { return cross_entropy((*model)(t.x), t.y) * weight; });
  TinyGradients r;
  const std::vector<diag::FlushCount> counts = diag::fp16_flush_by_layer(*model);
  const diag::FlushCount total = diag::fp16_flush_total(counts);
  r.numel = total.numel;
  r.zeros = total.numel - total.nonzero;
  r.fp16_flushed_unscaled = total.flushed;
  r.fp16_flushed_scaled = diag::fp16_flush_total(diag::fp16_flush_by_layer(*model, 65536.0)).flushed;
  return r;
}

TEST(PrecisionEvidence, Fp16WithoutScalingFlushesTinyGradientsAndTheScalerKeepsThem) {
  const TinyGradients fp32 = tiny_gradient_step(Precision::FP32, false);
  const TinyGradients unscaled = tiny_gradient_step(Precision::FP16, false);
  const TinyGradients scaled = tiny_gradient_step(Precision::FP16, true);
  // In float32 the gradients exist; fp16_flush says float16 would lose many of them, scale 2^16 lifts them.
  EXPECT_GT(fp32.fp16_flushed_unscaled, fp32.numel / 4);
  EXPECT_LT(fp32.fp16_flushed_scaled, fp32.numel / 100);
  // The fp16 run without scaling has those zeros; the scaled run has no more zeros than float32 (dead ReLUs).
  EXPECT_GT(unscaled.zeros, fp32.zeros + fp32.numel / 4) << unscaled.zeros << " of " << unscaled.numel;
  EXPECT_LE(scaled.zeros, fp32.zeros + fp32.numel / 100) << scaled.zeros << " of " << scaled.numel;
}

// Under autocast the logits are bfloat16 / float16; the metrics of fit() and `strata train` read them as float32.
TEST(PrecisionEvidence, MetricsReadSixteenBitOutputs) {
  const Tensor logits = from_vector<float>({2.0f, 1.0f, 0.0f, 3.0f, 1.0f, 5.0f}, {3, 2});
  const Tensor target = from_vector<int64_t>({0, 1, 0}, {3});
  for (DType dt : {kBFloat16, kFloat16}) {
    EXPECT_DOUBLE_EQ(accuracy(logits.to(dt), target), 2.0 / 3.0) << dt;
    EXPECT_DOUBLE_EQ(top_k_accuracy(logits.to(dt), target, 1), 2.0 / 3.0) << dt;
  }
}

}  // namespace
}  // namespace strata::train
