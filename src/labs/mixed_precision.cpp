// Lab 198, mixed precision: the same MLP trained in float32, bfloat16 and float16 (with loss scaling)
// (FitOptions.precision); the activation memory of a training step in float32 and bfloat16; and how many of a
// trained model's small gradients float16 would flush to zero, without and with the GradScaler's scale.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/autograd/autocast.h"
#include "strata/core/generator.h"
#include "strata/diag/precision.h"
#include "strata/diag/tradeoff.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/optim/adam.h"
#include "strata/train/grad_scaler.h"

namespace strata::labs {

namespace mixed_precision_lab {

struct Run {
  nn::ModulePtr model;
  double accuracy = 0;
  double loss_scale = 1;
  int64_t skipped = 0;
};

Run train_in(train::Precision p, const kit::XY& tr, const kit::XY& te, int64_t epochs, uint64_t seed,
             const std::string& activation = "relu") {
  manual_seed(seed);
  Run r;
  r.model = kit::mlp({2, 128, 128, 128, 3}, activation);
  optim::Adam opt(r.model->parameters(), {.lr = 3e-3});
  train::FitOptions fo;
  fo.epochs = epochs;
  fo.precision = p;
  nn::CrossEntropyLoss loss;
  train::History h = kit::fit(*r.model, loss, opt, tr, 64, fo, nullptr, seed);
  r.accuracy = kit::accuracy(*r.model, te);
  r.loss_scale = h.loss_scale;
  r.skipped = h.skipped_steps;
  return r;
}

// Cross-entropy of example i under the model (eval mode).
double example_loss(nn::Module& model, const kit::XY& d, int64_t i) {
  std::vector<double> z = kit::values(kit::predict(model, d.x.narrow(0, i, 1)).reshape({-1}));
  const int64_t y = d.y.narrow(0, i, 1).item<int64_t>();
  double mx = *std::max_element(z.begin(), z.end()), s = 0;
  for (double v : z) s += std::exp(v - mx);
  return mx + std::log(s) - z[static_cast<size_t>(y)];
}

int64_t median_loss_index(nn::Module& model, const kit::XY& d) {
  std::vector<std::pair<double, int64_t>> l;
  for (int64_t i = 0; i < std::min<int64_t>(d.size(), 501); ++i) l.emplace_back(example_loss(model, d, i), i);
  std::nth_element(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(l.size() / 2), l.end());
  return l[l.size() / 2].second;
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t n = lab.pick<int64_t>(3000, 1500);
  const int64_t epochs = lab.pick<int64_t>(40, 20);
  kit::XY all = kit::spirals(n + 1000, 3, 0.03, lab.seed());
  auto [tr, te] = kit::split(all, n);

  lab.heading("Accuracy: the same training in three precisions");
  lab.note("MLP 2 -> 128 -> 128 -> 128 -> 3 (ReLU) on 3 spirals, Adam lr 3e-3, batch 64, " + std::to_string(epochs) +
           " epochs, same seed; accuracy on 1000 held-out points. In bf16 / fp16 the forward and the loss run in "
           "16 bits (autocast); weights and optimizer state stay float32.");
  Run fp32 = train_in(train::Precision::FP32, tr, te, epochs, lab.seed());
  Run bf16 = train_in(train::Precision::BF16, tr, te, epochs, lab.seed());
  Run fp16 = train_in(train::Precision::FP16, tr, te, epochs, lab.seed());
  lab.table("", {"precision", "held-out accuracy", "loss scale at the end", "steps skipped (inf/NaN)"},
            {{"float32", pct(fp32.accuracy), "-", "-"},
             {"bfloat16", pct(bf16.accuracy), "-", "-"},
             {"float16 + GradScaler", pct(fp16.accuracy), fmt(fp16.loss_scale), std::to_string(fp16.skipped)}});
  lab.bar_plot({"Held-out accuracy", "", "accuracy"}, {"float32", "bfloat16", "float16 + scaler"},
               {fp32.accuracy, bf16.accuracy, fp16.accuracy});
  lab.claim("bfloat16 training reaches float32's accuracy within 2 points",
            fp32.accuracy > 0.8 && std::abs(bf16.accuracy - fp32.accuracy) <= 0.02,
            "float32 " + pct(fp32.accuracy) + ", bfloat16 " + pct(bf16.accuracy));

  lab.heading("Activation memory of one training step (batch 2048)");
  Generator gen(lab.seed());
  Tensor x = randn({2048, 2}, {}, &gen);
  Tensor y = randint(0, 3, {2048}, TensorOptions(kInt64), &gen);
  nn::CrossEntropyLoss loss;
  auto step_peak = [&](bool half) {
    manual_seed(lab.seed());
    nn::ModulePtr m = kit::mlp({2, 512, 512, 512, 3}, "relu");
    loss((*m)(x), y).backward();  // gradients allocated before measuring: the peak is the step's activations
    m->zero_grad(false);
    return static_cast<double>(diag::peak_allocated_during([&] {
      Tensor l;
      {
        AutocastGuard cast(kBFloat16, half);
        l = loss((*m)(x), y);
      }
      l.backward();
    }));
  };
  const double mem32 = step_peak(false), mem16 = step_peak(true);
  lab.table("peak allocated during forward + backward (weights and their gradients excluded), MLP 2 -> 512 x 3 -> 3",
            {"precision", "peak KiB", "vs float32"},
            {{"float32", fmt(mem32 / 1024, 4), "1x"},
             {"bfloat16 autocast", fmt(mem16 / 1024, 4), kit::times(mem16 / mem32)}});
  lab.claim("a bfloat16 training step needs less activation memory than float32 (< 0.8x)", mem16 < 0.8 * mem32,
            kit::times(mem16 / mem32));
  lab.note("Not half: the weights are cast to 16 bits for each step (extra copies), and some ops keep float32.");

  lab.heading("Small gradients in float16: below its range without loss scaling");
  // The trained float32 model's gradient for one typical training example: the one with the median loss. Late
  // in training most examples are classified confidently, so their loss and every gradient entry are tiny.
  const int64_t idx = median_loss_index(*fp32.model, tr);
  fp32.model->zero_grad();
  loss((*fp32.model)(tr.x.narrow(0, idx, 1)), tr.y.narrow(0, idx, 1)).backward();
  lab.note("The float32 model's gradient (computed in float32) for its median-loss training example (loss " +
           fmt(example_loss(*fp32.model, tr, idx)) + "), compared with float16's limits.");
  nn::Module& probe = *fp32.model;
  const double scale = train::GradScalerOptions{}.init_scale;
  auto by_layer = diag::fp16_flush_by_layer(probe);
  auto scaled = diag::fp16_flush_by_layer(probe, scale);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < by_layer.size(); ++i) {
    rows.push_back({by_layer[i].name, std::to_string(by_layer[i].nonzero), pct(by_layer[i].flushed_fraction, 2),
                    pct(by_layer[i].subnormal_fraction, 1), pct(scaled[i].flushed_fraction, 2),
                    pct(scaled[i].subnormal_fraction, 1)});
  }
  lab.table("gradient entries of the trained model against float16's limits",
            {"layer", "nonzero entries", "flushed to 0 (< 2^-24)", "subnormal (< 2^-14)", "scaled by 2^16: flushed",
             "scaled: subnormal"},
            rows);
  diag::FlushCount t0 = diag::fp16_flush_total(by_layer), t1 = diag::fp16_flush_total(scaled);
  // The share moves with the example's loss: 15-23% at quick size (seeds 0-2), 92% at full size, and 8.9% in the
  // sanitizer build (-O1 rounds the training differently), hence the 5% bar.
  lab.claim(
      "without loss scaling over 5% of the gradient entries fall below float16's normal range (2^-14: "
      "fewer bits, the smallest flushed to 0); scaled by 2^16 (the GradScaler's start), at least 10x fewer",
      t0.subnormal_fraction > 0.05 && t1.subnormal_fraction * 10 < t0.subnormal_fraction,
      "below 2^-14: unscaled " + pct(t0.subnormal_fraction) + ", scaled " + pct(t1.subnormal_fraction) +
          "; flushed to 0: unscaled " + pct(t0.flushed_fraction, 2) + ", scaled " + pct(t1.flushed_fraction, 2));
  lab.note(
      "How many entries flush to exactly 0 depends on how confident the model already is (the smaller the "
      "loss, the smaller every entry); the scale lifts them all by 2^16, and the GradScaler keeps growing it "
      "while no step overflows.");
}

}  // namespace mixed_precision_lab

Lab lab_mixed_precision() {
  return {198,
          "mixed_precision",
          "Mixed precision",
          "Mixed precision runs the forward pass (and the gradients flowing back through it) in 16-bit floats while "
          "the weights and their updates stay in 32 bits: half the bytes per activation and faster arithmetic on "
          "hardware built for it. bfloat16 keeps float32's exponent range (fewer mantissa bits), so it trains as "
          "is; float16 has more precision but its smallest number is about 6e-8, so small gradients become 0 "
          "unless the loss is multiplied by a large scale first (loss scaling) and the gradients divided after.",
          "the accuracy table (bfloat16 and float16 with scaling match float32), the memory table, and the "
          "flush table: the share of gradient entries below float16's range, unscaled vs scaled by 2^16.",
          mixed_precision_lab::run};
}

}  // namespace strata::labs
