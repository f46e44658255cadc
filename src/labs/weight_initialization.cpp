// Lab 165, weight initialisation: all-zero and constant starts leave every hidden unit identical after training
// (the symmetry is never broken), and the spread of activations through 20-layer tanh and ReLU nets under
// Xavier and He initialisation.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/labs/lab.h"
#include "strata/nn/init.h"
#include "strata/nn/linear.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace weight_initialization_lab {

// The largest |W[i, j] - W[0, j]| over the rows of a weight matrix: 0 when every row is the same.
double max_row_difference(const Tensor& w) {
  Tensor d = w.detach().to(kFloat64);
  return sub(d, d.slice(0, 0, 1)).abs().max().item();
}

struct StartResult {
  double row_diff = 0, acc = 0;
};

// "zero": every weight 0; "constant": every weight 0.1; "he": He normal. Biases start at 0.
StartResult train_start(const std::string& start, const kit::XY& data, int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = kit::mlp({2, 32, 32, 3}, "tanh", false, start == "he" ? "he" : "zero");
  if (start == "constant") {
    for (auto& [name, layer] : kit::weight_layers(*model)) nn::init::constant_(layer->param("weight"), 0.1);
  }
  nn::CrossEntropyLoss loss;
  optim::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  kit::fit(*model, loss, opt, data, 32, {.epochs = epochs}, nullptr, seed);
  auto layers = kit::weight_layers(*model);
  return {max_row_difference(layers[1].second->param("weight")), kit::accuracy(*model, data)};
}

// Standard deviation of the output of each of `depth` square layers (activation after each) for unit-Gaussian
// inputs; "xavier": std sqrt(2 / (fan_in + fan_out)), "he": sqrt(2 / fan_in).
std::vector<double> activation_stds(const std::string& act, const std::string& init, int64_t depth, int64_t width,
                                    int64_t n, uint64_t seed) {
  manual_seed(seed);
  NoGradGuard no_grad;
  Tensor h = randn({n, width});
  std::vector<double> stds;
  for (int64_t i = 0; i < depth; ++i) {
    nn::Linear layer(width, width, false);
    if (init == "xavier") {
      nn::init::xavier_normal_(layer.param("weight"));
    } else {
      nn::init::kaiming_normal_(layer.param("weight"), 0.0, "fan_in", "relu");
    }
    h = layer(h);
    h = act == "relu" ? relu(h) : tanh(h);
    stds.push_back(h.std().item());
  }
  return stds;
}

