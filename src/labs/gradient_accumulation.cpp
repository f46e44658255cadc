// Lab 199, gradient accumulation: 4 micro-batches of 8 with one optimizer step against one batch of 32, from
// identical weights (the largest weight difference after 1 step and after many), the same 4 micro-batches each
// taking its own step, and the peak memory of each way (diag::accumulation_memory).
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/data/dataset.h"
#include "strata/diag/tradeoff.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace gradient_accumulation_lab {

constexpr int64_t kBatch = 32;
constexpr int64_t kMicro = 4;

nn::ModulePtr make_model(uint64_t seed) {
  manual_seed(seed);
  return kit::mlp({2, 64, 64, 3}, "relu");
}

// Trains on the first `steps` * 32 examples in order (no shuffling), batches of `batch` with `accumulation`
// micro-batches per optimizer step; returns the trained model.
nn::ModulePtr train_on(const kit::XY& d, int64_t steps, int64_t batch, int64_t accumulation, uint64_t seed) {
  nn::ModulePtr model = make_model(seed);
  optim::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  data::DataLoaderOptions lo;
  lo.batch_size = batch;
  lo.prefetch = false;
  kit::XY part = kit::rows(d, 0, steps * kBatch);
  data::DataLoader loader(std::make_shared<data::TensorDataset>(part.x, part.y), lo);
  train::FitOptions fo;
  fo.accumulation_steps = accumulation;
  fo.metrics = {};
  nn::CrossEntropyLoss loss;
  train::fit(*model, loss, opt, loader, fo);
  return model;
}

double max_weight_diff(const nn::Module& a, const nn::Module& b) {
  auto pa = a.parameters(), pb = b.parameters();
  double worst = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    auto va = pa[i].detach().to(kFloat64).contiguous().to_vector<double>();
    auto vb = pb[i].detach().to(kFloat64).contiguous().to_vector<double>();
    for (size_t j = 0; j < va.size(); ++j) worst = std::max(worst, std::fabs(va[j] - vb[j]));
  }
  return worst;
}

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t many = lab.pick<int64_t>(100, 25);
  kit::XY d = kit::spirals(many * kBatch, 3, 0.02, lab.seed());

  lab.heading("Same start, same data: one batch of 32 vs 4 accumulated micro-batches of 8");
  std::vector<std::vector<std::string>> rows;
  double diff1 = 0, diff_many = 0, drift1 = 0, drift_many = 0;
  for (int64_t steps : {int64_t{1}, many}) {
    nn::ModulePtr big = train_on(d, steps, kBatch, 1, lab.seed());
    nn::ModulePtr acc = train_on(d, steps, kBatch / kMicro, kMicro, lab.seed());
    nn::ModulePtr small = train_on(d, steps, kBatch / kMicro, 1, lab.seed());  // each micro-batch steps alone
    nn::ModulePtr start = make_model(lab.seed());
    double moved = max_weight_diff(*big, *start);
    double diff = max_weight_diff(*big, *acc);
    double drift = max_weight_diff(*big, *small);
    (steps == 1 ? diff1 : diff_many) = diff;
    (steps == 1 ? drift1 : drift_many) = drift;
    rows.push_back({std::to_string(steps), fmt(moved), fmt(diff), fmt(drift)});
  }
  lab.table("largest |weight difference| to the batch-of-32 model (SGD, lr 0.1, momentum 0.9)",
            {"optimizer steps of 32 examples", "how far the weights moved from the start",
             "4 x 8 accumulated (1 step per 32)", "4 x 8 without accumulation (4 steps per 32)"},
            rows);
  lab.claim("after one step, 4 accumulated micro-batches of 8 give the batch-of-32 weights (difference < 1e-6)",
            diff1 < 1e-6, "largest difference " + fmt(diff1));
  lab.claim("after " + std::to_string(many) + " steps they still agree (difference < 1e-5)", diff_many < 1e-5,
            "largest difference " + fmt(diff_many));
  lab.claim(
      "without accumulation (a step per micro-batch) the weights end elsewhere: over 1000x the accumulated "
      "difference after one step",
      drift1 > 1000 * std::max(diff1, 1e-9), fmt(drift1) + " vs " + fmt(diff1));
  lab.note("The differences that remain are float32 rounding: the mean of 32 gradients summed in another order.");

  lab.heading("Peak memory of one step: the batch at once vs in 4 micro-batches");
  rows.clear();
  double ratio_large = 0;
  for (int64_t batch : {kBatch, int64_t{1024}}) {
    nn::ModulePtr model = make_model(lab.seed());
    Generator gen(lab.seed());
    Tensor x = randn({batch, 2}, {}, &gen);
    Tensor y = randint(0, 3, {batch}, TensorOptions(kInt64), &gen);
    nn::CrossEntropyLoss loss;
    diag::AccumulationMemory m = diag::accumulation_memory(*model, loss, x, y, kMicro);
    double ratio = static_cast<double>(m.accumulated_peak_bytes) / static_cast<double>(m.direct_peak_bytes);
    if (batch != kBatch) ratio_large = ratio;
    rows.push_back({std::to_string(batch), std::to_string(batch / kMicro),
                    fmt(static_cast<double>(m.direct_peak_bytes) / 1024, 4),
                    fmt(static_cast<double>(m.accumulated_peak_bytes) / 1024, 4), kit::times(ratio)});
  }
  lab.table("peak allocated KiB during one optimizer step",
            {"batch", "micro-batch", "at once", "4 micro-batches", "micro / at once"}, rows);
  lab.claim("at batch 1024, 4 micro-batches of 256 need well under the memory of the batch at once (< 0.5x)",
            ratio_large < 0.5, kit::times(ratio_large));
  lab.note(
      "At batch 32 the weights' gradients (fixed size) are much of the peak, so splitting saves less; the saving "
      "grows with the batch, where activations dominate.");
}

}  // namespace gradient_accumulation_lab

Lab lab_gradient_accumulation() {
  return {199,
          "gradient_accumulation",
          "Gradient accumulation",
          "When a large batch does not fit in memory, split it into micro-batches: run forward and backward on each, "
          "letting the gradients add up (each loss divided by the number of micro-batches), and step the optimizer "
          "once. With a mean loss and equal micro-batches the summed gradient is exactly the large batch's, so the "
          "update is the same, while only one micro-batch's activations are alive at a time.",
          "the weight-difference table: accumulated micro-batches stay at float32 rounding from the large batch "
          "even after many steps, while stepping after every micro-batch goes elsewhere; then the memory table.",
          gradient_accumulation_lab::run};
}

}  // namespace strata::labs
