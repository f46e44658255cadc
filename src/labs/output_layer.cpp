// Lab 160, output layer: regression (one linear unit + MSE), binary (one logit + BCEWithLogits, read through a
// sigmoid) and multi-class (K logits + cross-entropy, read through softmax) each learn; a sigmoid output on
// regression targets above 1 cannot fit.
#include <algorithm>
#include <cmath>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/softmax.h"

namespace strata::labs {

namespace output_layer_lab {

// y = 2 + 1.5 sin(3x) for x uniform in [-1, 1]: targets between 0.5 and 3.5, as (N, 1) columns.
kit::XY wave(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x, y;
  for (int64_t i = 0; i < n; ++i) {
    double v = 2 * gen.uniform_double() - 1;
    x.push_back(static_cast<float>(v));
    y.push_back(static_cast<float>(2 + 1.5 * std::sin(3 * v)));
  }
  return {from_vector(x, {n, 1}), from_vector(y, {n, 1})};
}

std::string range_text(const Tensor& t) {
  std::string s = "[";  // built piecewise: GCC 12 misreports "[" + std::string under -Werror=restrict
  s += kit::fmt(t.min().item(), 3);
  s += ", ";
  s += kit::fmt(t.max().item(), 3);
  return s + "]";
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t n = lab.pick<int64_t>(800, 400);
  const int64_t steps = lab.pick<int64_t>(800, 500);
  std::vector<std::vector<std::string>> rows;

  lab.heading("Three tasks, three output layers (" + std::to_string(steps) + " full-batch Adam steps each)");
  // Regression: one linear unit, MSE.
  kit::XY reg = wave(n, lab.seed());
  nn::MSELoss mse;
  manual_seed(lab.seed());
  nn::ModulePtr reg_net = kit::mlp({1, 32, 32, 1}, "tanh");
  classify_2d::train(*reg_net, mse, reg, steps, 0.01);
  Tensor reg_out = kit::predict(*reg_net, reg.x);
  double reg_mse = kit::loss_on(*reg_net, mse, reg);
  rows.push_back(
      {"regression: y = 2 + 1.5 sin(3x)", "1 linear unit", "MSE", range_text(reg_out), "MSE " + fmt(reg_mse, 3)});

  // Binary: one logit, BCE with logits; the probability is sigmoid(logit).
  kit::XY ring = kit::circles(n, 0.08, lab.seed());
  kit::XY ring_bin = {ring.x, ring.y.to(kFloat32).reshape({n, 1})};
  nn::BCEWithLogitsLoss bce;
  manual_seed(lab.seed());
  nn::ModulePtr bin_net = kit::mlp({2, 16, 16, 1}, "tanh");
  classify_2d::train(*bin_net, bce, ring_bin, steps, 0.01);
  Tensor bin_p = sigmoid(kit::predict(*bin_net, ring.x));
  double bin_acc = eq(classify_2d::predicted_class(*bin_net, ring.x), ring.y).to(kFloat64).mean().item();
  rows.push_back({"binary: inner vs outer ring", "1 logit -> sigmoid", "BCE with logits", range_text(bin_p),
                  "accuracy " + pct(bin_acc)});

  // Multi-class: K logits, cross-entropy; the probabilities are softmax(logits).
  kit::XY arms = kit::spirals(n, 3, 0.02, lab.seed());
  nn::CrossEntropyLoss ce;
  manual_seed(lab.seed());
  nn::ModulePtr multi_net = kit::mlp({2, 64, 64, 3}, "relu");
  classify_2d::train(*multi_net, ce, arms, steps, 0.01);
  Tensor multi_p = softmax(kit::predict(*multi_net, arms.x), 1);
  double row_sum_err = abs(sub(multi_p.sum({1}), 1.0)).max().item();
  double multi_acc = kit::accuracy(*multi_net, arms);
  rows.push_back({"3-class: spiral arms", "3 logits -> softmax", "cross-entropy", range_text(multi_p),
                  "accuracy " + pct(multi_acc)});

  // The wrong choice: a sigmoid output on targets in [0.5, 3.5].
  manual_seed(lab.seed());
  nn::ModulePtr wrong = kit::mlp({1, 32, 32, 1}, "tanh");
  dynamic_cast<nn::Sequential&>(*wrong).push_back(std::make_shared<nn::Sigmoid>());
  classify_2d::train(*wrong, mse, reg, steps, 0.01);
  Tensor wrong_out = kit::predict(*wrong, reg.x);
  double wrong_mse = kit::loss_on(*wrong, mse, reg);
  rows.push_back(
      {"regression (wrong output)", "1 unit -> sigmoid", "MSE", range_text(wrong_out), "MSE " + fmt(wrong_mse, 3)});
  lab.table("", {"task", "output layer", "loss", "output range", "result"}, rows);

  lab.claim("regression: a linear output fits the wave (MSE < 0.01; targets span 0.5 to 3.5)", reg_mse < 0.01,
            "MSE " + fmt(reg_mse));
  lab.claim("binary: the sigmoid of one logit is a probability in [0, 1] and the ring is learned (>= 95%)",
            bin_p.min().item() >= 0 && bin_p.max().item() <= 1 && bin_acc >= 0.95,
            "range " + range_text(bin_p) + ", accuracy " + pct(bin_acc));
  lab.claim("3-class: softmax rows sum to 1 and the arms are learned (>= 95%)", row_sum_err < 1e-5 && multi_acc >= 0.95,
            "largest |row sum - 1| " + fmt(row_sum_err) + ", accuracy " + pct(multi_acc));
  lab.claim(
      "wrong output: a sigmoid on the regression targets never exceeds 1 and its MSE is >= 50x the linear "
      "output's",
      wrong_out.max().item() <= 1 && wrong_mse >= 50 * reg_mse,
      "max output " + fmt(wrong_out.max().item(), 8) + ", MSE " + fmt(wrong_mse) + " vs " + fmt(reg_mse));
  lab.note(
      "Every target of the wave is above 0.5 and most are above 1, but a sigmoid can never output more than "
      "1: the best it can do is pin itself near 1, leaving most of the error in place.");
}

}  // namespace output_layer_lab

Lab lab_output_layer() {
  return {160,
          "output_layer",
          "Output layer",
          "The output layer turns the last hidden features into the kind of answer the task needs, and the loss "
          "must match it: a real number from a plain linear unit (MSE), a yes/no probability from one logit through a "
          "sigmoid (binary cross-entropy), a distribution over K classes from K logits through softmax "
          "(cross-entropy).",
          "the output-range column: unbounded for regression, inside [0, 1] for the probabilities (float32 rounds "
          "values within 6e-8 of 1 to 1); then the last "
          "row, where a sigmoid output cannot reach regression targets above 1 and the error stays large.",
          output_layer_lab::run};
}

}  // namespace strata::labs
