// Worked example, training memory: the peak bytes of a training step (forward + backward) against a prediction
// (a no-grad forward) for MLPs of depth 2, 4, 8 and batches of 32, 128, 512, measured with the allocator's
// high-water mark (diag::peak_allocated_during).
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/generator.h"
#include "strata/diag/tradeoff.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"

namespace strata::labs {

namespace training_memory_lab {

constexpr int64_t kInput = 64;
constexpr int64_t kWidth = 256;
constexpr int64_t kClasses = 10;

struct Measure {
  int64_t depth = 0, batch = 0;
  double train = 0, predict = 0, params = 0;  // bytes
};

Measure measure(int64_t depth, int64_t batch, uint64_t seed) {
  manual_seed(seed);
  std::vector<int64_t> sizes = {kInput};
  for (int64_t i = 0; i < depth; ++i) sizes.push_back(kWidth);
  sizes.push_back(kClasses);
  nn::ModulePtr model = kit::mlp(sizes, "relu");
  Generator gen(seed);
  Tensor x = randn({batch, kInput}, {}, &gen);
  Tensor y = randint(0, kClasses, {batch}, TensorOptions(kInt64), &gen);
  nn::CrossEntropyLoss loss;
  Measure m;
  m.depth = depth;
  m.batch = batch;
  for (const Tensor& p : model->parameters()) m.params += static_cast<double>(p.numel() * 4);
  // The weights' gradients are allocated once beforehand (zeroed in place later), so that the measured peak
  // is what a step adds beyond the model's fixed state; each is measured twice, keeping the smaller.
  loss((*model)(x), y).backward();
  double train_peak = 1e300, predict_peak = 1e300;
  for (int rep = 0; rep < 2; ++rep) {
    model->zero_grad(false);
    train_peak = std::min(train_peak,
                          static_cast<double>(diag::peak_allocated_during([&] { loss((*model)(x), y).backward(); })));
    predict_peak = std::min(predict_peak, static_cast<double>(diag::peak_allocated_during([&] {
                              NoGradGuard no_grad;
                              Tensor out = (*model)(x);
                            })));
  }
  m.train = train_peak;
  m.predict = predict_peak;
  return m;
}

std::string kib(double bytes) { return kit::fmt(bytes / 1024.0, 4) + " KiB"; }

// Claims that training memory grows linearly in `size_of` over the three measurements: the bytes per added
// `unit` (layer, example) from the first to the second equal those from the second to the third within 20%.
template <class SizeOf>
void linear_growth(LabRun& lab, const std::string& unit, const std::string& axis, const std::vector<Measure>& ms,
                   SizeOf size_of) {
  auto step = [&](size_t a) {
    return (ms[a + 1].train - ms[a].train) / static_cast<double>(size_of(ms[a + 1]) - size_of(ms[a]));
  };
  auto range = [&](size_t a) {
    return axis + " " + std::to_string(size_of(ms[a])) + " -> " + std::to_string(size_of(ms[a + 1]));
  };
  double low = step(0), high = step(1);
  lab.value("training memory per added " + unit + ", " + range(0), low / 1024, "KiB");
  lab.value("training memory per added " + unit + ", " + range(1), high / 1024, "KiB");
  lab.claim("training memory grows linearly with the " + axis + ": each added " + unit + " costs the same (within 20%)",
            low > 0 && std::fabs(high / low - 1) < 0.2,
            kib(low) + " vs " + kib(high) + " per " + unit + "; " + axis + " " + std::to_string(size_of(ms[2])) +
                " / " + axis + " " + std::to_string(size_of(ms[0])) + " = " + kit::times(ms[2].train / ms[0].train));
}

void run(LabRun& lab) {
  using kit::fmt;
  const std::vector<int64_t> depths = {2, 4, 8};
  const std::vector<int64_t> batches = {32, 128, 512};
  const int64_t base_batch = 128, base_depth = 4;

  lab.heading("Depth: MLPs of width " + std::to_string(kWidth) + ", batch " + std::to_string(base_batch));
  std::vector<Measure> by_depth, by_batch;
  for (int64_t d : depths) by_depth.push_back(measure(d, base_batch, lab.seed()));
  for (int64_t b : batches) by_batch.push_back(measure(base_depth, b, lab.seed()));
  auto rows_of = [&](const std::vector<Measure>& ms) {
    std::vector<std::vector<std::string>> rows;
    for (const Measure& m : ms) {
      rows.push_back({std::to_string(m.depth), std::to_string(m.batch), kib(m.params), kib(m.train), kib(m.predict),
                      kit::times(m.train / m.predict)});
    }
    return rows;
  };
  const std::vector<std::string> cols = {"hidden layers",   "batch",        "weights",
                                         "train step peak", "predict peak", "train / predict"};
  lab.table("peak allocated bytes above the start", cols, rows_of(by_depth));
  lab.heading("Batch size: " + std::to_string(base_depth) + " hidden layers");
  lab.table("peak allocated bytes above the start", cols, rows_of(by_batch));

  std::vector<double> dx, bx, dtrain, dpred, btrain, bpred;
  for (const Measure& m : by_depth) {
    dx.push_back(static_cast<double>(m.depth));
    dtrain.push_back(m.train / 1024);
    dpred.push_back(m.predict / 1024);
  }
  for (const Measure& m : by_batch) {
    bx.push_back(static_cast<double>(m.batch));
    btrain.push_back(m.train / 1024);
    bpred.push_back(m.predict / 1024);
  }
  lab.line_plot({"Peak memory by depth (batch " + std::to_string(base_batch) + ")", "hidden layers", "KiB"},
                {{"training step", dx, dtrain}, {"prediction", dx, dpred, true}});
  lab.line_plot({"Peak memory by batch size (" + std::to_string(base_depth) + " hidden layers)", "batch", "KiB"},
                {{"training step", bx, btrain}, {"prediction", bx, bpred, true}});

  double min_ratio = 1e300;
  for (const auto* ms : {&by_depth, &by_batch})
    for (const Measure& m : *ms) min_ratio = std::min(min_ratio, m.train / m.predict);
  lab.claim("a training step needs more than 2x the memory of a prediction at every depth and batch size",
            min_ratio > 2, "smallest ratio " + kit::times(min_ratio));

  // Linear growth: the memory each added layer (or example) costs is about the same over the range.
  linear_growth(lab, "layer", "depth", by_depth, [](const Measure& m) { return m.depth; });
  linear_growth(lab, "example", "batch", by_batch, [](const Measure& m) { return m.batch; });
  double pred_depth = by_depth[2].predict / by_depth[0].predict;
  double train_depth = by_depth[2].train / by_depth[0].train;
  lab.claim("prediction memory barely grows with depth (depth 8 under 1.5x depth 2) while training memory does",
            pred_depth < 1.5 && train_depth > 2 * pred_depth,
            "prediction " + kit::times(pred_depth) + ", training " + kit::times(train_depth));
  lab.note(
      "A prediction only needs the current layer's input and output alive at once; a training step keeps every "
      "layer's activations until backward has used them. The peaks above leave out the weights and their "
      "gradients (as much again as the weights column, allocated before measuring), which training also needs.");
}

}  // namespace training_memory_lab

Lab lab_training_memory() {
  return {0,
          "training_memory",
          "Training memory",
          "To compute gradients, backpropagation needs the values each layer saw in the forward pass, so a training "
          "step keeps every layer's activations alive until backward has consumed them, and stores a gradient for "
          "every weight. A prediction can drop each activation as soon as the next layer has read it. Training "
          "memory therefore grows with depth and with batch size; prediction memory hardly grows with depth.",
          "the train / predict column (above 2x everywhere, most at small batches and great depth), and the two plots: "
          "the training line climbs straight "
          "with depth and with batch size; the prediction line stays low and nearly flat with depth.",
          training_memory_lab::run};
}

}  // namespace strata::labs
