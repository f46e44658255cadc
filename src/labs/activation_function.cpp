// Lab 154, activation function: five Linear layers without activations collapse into one matrix (multiplied
// out and compared), so the stack is still a linear model; the same stack with ReLU between the layers fits
// the circles.
#include <algorithm>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/containers.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/linalg.h"

namespace strata::labs {

namespace activation_function_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const std::vector<int64_t> sizes = {2, 16, 16, 16, 16, 2};

  lab.heading("Five Linear layers with nothing between them");
  manual_seed(lab.seed());
  nn::ModulePtr stack = kit::mlp(sizes, "none");
  // W = W5 W4 W3 W2 W1 and b = W5 (W4 (... (W2 b1 + b2) ...) + b4) + b5, in float64.
  Tensor w, b;
  for (auto& [name, layer] : kit::weight_layers(*stack)) {
    Tensor wk = layer->param("weight").detach().to(kFloat64), bk = layer->param("bias").detach().to(kFloat64);
    if (!w.defined()) {
      w = wk;
      b = bk;
    } else {
      w = matmul(wk, w);
      b = add(matmul(wk, b.unsqueeze(1)).squeeze(1), bk);
    }
  }
  Tensor x = randn({256, 2});
  Tensor through_stack = kit::predict(*stack, x).to(kFloat64);
  Tensor one_matrix = add(matmul(x.to(kFloat64), w.t()), b);
  double diff = abs(sub(through_stack, one_matrix)).max().item();
  lab.table("the product of the five weight matrices (2 x 2) and the combined bias", {"", "col 1", "col 2", "bias"},
            {{"row 1", fmt(w.at({0, 0}), 4), fmt(w.at({0, 1}), 4), fmt(b.at({0}), 4)},
             {"row 2", fmt(w.at({1, 0}), 4), fmt(w.at({1, 1}), 4), fmt(b.at({1}), 4)}});
  lab.value("largest |stack(x) - (W x + b)| over 256 random inputs", diff);
  lab.claim("the five-layer stack without activations is one linear map: x W^T + b reproduces it", diff < 1e-5,
            "largest difference " + fmt(diff) + " (float32 rounding)");

  lab.heading("Training both on concentric circles");
  const int64_t n = lab.pick<int64_t>(600, 300);
  const int64_t steps = lab.pick<int64_t>(500, 300);
  kit::XY data = kit::circles(n, 0.08, lab.seed());
  nn::CrossEntropyLoss loss;
  std::vector<std::string> acts = {"none", "relu", "tanh"};
  std::vector<double> acc;
  std::vector<std::vector<std::string>> rows;
  std::vector<Series> curves;
  for (const std::string& a : acts) {
    manual_seed(lab.seed());
    nn::ModulePtr m = kit::mlp(sizes, a);
    std::vector<double> curve = classify_2d::train(*m, loss, data, steps, 0.01);
    acc.push_back(kit::accuracy(*m, data));
    rows.push_back({a == "none" ? "no activation" : a, std::to_string(m->num_parameters()), fmt(curve.back(), 3),
                    pct(acc.back())});
    curves.push_back({rows.back()[0], kit::iota(curve.size()), curve});
  }
  lab.table("the same 2-16-16-16-16-2 layers, " + std::to_string(steps) + " Adam steps",
            {"between the layers", "parameters", "final loss", "training accuracy"}, rows);
  lab.line_plot({"Training loss", "step", "cross-entropy"}, curves);
  lab.claim("without activations the deep stack cannot fit the circles (<= 70%); with ReLU it does (>= 95%)",
            acc[0] <= 0.70 && acc[1] >= 0.95, "no activation " + pct(acc[0]) + ", ReLU " + pct(acc[1]));
}

}  // namespace activation_function_lab

Lab lab_activation_function() {
  return {154,
          "activation_function",
          "Activation function",
          "An activation function is the nonlinearity applied to each unit's weighted sum. Without it, a stack of "
          "linear layers multiplies out to a single matrix: depth adds parameters but no expressive power. A "
          "nonlinearity such as ReLU or tanh between the layers is what lets a network bend its decision boundary.",
          "the largest difference between the five-layer stack and its single multiplied-out matrix (float rounding "
          "only); then the training table: the same layers with no activation stay at a linear model's accuracy.",
          activation_function_lab::run};
}

}  // namespace strata::labs
