// Lab 184, residual connection: y = x + f(x) passes dL/dy straight through (dL/dx = dL/dy (1 + f'(x))), and
// plain MLPs against the same MLPs with skip connections as the depth grows: which still train.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/linear.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace residual_connection_lab {

constexpr int64_t kWidth = 32;

// Linear(2, W), then `depth` blocks ReLU -> Linear(W, W) (wrapped as x + block(x) when residual), ReLU,
// Linear(W, classes). Both variants have exactly the same parameters (PyTorch's default initialisation).
nn::ModulePtr build(int64_t depth, bool residual, int64_t classes) {
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Linear>(2, kWidth));
  for (int64_t i = 0; i < depth; ++i) {
    auto block = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(kWidth, kWidth)});
    if (residual) {
      model->push_back(std::make_shared<kit::Residual>(block));
    } else {
      model->push_back(block);
    }
  }
  model->push_back(std::make_shared<nn::ReLU>());
  model->push_back(std::make_shared<nn::Linear>(kWidth, classes));
  return model;
}

void run(LabRun& lab) {
  using kit::fmt;

  lab.heading("The gradient through y = x + f(x)");
  // f(x) = tanh(3x): saturated for |x| large, so f'(x) is nearly 0 there.
  Tensor x = tensor({-2.0, -0.5, 0.0, 0.3, 2.5}, TensorOptions(kFloat64));
  x.requires_grad_(true);
  Tensor upstream = tensor({0.7, -1.2, 0.4, 1.0, -0.3}, TensorOptions(kFloat64));  // dL/dy
  Tensor fx = mul(x, 3.0).tanh();
  mul(add(x, fx), upstream).sum().backward();
  std::vector<double> xv = kit::values(x), g_res = kit::values(x.grad()), up = kit::values(upstream);
  x.zero_grad();
  mul(mul(x, 3.0).tanh(), upstream).sum().backward();
  std::vector<double> g_plain = kit::values(x.grad());
  double worst = 0;
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < xv.size(); ++i) {
    double fprime = 3 * (1 - std::pow(std::tanh(3 * xv[i]), 2));
    double formula = up[i] * (1 + fprime);
    worst = std::max(worst, std::fabs(formula - g_res[i]));
    rows.push_back({fmt(xv[i]), fmt(up[i]), fmt(fprime), fmt(g_plain[i]), fmt(g_res[i]), fmt(formula)});
  }
  lab.table("f(x) = tanh(3x), L = sum(dL/dy * y)",
            {"x", "dL/dy", "f'(x)", "dL/dx without skip", "dL/dx with skip (autograd)", "dL/dy (1 + f'(x))"}, rows);
  lab.note(
      "Without the skip, the gradient is dL/dy f'(x): where f saturates (x = -2 or 2.5) it is almost gone. "
      "With the skip it is dL/dy (1 + f'(x)): the '1' carries dL/dy through untouched whatever f does. Stack "
      "many blocks and the plain product of f' terms can vanish; the residual one always keeps a direct path.");
  lab.claim("autograd's dL/dx through y = x + f(x) equals dL/dy (1 + f'(x))", worst < 1e-12,
            "largest difference " + fmt(worst));

  lab.heading("Depth against trainability: plain vs residual MLPs on two concentric circles");
  const int64_t classes = 2;
  kit::XY data = kit::circles(lab.pick<int64_t>(1536, 768), 0.05, lab.seed());
  const std::vector<int64_t> depths = {2, 8, 32};
  nn::CrossEntropyLoss loss;
  train::FitOptions fo;
  fo.epochs = lab.pick<int64_t>(20, 10);
  fo.clip_grad_norm = 1.0;  // the deep residual stack starts with large outputs
  rows.clear();
  std::vector<Series> curves;
  std::vector<double> drop_plain, drop_res, grad_plain, grad_res, acc_plain, acc_res;
  for (int64_t depth : depths) {
    for (bool residual : {false, true}) {
      manual_seed(lab.seed());
      nn::ModulePtr model = build(depth, residual, classes);
      double g0 = kit::weight_grad_norms(*model, loss, data).front();
      double l0 = kit::loss_on(*model, loss, data);
      optim::Adam opt(model->parameters(), {.lr = 0.003});
      train::History h = kit::fit(*model, loss, opt, data, 64, fo, nullptr, lab.seed());
      double l1 = kit::loss_on(*model, loss, data), acc = kit::accuracy(*model, data);
      (residual ? drop_res : drop_plain).push_back(l1 / l0);
      (residual ? grad_res : grad_plain).push_back(g0);
      (residual ? acc_res : acc_plain).push_back(acc);
      std::string name = std::string(residual ? "residual" : "plain") + ", " + std::to_string(depth) + " blocks";
      if (depth == depths.back()) {
        std::vector<double> c = h.values("loss");
        curves.push_back({name, kit::iota(c.size(), 1), c, !residual});
      }
      rows.push_back({name, fmt(g0), fmt(l0), fmt(l1), fmt(l1 / l0), kit::pct(acc)});
    }
  }
  lab.table("Adam (lr 0.003, gradient norm clipped at 1), " + std::to_string(fo.epochs) +
                " epochs each, the same steps for every network",
            {"network", "||dL/dW|| first layer at init", "loss at start", "loss at end", "end / start", "accuracy"},
            rows);
  lab.line_plot({"Training loss at depth " + std::to_string(depths.back()), "epoch", "loss"}, curves);
  lab.note(
      "Shallow, both train. (Adam rescales each gradient, which is why the plain 8-block network still learns "
      "from a first-layer gradient of order 1e-5.) Deep, the plain stack multiplies the signal by a "
      "factor below one per layer (PyTorch's default initialisation), so the output hardly depends on the "
      "input and almost no gradient reaches the first layers. The skip connections give every block an "
      "identity path, forward and backward.");
  const size_t deep = depths.size() - 1;
  lab.claim("shallow (2 blocks), both train: loss falls below 60% of its start",
            drop_plain[0] < 0.6 && drop_res[0] < 0.6,
            "plain " + fmt(drop_plain[0]) + ", residual " + fmt(drop_res[0]) + " of the starting loss");
  lab.claim("at " + std::to_string(depths.back()) +
                " blocks the plain network barely trains (loss above 90% of its start) while the residual one does "
                "(below 60%)",
            drop_plain[deep] > 0.9 && drop_res[deep] < 0.6,
            "plain " + fmt(drop_plain[deep]) + ", residual " + fmt(drop_res[deep]) + " of the starting loss");
  lab.claim(
      "at " + std::to_string(depths.back()) +
          " blocks the first layer's gradient is at least 100x larger with skip connections",
      grad_res[deep] >= 100 * grad_plain[deep],
      fmt(grad_res[deep]) + " vs " + fmt(grad_plain[deep]) + " = " + kit::times(grad_res[deep] / grad_plain[deep]));
}

}  // namespace residual_connection_lab

Lab lab_residual_connection() {
  return {184,
          "residual_connection",
          "Residual connection",
          "A residual (skip) connection adds a block's input to its output: y = x + f(x). The block only has to "
          "learn a correction to the identity, and backpropagation gets dL/dx = dL/dy (1 + f'(x)): the gradient "
          "reaches earlier layers through the '+ x' path however small f' is. This is what lets networks be made "
          "very deep and still train.",
          "the first table checks the gradient formula against autograd; the second shows depth: at 2 blocks both "
          "networks learn, at 32 the plain one's loss barely moves while the residual one trains normally.",
          residual_connection_lab::run};
}

}  // namespace strata::labs
