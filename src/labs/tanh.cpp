// Lab 157, tanh: zero-centred outputs (mean hidden activation of tanh vs sigmoid layers), the derivative at 0
// (1 against sigmoid's 0.25), and the same network trained with tanh and with sigmoid hidden units.
#include <cmath>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/containers.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace tanh_lab {

// Mean of each hidden layer's activations (after the activation) for input x.
std::vector<double> layer_means(nn::Module& model, const Tensor& x) {
  std::vector<double> out;
  Tensor h = x;
  auto& seq = dynamic_cast<nn::Sequential&>(model);
  for (size_t i = 0; i + 1 < seq.size(); ++i) {
    h = kit::predict(*seq[i], h);
    if (seq[i]->type_name() != "Linear") out.push_back(h.mean().item());
  }
  return out;
}

void run(LabRun& lab) {
  using kit::fmt;
  lab.heading("Zero-centred: mean activation of each hidden layer at initialisation (1000 inputs)");
  const std::vector<int64_t> sizes = {2, 64, 64, 64, 3};
  kit::XY data = kit::spirals(lab.pick<int64_t>(900, 600), 3, 0.02, lab.seed());
  std::vector<std::vector<double>> means;
  for (std::string act : {"tanh", "sigmoid"}) {
    manual_seed(lab.seed());
    nn::ModulePtr m = kit::mlp(sizes, act);
    means.push_back(layer_means(*m, data.x));
  }
  std::vector<std::vector<std::string>> rows;
  double worst_tanh = 0, worst_sig = 0;
  for (size_t l = 0; l < means[0].size(); ++l) {
    rows.push_back({std::to_string(l + 1), fmt(means[0][l], 3), fmt(means[1][l], 3)});
    worst_tanh = std::max(worst_tanh, std::fabs(means[0][l]));
    worst_sig = std::max(worst_sig, std::fabs(means[1][l] - 0.5));
  }
  lab.table("", {"hidden layer", "tanh: mean activation", "sigmoid: mean activation"}, rows);
  lab.claim("tanh layers average near 0 (|mean| < 0.1), sigmoid layers near 0.5 (within 0.1)",
            worst_tanh < 0.1 && worst_sig < 0.1,
            "largest |tanh mean| " + fmt(worst_tanh) + ", largest |sigmoid mean - 0.5| " + fmt(worst_sig));

  lab.heading("Slope at 0 (autograd)");
  Tensor z = zeros({1}, TensorOptions(kFloat64));
  z.requires_grad_();
  tanh(z).sum().backward();
  double dt = z.grad().item();
  Tensor z2 = zeros({1}, TensorOptions(kFloat64));
  z2.requires_grad_();
  sigmoid(z2).sum().backward();
  double ds = z2.grad().item();
  lab.value("tanh'(0)", dt);
  lab.value("sigmoid'(0)", ds);
  lab.claim("tanh's slope at 0 is 1, four times sigmoid's 0.25 (tanh(x) = 2 sigmoid(2x) - 1)",
            std::fabs(dt - 1) < 1e-12 && std::fabs(dt / ds - 4) < 1e-12, fmt(dt) + " vs " + fmt(ds));

  lab.heading("The same network, tanh or sigmoid hidden units, plain SGD");
  const int64_t steps = lab.pick<int64_t>(1500, 800);
  nn::CrossEntropyLoss loss;
  std::vector<double> final_loss, acc;
  std::vector<Series> curves;
  rows.clear();
  for (std::string act : {"tanh", "sigmoid"}) {
    manual_seed(lab.seed());
    nn::ModulePtr m = kit::mlp(sizes, act);
    optim::SGD opt(m->parameters(), {.lr = 0.1, .momentum = 0.9});
    std::vector<double> curve;
    for (int64_t s = 0; s < steps; ++s) {
      opt.zero_grad();
      Tensor l = loss((*m)(data.x), data.y);
      curve.push_back(l.item());
      l.backward();
      opt.step();
    }
    final_loss.push_back(kit::loss_on(*m, loss, data));
    acc.push_back(kit::accuracy(*m, data));
    rows.push_back({act, fmt(curve.front(), 3), fmt(final_loss.back(), 3), kit::pct(acc.back())});
    curves.push_back({act, kit::iota(curve.size()), curve});
  }
  lab.table(std::to_string(steps) + " full-batch steps (lr 0.1, momentum 0.9) on 3 spiral arms",
            {"hidden activation", "loss at start", "loss at end", "training accuracy"}, rows);
  lab.line_plot({"Training loss", "step", "cross-entropy", false, true}, curves);
  lab.claim("tanh reaches a lower loss than sigmoid in the same steps (at most half)",
            final_loss[0] <= 0.5 * final_loss[1], "tanh " + fmt(final_loss[0]) + ", sigmoid " + fmt(final_loss[1]));
}

}  // namespace tanh_lab

Lab lab_tanh() {
  return {157,
          "tanh",
          "Tanh",
          "tanh squashes its input into (-1, 1). It is a stretched, shifted sigmoid (tanh(x) = 2 sigmoid(2x) - 1), "
          "but its outputs are centred on zero and its slope at the centre is 1 instead of 0.25, so the next layer "
          "sees inputs of both signs and gradients shrink less per layer.",
          "the mean-activation table (tanh near 0, sigmoid near 0.5), the slopes at 0, and the loss curves: same "
          "network, same steps, tanh ends far lower.",
          tanh_lab::run};
}

}  // namespace strata::labs
