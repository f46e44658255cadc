// Lab 168, layer normalisation: each example is normalised over its own features, so its output does not depend
// on the rest of the batch (batch norm's does), it works for a batch of one, and it makes a classifier blind to
// each example's own gain and offset, which batch norm cannot do.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/linear.h"
#include "strata/nn/normalization.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/reduction.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace layer_normalization_lab {

constexpr int64_t kFeatures = 16;

double max_abs_diff(const Tensor& a, const Tensor& b) { return sub(a, b).abs().max().item(); }

// 3-class Gaussian blobs in 16-D (centres N(0, 1) from centre_seed, spread 0.7), each example then given its own
// gain 10^u (u uniform in [-2, 2]) and offset N(0, 20^2) added to every feature: the class is in the pattern only.
kit::XY gain_offset_blobs(int64_t n, uint64_t centre_seed, uint64_t seed) {
  Generator cgen(centre_seed), gen(seed);
  std::vector<double> centres(3 * kFeatures);
  for (double& c : centres) c = cgen.normal_double();
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = i % 3;
    double gain = std::pow(10.0, 4 * gen.uniform_double() - 2), offset = 20 * gen.normal_double();
    for (int64_t f = 0; f < kFeatures; ++f) {
      double v = centres[static_cast<size_t>(c * kFeatures + f)] + 0.7 * gen.normal_double();
      x.push_back(static_cast<float>(gain * v + offset));
    }
    y.push_back(c);
  }
  return {from_vector(x, {n, kFeatures}), from_vector(y, {n})};
}

// 16-64-64-3 ReLU MLP with `norm` ("none", "batch", "layer") applied to the input first.
nn::ModulePtr classifier(const std::string& norm) {
  auto m = std::make_shared<nn::Sequential>();
  if (norm == "batch") m->push_back(std::make_shared<nn::BatchNorm1d>(kFeatures));
  if (norm == "layer") m->push_back(std::make_shared<nn::LayerNorm>(std::vector<int64_t>{kFeatures}));
  m->push_back(std::make_shared<nn::Linear>(kFeatures, 64));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(64, 64));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(64, 3));
  return m;
}

