// Lab 153, neuron: z = w.x + b and an activation, computed by hand and by nn::Linear(n, 1); then one neuron
// learning a linearly separable task and failing on XOR.
#include <algorithm>
#include <cmath>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/linear.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::labs {

namespace neuron_lab {

// Binary targets as the (N, 1) float column BCEWithLogitsLoss expects.
kit::XY as_binary(const kit::XY& d) { return {d.x, d.y.to(kFloat32).reshape({d.size(), 1})}; }

double binary_accuracy(nn::Module& model, const kit::XY& d) {
  return eq(classify_2d::predicted_class(model, d.x), d.y).to(kFloat64).mean().item();
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  lab.heading("One neuron by hand: z = w . x + b, a = sigmoid(z)");
  manual_seed(lab.seed());
  nn::Linear neuron(3, 1);
  Tensor x = randn({4, 3});
  std::vector<double> w = kit::values(neuron.param("weight").reshape({3}));
  double b = neuron.param("bias").item();
  std::vector<double> xv = kit::values(x.reshape({12}));
  std::vector<double> lib = kit::values(sigmoid(neuron(x)).reshape({4}));
  std::vector<std::vector<std::string>> rows;
  double worst = 0;
  for (size_t i = 0; i < 4; ++i) {
    double z = b;
    for (size_t j = 0; j < 3; ++j) z += w[j] * xv[i * 3 + j];
    double a = 1 / (1 + std::exp(-z));
    worst = std::max(worst, std::fabs(a - lib[i]));
    rows.push_back({fmt(xv[i * 3], 3) + ", " + fmt(xv[i * 3 + 1], 3) + ", " + fmt(xv[i * 3 + 2], 3), fmt(z, 5),
                    fmt(a, 6), fmt(lib[i], 6)});
  }
  lab.note("w = (" + fmt(w[0], 4) + ", " + fmt(w[1], 4) + ", " + fmt(w[2], 4) + "), b = " + fmt(b, 4) +
           " (Linear(3, 1)'s initial parameters).");
  lab.table("", {"x", "z = w.x + b (by hand)", "sigmoid(z) by hand", "sigmoid(Linear(x))"}, rows);
  lab.claim("the hand-computed neuron equals sigmoid(nn::Linear(3, 1)(x)) to float precision", worst < 1e-6,
            "largest difference " + fmt(worst));

  lab.heading("What one neuron can learn: a straight boundary");
  const int64_t n = lab.pick<int64_t>(800, 400);
  const int64_t steps = lab.pick<int64_t>(400, 250);
  nn::BCEWithLogitsLoss bce;
  kit::XY separable = classify_2d::imbalanced(n, 0.5, 5.0, lab.seed());
  kit::XY xr = classify_2d::xor_data(n, 0.2, lab.seed());
  std::vector<double> acc;
  rows.clear();
  for (const auto& [name, d] :
       std::vector<std::pair<std::string, kit::XY>>{{"two blobs 5 std apart", separable}, {"XOR", xr}}) {
    manual_seed(lab.seed());
    nn::Linear one(2, 1);
    classify_2d::train(one, bce, as_binary(d), steps, 0.05);
    acc.push_back(binary_accuracy(one, d));
    rows.push_back({name, pct(acc.back())});
  }
  lab.table("one neuron (Linear(2, 1) + sigmoid, BCE), training accuracy", {"data", "accuracy"}, rows);
  lab.note(
      "A neuron's decision boundary is the line w . x + b = 0. XOR's classes sit on opposite corners, so the "
      "best any line can do is three of the four clusters: 75%.");
  lab.claim("one neuron learns the linearly separable blobs (>= 95%)", acc[0] >= 0.95, pct(acc[0]));
  lab.claim("one neuron cannot learn XOR (<= 76%, a line gets at most 3 of 4 clusters)", acc[1] <= 0.76, pct(acc[1]));
}

}  // namespace neuron_lab

Lab lab_neuron() {
  return {153,
          "neuron",
          "Neuron",
          "An artificial neuron takes a weighted sum of its inputs plus a bias, z = w . x + b, and passes it through "
          "an activation such as sigmoid. Its decision boundary is the straight line (hyperplane) where z = 0, so "
          "one neuron separates exactly the classes a line can separate.",
          "the first table: the hand computation and the library's Linear agree to float precision; the second: one "
          "neuron fits the separated blobs but stays near 50-75% on XOR.",
          neuron_lab::run};
}

}  // namespace strata::labs