void run(LabRun& lab) {
  lab.heading("Identical starts stay identical");
  kit::XY data = kit::spirals(768, 3, 0.02, lab.seed());  // the quick run too: He needs these steps
  const int64_t epochs = 60;
  std::vector<std::string> starts = {"zero", "constant", "he"};
  std::vector<std::string> names = {"all weights 0", "all weights 0.1", "He normal"};
  std::vector<StartResult> res;
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < starts.size(); ++i) {
    res.push_back(train_start(starts[i], data, epochs, lab.seed()));
    rows.push_back({names[i], kit::fmt(res[i].row_diff), kit::pct(res[i].acc)});
  }
  lab.table("2-32-32-3 tanh MLP on 3-class spirals, " + std::to_string(epochs) +
                " epochs of SGD with momentum; row difference of the second hidden layer's 32x32 weight",
            {"start", "max |row i - row 0| after training", "training accuracy"}, rows);
  lab.note(
      "With equal weights every hidden unit computes the same output and receives the same gradient, so the units "
      "stay copies of each other: the layer acts as one unit however wide it is. With all-zero weights the "
      "gradient of the hidden weights is exactly zero (tanh(0) = 0 feeds nothing forward) and only the output "
      "biases learn: the class frequencies.");
  lab.note(
      "The all-0.1 rows differ only by float32 rounding (the matrix kernels add in a different order at different "
      "positions), about 1e-8 against the He network's differences of order 1.");
  lab.claim("after training from all-zero weights every row of the hidden weight matrix is identical (difference 0)",
            res[0].row_diff == 0, "max row difference " + kit::fmt(res[0].row_diff));
  lab.claim("from all-0.1 weights the rows stay identical up to float32 rounding (under 1e-6, He: over 0.1)",
            res[1].row_diff < 1e-6 && res[2].row_diff > 0.1,
            "max row difference " + kit::fmt(res[1].row_diff) + " vs " + kit::fmt(res[2].row_diff) + " (He)");
  lab.claim("the symmetric starts stay near chance (under 50% on 3 classes) while He init learns (over 80%)",
            res[0].acc < 0.5 && res[1].acc < 0.5 && res[2].acc > 0.8,
            "zero " + kit::pct(res[0].acc) + ", 0.1 " + kit::pct(res[1].acc) + ", He " + kit::pct(res[2].acc));

  lab.heading("Activation spread through 20 layers (width 256, unit-Gaussian input)");
  const int64_t depth = 20, width = 256, n = lab.pick<int64_t>(1024, 256);
  std::vector<std::pair<std::string, std::string>> combos = {
      {"relu", "xavier"}, {"relu", "he"}, {"tanh", "xavier"}, {"tanh", "he"}};
  std::vector<std::vector<double>> stds;
  std::vector<Series> series;
  for (const auto& [act, init] : combos) {
    stds.push_back(activation_stds(act, init, depth, width, n, lab.seed()));
    std::string label = (act == "relu" ? "ReLU + " : "tanh + ") + std::string(init == "he" ? "He" : "Xavier");
    series.push_back({label, kit::iota(static_cast<size_t>(depth), 1), stds.back()});
  }
  rows.clear();
  for (size_t layer : {size_t{0}, size_t{4}, size_t{9}, size_t{14}, size_t{19}}) {
    std::vector<std::string> row = {std::to_string(layer + 1)};
    for (const auto& s : stds) row.push_back(kit::fmt(s[layer]));
    rows.push_back(row);
  }
  lab.table("std of each layer's activations",
            {"layer", series[0].name, series[1].name, series[2].name, series[3].name}, rows);
  lab.line_plot({"Activation std by layer", "layer", "std", false, true}, series);
  lab.note(
      "Xavier keeps the variance for activations symmetric around 0 with slope 1 (tanh near 0); ReLU zeroes "
      "half of its inputs and halves the variance per layer, which He's factor 2 restores.");
  double relu_xavier = stds[0].back() / stds[0].front(), relu_he = stds[1].back() / stds[1].front();
  double tanh_xavier = stds[2].back();
  lab.claim(
      "ReLU + Xavier: layer 20's activation std is under 1/100 of layer 1's", relu_xavier < 0.01,
      "ratio " + kit::fmt(relu_xavier) + " (" + kit::fmt(stds[0].front()) + " -> " + kit::fmt(stds[0].back()) + ")");
  lab.claim("ReLU + He: the std stays level (layer 20 / layer 1 between 0.5 and 2)", relu_he > 0.5 && relu_he < 2,
            "ratio " + kit::fmt(relu_he) + " (" + kit::fmt(stds[1].front()) + " -> " + kit::fmt(stds[1].back()) + ")");
  lab.claim("tanh + Xavier stays usable: layer 20's std is above 0.1", tanh_xavier > 0.1,
            "std at layer 20 " + kit::fmt(tanh_xavier) + " (layer 1 " + kit::fmt(stds[2].front()) + ")");
}

}  // namespace weight_initialization_lab

Lab lab_weight_initialization() {
  return {165,
          "weight_initialization",
          "Weight initialisation",
          "The starting weights decide whether training can work at all. If every weight in a layer starts equal, "
          "every unit computes and learns the same thing forever, so the weights must be random. Their scale matters "
          "too: each layer multiplies the spread of the activations by about sqrt(fan_in) times the weights' std, so "
          "Xavier (std sqrt(2 / (fan_in + fan_out))) suits tanh and He (std sqrt(2 / fan_in)) suits ReLU, keeping "
          "the spread level through many layers.",
          "the row-difference column (exactly 0 for the symmetric starts), then the log plot of activation std by "
          "layer: ReLU + Xavier sinks toward 0, ReLU + He stays flat.",
          weight_initialization_lab::run};
}

}  // namespace strata::labs
