// Lab 155, ReLU: its derivative measured through autograd (exactly 0 or 1), the sparsity of a ReLU layer at
// initialisation, and steps to a target accuracy for the same deep network with ReLU and with sigmoid.
#include <cmath>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/containers.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::labs {

namespace relu_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  lab.heading("The derivative, measured: relu(x).sum().backward() over 2001 inputs in [-5, 5]");
  Tensor x = linspace(-5, 5, 2001, TensorOptions(kFloat64));
  x.requires_grad_();
  relu(x).sum().backward();
  std::vector<double> g = kit::values(x.grad()), xv = kit::values(x);
  int64_t zeros = 0, ones = 0, other = 0;
  bool matches_sign = true;
  for (size_t i = 0; i < g.size(); ++i) {
    if (g[i] == 0) {
      ++zeros;
    } else if (g[i] == 1) {
      ++ones;
    } else {
      ++other;
    }
    if ((xv[i] > 0) != (g[i] == 1)) matches_sign = false;
  }
  lab.table("", {"derivative", "inputs"},
            {{"exactly 0 (x <= 0)", std::to_string(zeros)},
             {"exactly 1 (x > 0)", std::to_string(ones)},
             {"anything else", std::to_string(other)}});
  lab.claim(
      "ReLU's derivative is exactly 0 or 1: 1 for x > 0, 0 otherwise (0 at x = 0, as PyTorch)",
      other == 0 && matches_sign,
      std::to_string(zeros) + " zeros, " + std::to_string(ones) + " ones, " + std::to_string(other) + " other values");
  lab.note(
      "An active unit passes the gradient through unchanged (no shrinking factor like sigmoid's 0.25); an "
      "inactive one passes nothing.");

  lab.heading("Sparsity at initialisation: Linear(2, 256) + ReLU on 1000 inputs");
  manual_seed(lab.seed());
  nn::ModulePtr layer = kit::mlp({2, 256, 256, 1}, "relu");
  Tensor inputs = kit::circles(1000, 0.1, lab.seed()).x;
  auto& seq = dynamic_cast<nn::Sequential&>(*layer);
  Tensor h1, h2;
  {
    Tensor a = kit::predict(*seq[0], inputs);
    h1 = kit::predict(*seq[1], a);
    h2 = kit::predict(*seq[3], kit::predict(*seq[2], h1));
  }
  double zero1 = eq(h1, 0.0).to(kFloat64).mean().item(), zero2 = eq(h2, 0.0).to(kFloat64).mean().item();
  lab.value("fraction of exact zeros after ReLU, hidden layer 1", zero1);
  lab.value("fraction of exact zeros after ReLU, hidden layer 2", zero2);
  lab.claim("about half of the ReLU outputs are exactly zero at initialisation (40-60% in each layer)",
            zero1 > 0.4 && zero1 < 0.6 && zero2 > 0.4 && zero2 < 0.6, pct(zero1) + " and " + pct(zero2));

  lab.heading("Training speed: the same 6-hidden-layer network with ReLU and with sigmoid");
  const int64_t n = lab.pick<int64_t>(900, 600);
  const int64_t max_steps = lab.pick<int64_t>(1500, 600);
  const double target = 0.9;
  kit::XY data = kit::spirals(n, 3, 0.02, lab.seed());
  nn::CrossEntropyLoss loss;
  std::vector<int64_t> steps;
  std::vector<std::vector<std::string>> rows;
  for (std::string act : {"relu", "sigmoid"}) {
    manual_seed(lab.seed());
    nn::ModulePtr m = kit::mlp({2, 32, 32, 32, 32, 32, 32, 3}, act);
    int64_t s = classify_2d::steps_to_accuracy(*m, loss, data, target, max_steps, 0.003, 10);
    steps.push_back(s < 0 ? max_steps + 1 : s);
    rows.push_back(
        {act, s < 0 ? "not within " + std::to_string(max_steps) : std::to_string(s), pct(kit::accuracy(*m, data))});
  }
  lab.table("Adam (lr 0.003, full batch) on 3 spiral arms until 90% training accuracy",
            {"hidden activation", "steps to 90%", "accuracy at the end"}, rows);
  lab.claim("the ReLU network reaches 90% in at most half the steps the sigmoid network needs",
            2 * steps[0] <= steps[1],
            "ReLU " + std::to_string(steps[0]) + ", sigmoid " +
                (steps[1] > max_steps ? "> " + std::to_string(max_steps) : std::to_string(steps[1])));
}

}  // namespace relu_lab

Lab lab_relu() {
  return {155,
          "relu",
          "ReLU",
          "The rectified linear unit, relu(x) = max(0, x), passes positive inputs unchanged and zeroes the rest. Its "
          "derivative is 1 or 0, so active units pass gradients back at full strength, and at any moment a good "
          "share of units are exactly zero (sparse activations). Cheap, and the default hidden activation.",
          "the derivative table (no value other than 0 and 1), the fraction of zeros at initialisation (about half), "
          "and the steps-to-90% table: the deep ReLU network gets there far sooner than the sigmoid one.",
          relu_lab::run};
}

}  // namespace strata::labs