void run(LabRun& lab) {
  using kit::fmt;
  NoGradGuard no_grad;  // parts one and two only run forward passes
  manual_seed(lab.seed());
  lab.heading("Each row normalised over its own 16 features");
  // Rows on very different scales and offsets: row i is 3^i * N(0, 1) + 10 i.
  Tensor x = randn({6, kFeatures});
  Tensor scale = pow(3.0, arange(6, TensorOptions(kFloat32))).reshape({6, 1});
  x = add(mul(x, scale), mul(arange(6, TensorOptions(kFloat32)), 10.0).reshape({6, 1}));
  nn::LayerNorm ln({kFeatures});
  Tensor y = ln(x);
  std::vector<double> mean_in = kit::values(mean(x, {1})), std_in = kit::values(x.std({1}, 0));
  std::vector<double> mean_out = kit::values(mean(y, {1})), std_out = kit::values(y.std({1}, 0));
  std::vector<std::vector<std::string>> rows;
  double worst_mean = 0, worst_std = 0;
  for (size_t i = 0; i < 6; ++i) {
    rows.push_back({std::to_string(i), fmt(mean_in[i]), fmt(std_in[i]), fmt(mean_out[i]), fmt(std_out[i], 5)});
    worst_mean = std::max(worst_mean, std::fabs(mean_out[i]));
    worst_std = std::max(worst_std, std::fabs(std_out[i] - 1));
  }
  lab.table("", {"row", "input mean", "input std", "LayerNorm mean", "LayerNorm std"}, rows);
  lab.claim("every row comes out with mean 0 (within 1e-5) and std 1 (within 1e-3)",
            worst_mean < 1e-5 && worst_std < 1e-3,
            "largest |mean| " + fmt(worst_mean) + ", largest |std - 1| " + fmt(worst_std));

  lab.heading("One example in two different batches");
  Tensor example = randn({1, kFeatures});
  Tensor batch_a = cat({example, randn({7, kFeatures})}, 0);
  Tensor batch_b = cat({example, add(mul(randn({7, kFeatures}), 5.0), 3.0)}, 0);
  nn::BatchNorm1d bn(kFeatures);
  bn.train();
  double ln_diff = max_abs_diff(ln(batch_a).slice(0, 0, 1), ln(batch_b).slice(0, 0, 1));
  double bn_diff = max_abs_diff(bn(batch_a).slice(0, 0, 1), bn(batch_b).slice(0, 0, 1));
  lab.table("the same first row, batched with 7 other rows from N(0, 1) (batch A) or N(3, 5^2) (batch B)",
            {"layer", "max |output in A - output in B| for that row"},
            {{"LayerNorm", fmt(ln_diff)}, {"BatchNorm1d (training mode)", fmt(bn_diff)}});
  lab.claim("the example's LayerNorm output is identical in both batches, batch norm's differs by over 0.1",
            ln_diff < 1e-6 && bn_diff > 0.1, "LayerNorm " + fmt(ln_diff) + ", batch norm " + fmt(bn_diff));
  std::string bn_one;
  try {
    bn(example);
    bn_one = "no error";
  } catch (const Error& e) {
    bn_one = e.what();
  }
  Tensor ln_one = ln(example);
  lab.note("A batch of one: LayerNorm gives the same output as above (max difference " +
           fmt(max_abs_diff(ln_one, ln(batch_a).slice(0, 0, 1))) +
           "); batch norm in training mode has no batch statistics to use: \"" + bn_one + "\"");
  lab.claim("batch norm refuses a training batch of one example while LayerNorm handles it",
            bn_one != "no error" && max_abs_diff(ln_one, ln(batch_a).slice(0, 0, 1)) < 1e-6, bn_one);

  lab.heading("Training where each example has its own gain and offset");
  kit::XY train_set = gain_offset_blobs(768, lab.seed(), lab.seed() + 1);
  kit::XY val_set = gain_offset_blobs(1000, lab.seed(), lab.seed() + 2);
  const int64_t epochs = 10;
  std::vector<double> acc;
  rows.clear();
  EnableGradGuard grad_on;  // the parts above ran without gradients
  for (const std::string norm : {"none", "batch", "layer"}) {
    manual_seed(lab.seed());
    nn::ModulePtr model = classifier(norm);
    nn::CrossEntropyLoss loss;
    optim::Adam opt(model->parameters(), {.lr = 3e-3});
    kit::fit(*model, loss, opt, train_set, 32, {.epochs = epochs}, nullptr, lab.seed());
    acc.push_back(kit::accuracy(*model, val_set));
    rows.push_back({norm == "none"    ? "no normalisation"
                    : norm == "batch" ? "BatchNorm1d(16) first"
                                      : "LayerNorm(16) first",
                    kit::pct(kit::accuracy(*model, train_set)), kit::pct(acc.back())});
  }
  lab.table("16-64-64-3 ReLU MLP, Adam lr 0.003, batch 32, " + std::to_string(epochs) + " epochs, 768 examples",
            {"network", "training accuracy", "validation accuracy"}, rows);
  lab.bar_plot({"Validation accuracy", "network", "accuracy"}, {"none", "batch norm", "LayerNorm"}, acc);
  lab.note(
      "Each example is a point of one of 3 Gaussian blobs in 16 dimensions, then multiplied by its own gain "
      "(0.01 to 100) and shifted by its own offset, as signals recorded with different amplifier settings. "
      "LayerNorm removes each example's mean and scale, so both disappear exactly; batch norm standardises each "
      "feature over the batch and leaves every example's gain and offset in place.");
  lab.claim("LayerNorm reaches over 95% validation accuracy and beats both others by at least 15 points",
            acc[2] > 0.95 && acc[2] >= acc[0] + 0.15 && acc[2] >= acc[1] + 0.15,
            "LayerNorm " + kit::pct(acc[2]) + ", batch norm " + kit::pct(acc[1]) + ", none " + kit::pct(acc[0]));
}

}  // namespace layer_normalization_lab

Lab lab_layer_normalization() {
  return {168,
          "layer_normalization",
          "Layer normalisation",
          "Layer normalisation standardises each example over its own features (mean 0, variance 1 per row), then "
          "applies a learned scale and shift. Unlike batch norm it uses no statistics from other examples, so an "
          "example's output is the same in any batch, a batch of one works, and training and evaluation compute the "
          "same thing; it is the normalisation of transformers and RNNs.",
          "the per-row table (wildly different inputs, identical output statistics), the two-batch table (0 for "
          "LayerNorm, large for batch norm), the batch of one, and the training table where only LayerNorm removes "
          "each example's gain and offset.",
          layer_normalization_lab::run};
}

}  // namespace strata::labs
