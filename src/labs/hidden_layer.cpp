// Lab 159, hidden layer: training accuracy on spirals as hidden capacity grows, from no hidden layer to two
// layers of 32 units, all with the same training.
#include <algorithm>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"

namespace strata::labs {

namespace hidden_layer_lab {

void run(LabRun& lab) {
  using kit::pct;
  const int64_t classes = 3;
  const int64_t steps = lab.pick<int64_t>(1200, 1000);
  kit::XY data = kit::spirals(lab.pick<int64_t>(900, 600), classes, 0.02, lab.seed());
  nn::CrossEntropyLoss loss;
  struct Net {
    std::string name;
    std::vector<int64_t> sizes;
  };
  std::vector<Net> nets = {{"none", {2, classes}},
                           {"1 x 2", {2, 2, classes}},
                           {"1 x 8", {2, 8, classes}},
                           {"1 x 32", {2, 32, classes}},
                           {"2 x 32", {2, 32, 32, classes}}};
  lab.heading("Three spiral arms, " + std::to_string(steps) + " full-batch Adam steps each, ReLU hidden units");
  std::vector<std::vector<std::string>> rows;
  std::vector<double> acc;
  std::vector<std::string> names;
  for (const Net& net : nets) {
    manual_seed(lab.seed());
    nn::ModulePtr m = kit::mlp(net.sizes, "relu");
    std::vector<double> curve = classify_2d::train(*m, loss, data, steps, 0.01);
    acc.push_back(kit::accuracy(*m, data));
    names.push_back(net.name);
    rows.push_back({net.name, std::to_string(m->num_parameters()), kit::fmt(curve.back(), 3), pct(acc.back())});
  }
  lab.table("", {"hidden layers", "parameters", "final loss", "training accuracy"}, rows);
  lab.bar_plot({"Training accuracy by hidden capacity", "hidden layers", "accuracy"}, names, acc);
  lab.note(
      "With no hidden layer the model is linear: three straight boundaries. Two hidden units give two "
      "folds; more units and a second layer give the many folds the arms need.");
  lab.claim("two hidden layers of 32 beat no hidden layer by >= 40 points", acc.back() >= acc.front() + 0.4,
            pct(acc.back()) + " vs " + pct(acc.front()));
  double small_best = std::max({acc[0], acc[1], acc[2]});
  lab.note("Not a smooth staircase: 2 or 8 hidden units reach at most " + pct(std::max(acc[1], acc[2])) +
           " against the linear model's " + pct(acc[0]) +
           " (up or down by seed); too few folds cannot follow the arms, and capacity pays off once it is enough.");
  lab.claim(
      "enough hidden capacity pays: 1 x 32 beats every smaller model by >= 25 points, and 2 x 32 is at least as "
      "good as 1 x 32",
      acc[3] >= small_best + 0.25 && acc[4] >= acc[3],
      "1 x 32 " + pct(acc[3]) + ", best smaller " + pct(small_best) + ", 2 x 32 " + pct(acc[4]));
}

}  // namespace hidden_layer_lab

Lab lab_hidden_layer() {
  return {159,
          "hidden_layer",
          "Hidden layer",
          "A hidden layer sits between input and output; nobody gives it targets, so it learns its own features of "
          "the input. Its width and the number of such layers set the network's capacity: how complicated a "
          "function it can represent.",
          "the accuracy column climbing with capacity: a linear model, then a bottleneck of 2 units, then wider and "
          "deeper hidden layers that fit the spiral arms.",
          hidden_layer_lab::run};
}

}  // namespace strata::labs
