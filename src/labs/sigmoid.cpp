// Lab 156, sigmoid: its range and its derivative measured through autograd (at most 0.25, vanishing when
// saturated), then a sigmoid output unit trained with binary cross-entropy giving calibrated probabilities.
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

namespace sigmoid_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  lab.heading("sigmoid(x) = 1 / (1 + e^-x) and its derivative (autograd), float64, 2001 points in [-10, 10]");
  Tensor x = linspace(-10, 10, 2001, TensorOptions(kFloat64));
  x.requires_grad_();
  Tensor y = sigmoid(x);
  y.sum().backward();
  std::vector<double> xv = kit::values(x), yv = kit::values(y), g = kit::values(x.grad());
  std::vector<std::vector<std::string>> rows;
  for (double at : {-10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0}) {
    size_t i = static_cast<size_t>(std::lround((at + 10) * 100));
    rows.push_back({fmt(at), fmt(yv[i], 6), fmt(g[i], 4)});  // xv[i] is at up to linspace rounding
  }
  lab.table("", {"x", "sigmoid(x)", "d sigmoid / dx"}, rows);
  lab.line_plot({"Sigmoid and its derivative", "x", ""}, {{"sigmoid(x)", xv, yv}, {"derivative", xv, g, true}});
  double lo = *std::min_element(yv.begin(), yv.end()), hi = *std::max_element(yv.begin(), yv.end());
  lab.claim("every output is strictly between 0 and 1", lo > 0 && hi < 1,
            "min " + fmt(lo, 6) + ", max 1 - " + fmt(1 - hi, 4));
  size_t arg = static_cast<size_t>(std::max_element(g.begin(), g.end()) - g.begin());
  lab.claim("the derivative is at most 0.25, reached at x = 0",
            std::fabs(g[arg] - 0.25) < 1e-12 && std::fabs(xv[arg]) < 1e-9,
            "max " + fmt(g[arg], 12) + " at x = " + fmt(xv[arg], 2));
  lab.claim("saturated: at |x| = 10 the derivative is under 1e-4", g.front() < 1e-4 && g.back() < 1e-4,
            fmt(g.front()) + " at -10, " + fmt(g.back()) + " at 10");
  lab.note("Through a saturated sigmoid almost no gradient flows; chain a few of them and it vanishes (lab 163).");

  lab.heading("A sigmoid output unit trained with BCE gives probabilities");
  const int64_t n = lab.pick<int64_t>(4000, 2000);
  const int64_t steps = lab.pick<int64_t>(300, 200);
  kit::XY train_set = classify_2d::imbalanced(n, 0.5, 1.5, lab.seed());
  kit::XY test_set = classify_2d::imbalanced(20000, 0.5, 1.5, lab.seed() + 1000);
  manual_seed(lab.seed());
  nn::Linear unit(2, 1);
  nn::BCEWithLogitsLoss bce;
  classify_2d::train(unit, bce, {train_set.x, train_set.y.to(kFloat32).reshape({n, 1})}, steps, 0.05);
  std::vector<double> p = kit::values(sigmoid(kit::predict(unit, test_set.x)).reshape({20000}));
  std::vector<double> t = kit::values(test_set.y.to(kFloat64));
  const int bins = 10;
  std::vector<double> count(bins), sum_p(bins), sum_y(bins);
  for (size_t i = 0; i < p.size(); ++i) {
    int b = std::min(bins - 1, static_cast<int>(p[i] * bins));
    count[static_cast<size_t>(b)] += 1;
    sum_p[static_cast<size_t>(b)] += p[i];
    sum_y[static_cast<size_t>(b)] += t[i];
  }
  rows.clear();
  std::vector<double> mean_p, freq;
  double ece = 0;
  for (size_t b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    mean_p.push_back(sum_p[b] / count[b]);
    freq.push_back(sum_y[b] / count[b]);
    ece += count[b] / static_cast<double>(p.size()) * std::fabs(mean_p.back() - freq.back());
    rows.push_back({fmt(b / 10.0, 1) + "-" + fmt((b + 1) / 10.0, 1), std::to_string(static_cast<int64_t>(count[b])),
                    fmt(mean_p.back(), 3), fmt(freq.back(), 3)});
  }
  lab.note("One neuron, Linear(2, 1) + sigmoid, trained " + std::to_string(steps) +
           " steps on two overlapping Gaussian classes (1.5 std apart); then 20,000 fresh points grouped by the "
           "predicted probability.");
  lab.table("calibration on fresh data", {"predicted P(class 1)", "points", "mean predicted", "observed frequency"},
            rows);
  lab.line_plot({"Reliability: observed frequency against predicted probability", "predicted", "observed"},
                {{"model", mean_p, freq}, {"perfect calibration", {0, 1}, {0, 1}, true}});
  lab.value("expected calibration error (point-weighted mean |predicted - observed|)", ece);
  lab.claim("the sigmoid outputs are calibrated probabilities: expected calibration error under 0.03", ece < 0.03,
            "ECE " + fmt(ece));
}

}  // namespace sigmoid_lab

Lab lab_sigmoid() {
  return {156,
          "sigmoid",
          "Sigmoid",
          "The sigmoid 1 / (1 + e^-x) squashes any number into (0, 1), which makes it the natural output for a "
          "yes/no probability. Its slope is at most 0.25 and nearly zero for large |x|: fine at the output, but "
          "inside a deep network those small slopes multiply and the gradient fades.",
          "the derivative column (0.25 at the centre, ~4.5e-5 at +-10), then the reliability table: among points "
          "given probability ~0.8, about 80% really are class 1.",
          sigmoid_lab::run};
}

}  // namespace strata::labs
