// Lab 164, exploding gradient: a 12-layer ReLU MLP whose weights start at twice He's scale. The gradient
// reaching each layer's output grows toward the input, plain SGD blows up, and the same run with gradient
// clipping stays finite and learns.
#include <cmath>
#include <limits>
#include <optional>

#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/init.h"
#include "strata/nn/linear.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace exploding_gradient_lab {

constexpr int64_t kWidth = 64;
constexpr int64_t kLayers = 12;  // weight layers
constexpr double kGain = 2.0;    // times He's standard deviation

// kLayers Linear layers with ReLU between; weights N(0, (gain * sqrt(2 / fan_in))^2), biases 0.
nn::ModulePtr build(double gain, int64_t classes) {
  auto model = std::make_shared<nn::Sequential>();
  for (int64_t i = 0; i < kLayers; ++i) {
    int64_t in = i == 0 ? 2 : kWidth, out = i + 1 == kLayers ? classes : kWidth;
    auto l = std::make_shared<nn::Linear>(in, out);
    nn::init::normal_(l->param("weight"), 0.0, gain * std::sqrt(2.0 / static_cast<double>(in)));
    nn::init::zeros_(l->param("bias"));
    model->push_back(l);
    if (i + 1 < kLayers) model->push_back(std::make_shared<nn::ReLU>());
  }
  return model;
}

// ||dL/dh|| for the output h of every Linear layer (one forward + backward on d), in layer order.
std::vector<double> output_grad_norms(nn::Module& model, const nn::Loss& loss, const kit::XY& d) {
  auto layers = kit::weight_layers(model);
  std::vector<double> norms(layers.size(), 0.0);
  std::vector<nn::HookHandle> hooks;
  for (size_t i = 0; i < layers.size(); ++i) {
    hooks.push_back(layers[i].second->register_output_grad_hook(
        [&norms, i](nn::Module&, const Tensor& g) { norms[i] = g.norm().item(); }));
  }
  model.zero_grad();
  loss(model(d.x), d.y).backward();
  for (auto& h : hooks) h.remove();
  return norms;
}

struct RunResult {
  std::vector<double> curve;  // training loss per epoch (inf where not finite)
  double start = 0, end = 0, acc = 0;
  bool finite = true;
};

RunResult train_run(const kit::XY& data, int64_t classes, std::optional<double> clip, int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = build(kGain, classes);
  nn::CrossEntropyLoss loss;
  optim::SGD opt(model->parameters(), {.lr = 0.01});
  RunResult r;
  r.start = kit::loss_on(*model, loss, data);
  train::FitOptions fo;
  fo.epochs = epochs;
  fo.clip_grad_norm = clip;
  train::History h = kit::fit(*model, loss, opt, data, 32, fo, nullptr, seed);
  r.curve = h.values("loss");
  for (double& v : r.curve) {
    if (!std::isfinite(v)) v = std::numeric_limits<double>::infinity();
  }
  r.end = kit::loss_on(*model, loss, data);
  r.finite = std::isfinite(r.end);
  for (const auto& p : model->parameters()) r.finite = r.finite && std::isfinite(p.norm().item());
  r.acc = r.finite ? kit::accuracy(*model, data) : 0.0;
  return r;
}

void run(LabRun& lab) {
  const int64_t classes = 3;
  kit::XY data = kit::spirals(lab.pick<int64_t>(768, 384), classes, 0.02, lab.seed());
  nn::CrossEntropyLoss loss;

  lab.heading("Gradient of the loss with respect to each layer's output, at initialisation");
  manual_seed(lab.seed());
  nn::ModulePtr big = build(kGain, classes);
  std::vector<double> g_big = output_grad_norms(*big, loss, data);
  manual_seed(lab.seed());
  nn::ModulePtr he = build(1.0, classes);
  std::vector<double> g_he = output_grad_norms(*he, loss, data);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < g_big.size(); i += (i + 3 < g_big.size() ? 3 : 1)) {
    rows.push_back({std::to_string(i + 1), kit::fmt(g_he[i]), kit::fmt(g_big[i])});
    if (i + 1 == g_big.size()) break;
  }
  lab.table("||dL/dh|| by layer (layer 1 is next to the input)", {"layer", "He init", "2x He init"}, rows);
  lab.line_plot({"Backpropagated gradient by depth", "layer (1 = input side)", "||dL/dh||", false, true},
                {{"He init", kit::iota(g_he.size(), 1), g_he}, {"2x He init", kit::iota(g_big.size(), 1), g_big}});
  lab.note(
      "Each layer multiplies the backward signal by its weight matrix; with weights twice He's scale every ReLU "
      "layer roughly doubles it, so 11 layers multiply it by about 2^11. With He's scale the signal stays level.");
  double ratio_big = g_big.front() / g_big.back(), ratio_he = g_he.front() / g_he.back();
  lab.claim("with 2x He init the gradient at the first layer's output is at least 1000x that at the last layer's",
            ratio_big >= 1000,
            "first " + kit::fmt(g_big.front()) + ", last " + kit::fmt(g_big.back()) + " = " + kit::times(ratio_big));
  lab.claim("with He init the same ratio stays under 30x", ratio_he < 30, kit::times(ratio_he));

  lab.heading("Training with SGD (lr 0.01, batch 32), without and with gradient clipping");
  const int64_t epochs = lab.pick<int64_t>(30, 15);
  RunResult plain = train_run(data, classes, std::nullopt, epochs, lab.seed());
  RunResult clipped = train_run(data, classes, 1.0, epochs, lab.seed());
  lab.table(
      "", {"run", "loss at start", "loss at end", "weights finite", "accuracy"},
      {{"plain SGD", kit::fmt(plain.start), kit::fmt(plain.end), plain.finite ? "yes" : "no", kit::pct(plain.acc)},
       {"clip_grad_norm 1.0", kit::fmt(clipped.start), kit::fmt(clipped.end), clipped.finite ? "yes" : "no",
        kit::pct(clipped.acc)}});
  lab.line_plot({"Training loss per epoch (gaps: not finite)", "epoch", "loss", false, true},
                {{"plain SGD", kit::iota(plain.curve.size(), 1), plain.curve},
                 {"clip_grad_norm 1.0", kit::iota(clipped.curve.size(), 1), clipped.curve}});
  lab.claim("plain SGD diverges: the loss ends non-finite or above 10x its start",
            !plain.finite || plain.end > 10 * plain.start,
            "start " + kit::fmt(plain.start) + ", end " + kit::fmt(plain.end));
  lab.claim("with clipping the run stays finite and ends below 1/10 of its starting loss",
            clipped.finite && clipped.end < 0.1 * clipped.start,
            "start " + kit::fmt(clipped.start) + ", end " + kit::fmt(clipped.end));
}

}  // namespace exploding_gradient_lab

Lab lab_exploding_gradient() {
  return {164,
          "exploding_gradient",
          "Exploding gradient",
          "The backward pass multiplies the gradient by each layer's weights on its way to the input. When the "
          "weights are too large, every layer scales the gradient up, so the layers nearest the input get gradients "
          "thousands of times larger than the last ones and one SGD step throws the weights far away: the loss "
          "becomes huge or NaN. Clipping the gradient's total norm bounds the step and keeps training stable.",
          "the log-scale plot of ||dL/dh|| by layer (the 2x He line climbs toward the input), then the loss curves: "
          "plain SGD blows up (gaps are NaN) while the clipped run falls.",
          exploding_gradient_lab::run};
}

}  // namespace strata::labs
