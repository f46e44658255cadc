// Lab 185, residual block: ResNet's BasicBlock (conv-BN-ReLU-conv-BN plus the skip, a 1x1 projection when the
// shape changes), its shapes and parameter counts, and a deep plain CNN against the ResNet of the same depth.
#include <chrono>

#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/conv.h"
#include "strata/nn/linear.h"
#include "strata/nn/normalization.h"
#include "strata/nn/resnet.h"
#include "strata/ops/creation.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace residual_block_lab {

constexpr int64_t kChannels = 8;

std::string shape_text(const Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + ")";
}

// Stem (conv 3x3 stride 2 -> BN -> ReLU: 16x16 -> 8x8), `blocks` BasicBlocks with or without their skip,
// global average pool, Linear. Both variants have exactly the same parameters.
nn::ModulePtr build(int64_t blocks, bool shortcut, int64_t classes) {
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Conv2d>(1, kChannels, 3, 2, 1, 1, 1, false));
  model->push_back(std::make_shared<nn::BatchNorm2d>(kChannels));
  model->push_back(std::make_shared<nn::ReLU>());
  for (int64_t b = 0; b < blocks; ++b)
    model->push_back(std::make_shared<nn::BasicBlock>(kChannels, kChannels, 1, kFloat32, nullptr, shortcut));
  model->push_back(std::make_shared<nn::AdaptiveAvgPool2d>(1));
  model->push_back(std::make_shared<nn::Flatten>());
  model->push_back(std::make_shared<nn::Linear>(kChannels, classes));
  return model;
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  manual_seed(lab.seed());

  lab.heading("Inside a BasicBlock");
  Tensor x = randn({2, 16, 8, 8});
  nn::BasicBlock identity_block(16, 16, 1), projection_block(16, 32, 2);
  auto count = [](nn::Module& m) { return static_cast<double>(m.num_parameters()); };
  double id_params = count(identity_block), proj_params = count(projection_block);
  double down_params = count(*projection_block.downsample);
  Tensor y_id = identity_block(x), y_proj = projection_block(x);
  lab.table("", {"block", "input", "output", "skip path", "parameters"},
            {{"identity: BasicBlock(16, 16, stride 1)", shape_text(x), shape_text(y_id), "x itself", fmt(id_params, 6)},
             {"projection: BasicBlock(16, 32, stride 2)", shape_text(x), shape_text(y_proj),
              "1x1 conv stride 2 + BN (" + fmt(down_params, 6) + " parameters)", fmt(proj_params, 6)}});
  lab.note(
      "Identity block: two 3x3 convs of 16 -> 16 (2 x 2304 weights, no bias) and two batch norms (2 x 32), "
      "then relu(F(x) + x). When the block halves the map and doubles the channels, x no longer has F(x)'s "
      "shape, so the skip becomes a 1x1 convolution with stride 2 (16 x 32 weights) and a batch norm.");
  const double expect_id = 2 * (16 * 16 * 9) + 2 * (2 * 16);
  const double expect_proj = 16 * 32 * 9 + 32 * 32 * 9 + 2 * (2 * 32) + 16 * 32 + 2 * 32;
  bool shapes_ok = y_id.size(1) == 16 && y_id.size(2) == 8 && y_proj.size(1) == 32 && y_proj.size(2) == 4;
  lab.claim(
      "the identity block keeps (16, 8, 8); the projection block gives (32, 4, 4), and the parameter counts "
      "are the hand-counted ones",
      shapes_ok && id_params == expect_id && proj_params == expect_proj,
      shape_text(y_id) + ", " + shape_text(y_proj) + "; " + fmt(id_params, 6) + " and " + fmt(proj_params, 6) +
          " parameters (hand count " + fmt(expect_id, 6) + " and " + fmt(expect_proj, 6) + ")");

  lab.heading("A deep plain CNN against the ResNet of the same depth");
  const int64_t blocks = lab.pick<int64_t>(20, 20), classes = 4;
  images::ShapeSetOptions o{.n = lab.pick<int64_t>(800, 400), .size = 16, .patterns = {0, 1, 2, 3}};
  kit::XY train_set = images::shapes(o, lab.seed());
  o.n = 400;
  kit::XY test_set = images::shapes(o, lab.seed() + 1000);
  nn::CrossEntropyLoss loss;
  train::FitOptions fo;
  fo.epochs = lab.pick<int64_t>(5, 3);
  std::vector<double> acc, params, first_grad;
  std::vector<Series> curves;
  std::vector<std::vector<std::string>> rows;
  for (bool shortcut : {false, true}) {
    manual_seed(lab.seed());
    nn::ModulePtr model = build(blocks, shortcut, classes);
    first_grad.push_back(kit::weight_grad_norms(*model, loss, kit::rows(train_set, 0, 64)).front());
    optim::Adam opt(model->parameters(), {.lr = 0.003});
    auto t0 = std::chrono::steady_clock::now();
    train::History h = kit::fit(*model, loss, opt, train_set, 32, fo, nullptr, lab.seed());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string name = shortcut ? "ResNet (with skips)" : "plain (no skips)";
    curves.push_back({name, kit::iota(h.epochs.size(), 1), h.values("accuracy"), !shortcut});
    acc.push_back(h.values("accuracy").back());
    params.push_back(count(*model));
    rows.push_back({name, fmt(params.back(), 6), fmt(first_grad.back()), pct(acc.back()),
                    pct(kit::accuracy(*model, test_set)), fmt(secs, 2)});
  }
  const int64_t layers = 2 * blocks + 2;
  lab.table(std::to_string(layers) + " weight layers (stem, " + std::to_string(blocks) +
                " blocks of 2 convs, linear), Adam lr 0.003, " + std::to_string(fo.epochs) + " epochs each",
            {"network", "parameters", "||dL/dW|| stem at init", "training accuracy (last epoch)",
             "test accuracy (eval mode)", "seconds (not a claim)"},
            rows);
  lab.line_plot({"Training accuracy by epoch", "epoch", "accuracy"}, curves);
  lab.note(
      "Same layers, same parameters, same data and steps; only the '+ x' differs. The plain network's "
      "gradient at the stem is not smaller but larger: with batch norm, a deep plain stack's problem is not a "
      "vanishing gradient but a badly conditioned one (gradients that grow with depth). Even with batch norm in "
      "every block, the plain stack of " +
      std::to_string(layers) +
      " layers learns slowly: each block must "
      "learn a useful mapping before signal passes through it. A residual block starts close to the identity, "
      "so the deep network behaves like a shallow one early on and adds depth as it learns. The claim is on "
      "training accuracy (how well each network can be optimised); the test accuracy, in evaluation mode, "
      "also depends on how well batch norm's running statistics have caught up after so few steps.");
  lab.claim("in the same steps the ResNet reaches a training accuracy at least 20 points higher than the plain CNN",
            acc[1] >= acc[0] + 0.2, "ResNet " + pct(acc[1]) + ", plain " + pct(acc[0]));
}

}  // namespace residual_block_lab

Lab lab_residual_block() {
  return {185,
          "residual_block",
          "Residual block",
          "ResNet's basic block computes F(x) = BN(conv(ReLU(BN(conv(x))))) and outputs ReLU(F(x) + x). The "
          "convolutions learn a residual, a correction to their input. When the block changes the map size or the "
          "channel count, the skip path becomes a 1x1 convolution (with the same stride) so the two can be added.",
          "the block table (shapes and parameter counts of an identity and a projection block), then the accuracy "
          "of a deep plain CNN and the ResNet of the same depth after the same training.",
          residual_block_lab::run};
}

}  // namespace strata::labs
