// Lab 168, layer normalisation: each example is normalised over its own features, so its output does not depend
// on the rest of the batch (batch norm's does), and it works for a batch of one.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/labs/lab.h"
#include "strata/nn/normalization.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/reduction.h"

namespace strata::labs {

namespace layer_normalization_lab {

constexpr int64_t kFeatures = 16;

double max_abs_diff(const Tensor& a, const Tensor& b) { return sub(a, b).abs().max().item(); }

void run(LabRun& lab) {
  using kit::fmt;
  NoGradGuard no_grad;  // only forward passes here
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
          "the per-row table (wildly different inputs, identical output statistics), then the two-batch table (0 for "
          "LayerNorm, large for batch norm) and the batch of one.",
          layer_normalization_lab::run};
}

}  // namespace strata::labs
