// Worked example, L1 and L2 regularisation: a 20-input MLP where only 2 inputs carry the label, trained on a
// small set with noisy labels, without a penalty, with an L1 penalty on the weights added to the loss, and with
// L2 (SGD's weight_decay). L1 zeroes most weights of the useless inputs; L2 shrinks all weights.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/clip_grad.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace regularization_lab {

constexpr int64_t kInputs = 20;

// x ~ N(0, 1) in 20 dims; label (x0 + x1 > 0), 10% of labels flipped.
kit::XY make_data(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t f = 0; f < kInputs; ++f) {
      double v = gen.normal_double();
      if (f < 2) s += v;
      x.push_back(static_cast<float>(v));
    }
    int64_t label = s > 0 ? 1 : 0;
    if (gen.uniform_double() < 0.1) label = 1 - label;
    y.push_back(label);
  }
  return {from_vector(x, {n, kInputs}), from_vector(y, {n})};
}

struct Result {
  std::string name;
  double small_fraction = 0, noise_input_norm = 0, weight_norm = 0, train_acc = 0, val_acc = 0;
  std::vector<double> column_norms;  // first layer: norm of the weights leaving each input
};

Result train_run(const std::string& name, double l1, double l2, const kit::XY& train_set, const kit::XY& val_set,
                 int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = kit::mlp({kInputs, 64, 2}, "relu");
  nn::CrossEntropyLoss ce;
  optim::SGD opt(model->parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = l2});
  TensorList weights;
  for (auto& [n, layer] : kit::weight_layers(*model)) weights.push_back(layer->param("weight"));
  const int64_t batch = 20, n = train_set.size();
  Generator gen(seed + 5);
  for (int64_t e = 0; e < epochs; ++e) {
    Tensor order = randperm(n, &gen);
    for (int64_t b = 0; b < n; b += batch) {
      Tensor idx = order.slice(0, b, std::min(n, b + batch));
      Tensor loss = ce((*model)(train_set.x.index_select(0, idx)), train_set.y.index_select(0, idx));
      if (l1 > 0) loss = add(loss, mul(optim::l1_penalty(weights), l1));  // the L1 term, added to the loss
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  }
  Result r;
  r.name = name;
  std::vector<double> w = kit::values(weights[0].flatten());
  double sq = 0;
  int64_t small = 0;
  r.column_norms.assign(kInputs, 0.0);
  for (size_t i = 0; i < w.size(); ++i) {
    small += std::fabs(w[i]) < 1e-2;
    r.column_norms[i % kInputs] += w[i] * w[i];
  }
  for (double& c : r.column_norms) c = std::sqrt(c);
  for (size_t f = 2; f < static_cast<size_t>(kInputs); ++f) r.noise_input_norm += r.column_norms[f];
  r.noise_input_norm /= static_cast<double>(kInputs - 2);
  for (const Tensor& t : weights) sq += std::pow(t.norm().item(), 2);
  r.weight_norm = std::sqrt(sq);
  r.small_fraction = static_cast<double>(small) / static_cast<double>(w.size());
  r.train_acc = kit::accuracy(*model, train_set);
  r.val_acc = kit::accuracy(*model, val_set);
  return r;
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  kit::XY train_set = make_data(100, lab.seed());
  kit::XY val_set = make_data(2000, lab.seed() + 11);
  const int64_t epochs = lab.pick<int64_t>(200, 100);
  lab.heading("20 inputs, 2 of them useful; 100 training examples, 10% of labels flipped");
  std::vector<Result> res = {train_run("no penalty", 0, 0, train_set, val_set, epochs, lab.seed()),
                             train_run("L1 (1e-3 x sum |w|)", 1e-3, 0, train_set, val_set, epochs, lab.seed()),
                             train_run("L2 (weight_decay 1e-2)", 0, 1e-2, train_set, val_set, epochs, lab.seed())};
  std::vector<std::vector<std::string>> rows;
  for (const Result& r : res) {
    rows.push_back({r.name, pct(r.small_fraction), fmt(r.column_norms[0]) + ", " + fmt(r.column_norms[1]),
                    fmt(r.noise_input_norm), fmt(r.weight_norm), pct(r.train_acc), pct(r.val_acc),
                    pct(r.train_acc - r.val_acc)});
  }
  lab.table(
      "2-layer MLP (20-64-2), SGD lr 0.05 momentum 0.9, " + std::to_string(epochs) + " epochs; first-layer weights",
      {"penalty", "|w| < 0.01", "weights of inputs 0, 1 (norm)", "mean norm, useless inputs", "total weight norm",
       "train acc", "val acc", "gap"},
      rows);
  std::vector<std::string> labels;
  for (int64_t f = 0; f < kInputs; ++f) labels.push_back(std::to_string(f));
  lab.bar_plot({"L1: norm of the first-layer weights leaving each input", "input", "norm"}, labels,
               res[1].column_norms);
  lab.bar_plot({"No penalty: norm of the first-layer weights leaving each input", "input", "norm"}, labels,
               res[0].column_norms);
  lab.note(
      "L1's gradient is a constant pull lambda * sign(w) toward 0, which wins over the small, noisy gradient of a "
      "weight that does not help, so those weights sit at 0 (give or take one step). L2's pull lambda * w shrinks "
      "every weight in proportion to its size but rarely makes any exactly 0.");
  lab.claim("L1 drives at least half of the first-layer weights below 0.01, versus under 10% without a penalty",
            res[1].small_fraction >= 0.5 && res[0].small_fraction < 0.1,
            pct(res[1].small_fraction) + " vs " + pct(res[0].small_fraction));
  lab.claim("L2 shrinks the total weight norm to under 60% of the unpenalised network's",
            res[2].weight_norm < 0.6 * res[0].weight_norm, fmt(res[2].weight_norm) + " vs " + fmt(res[0].weight_norm));
  lab.note("Measured here, the penalties barely change the train/validation gap (" +
           pct(res[0].train_acc - res[0].val_acc) + " without, " + pct(res[1].train_acc - res[1].val_acc) +
           " with L1, " + pct(res[2].train_acc - res[2].val_acc) +
           " with L2): at these strengths every network still fits all 100 training labels, noise included. The "
           "lab claims only what holds at every seed: sparsity and shrinkage.");
}

}  // namespace regularization_lab

Lab lab_regularization() {
  return {0,
          "regularization",
          "L1 and L2 regularisation",
          "A penalty on the size of the weights, added to the loss, trades a little training fit for simpler "
          "models. L2 (lambda * sum w^2, what SGD's weight_decay does) shrinks all weights smoothly; L1 (lambda * "
          "sum |w|) pushes each weight toward 0 with a constant force, so weights that do not earn their keep end at "
          "0 and the model becomes sparse: a built-in feature selection.",
          "the '|w| < 0.01' column and the two bar plots (L1 keeps mostly inputs 0 and 1), and the total weight norm "
          "under L2.",
          regularization_lab::run};
}

}  // namespace strata::labs
