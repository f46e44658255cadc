// Lab 151, deep learning: on three spiral arms of three turns each, a linear model, a shallow (one hidden layer)
// network and a deep (three hidden layers) network with about the same number of parameters, trained the same number of
// steps.
#include <cmath>
#include <numbers>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"

namespace strata::labs {

namespace deep_learning_lab {

void run(LabRun& lab) {
  using kit::pct;
  const int64_t classes = 3;
  const int64_t n = lab.pick<int64_t>(2000, 1500);
  const int64_t steps = 1000;
  kit::XY all = kit::spirals(2 * n, classes, 0.02, lab.seed(), /*turns=*/3.0);
  auto [train_set, test_set] = kit::split(all, n);
  nn::CrossEntropyLoss loss;

  struct Model {
    std::string name;
    std::vector<int64_t> sizes;
  };
  // 2-40-40-40-3: 3,523 parameters; 2-H-3 has 6H + 3, so H = 586 matches it.
  std::vector<Model> models = {{"linear (no hidden layer)", {2, classes}},
                               {"shallow: 1 hidden layer of 586", {2, 586, classes}},
                               {"deep: 3 hidden layers of 40", {2, 40, 40, 40, classes}}};
  lab.heading("Three interleaved spiral arms of three turns each, " + std::to_string(steps) +
              " full-batch Adam steps each");
  std::vector<std::vector<std::string>> rows;
  std::vector<double> train_acc, test_acc;
  std::vector<Series> curves;
  nn::ModulePtr deep;
  for (const Model& m : models) {
    manual_seed(lab.seed());
    nn::ModulePtr net = kit::mlp(m.sizes, "relu");
    std::vector<double> curve = classify_2d::train(*net, loss, train_set, steps, 0.002);
    train_acc.push_back(kit::accuracy(*net, train_set));
    test_acc.push_back(kit::accuracy(*net, test_set));
    rows.push_back({m.name, std::to_string(net->num_parameters()), kit::fmt(curve.back(), 3), pct(train_acc.back()),
                    pct(test_acc.back())});
    curves.push_back({m.name, kit::iota(curve.size()), curve});
    deep = net;
  }
  lab.table("", {"model", "parameters", "final training loss", "training accuracy", "test accuracy"}, rows);
  lab.line_plot({"Training loss", "step", "cross-entropy", false, true}, curves);
  lab.heatmap({"Deep network's predicted arm over [-1.2, 1.2]^2", "x1", "x2"},
              classify_2d::decision_map(*deep, 41, 1.2));
  lab.note(
      "Each hidden layer re-describes the points in new coordinates; the next layer only has to separate "
      "those. With the same budget of parameters, stacking layers composes simple folds into the spiral's "
      "turns, while one wide layer has to build each turn from its own units.");
  double chance = 1.0 / static_cast<double>(classes);
  lab.claim("the linear model stays near chance (test accuracy under 45%)", test_acc[0] < 0.45,
            pct(test_acc[0]) + " (chance " + pct(chance) + ")");
  lab.claim("the deep network beats the equal-parameter shallow one on test accuracy by >= 10 points",
            test_acc[2] >= test_acc[1] + 0.10, "deep " + pct(test_acc[2]) + ", shallow " + pct(test_acc[1]));
}

}  // namespace deep_learning_lab

Lab lab_deep_learning() {
  return {151,
          "deep_learning",
          "Deep learning",
          "Deep learning trains networks of many layers end to end, so that each layer learns a representation of "
          "its input that makes the next layer's job easier. The point is not the number of parameters but their "
          "arrangement: composed layers express complicated functions with far fewer units than one wide layer.",
          "the accuracy table: the three models have (about) the same parameter budget except the linear one; the "
          "deep network is the one that follows the spiral arms, on points it did not train on.",
          deep_learning_lab::run};
}

}  // namespace strata::labs
