// Lab 161, softmax: the notes' worked example (2.0, 1.0, 0.1 -> 65.9%, 24.3%, 9.8%), why the library subtracts
// the maximum first, and how a temperature sharpens or flattens the distribution.
#include "strata/ops/softmax.h"

#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::labs {

namespace softmax_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const std::vector<std::string> names = {"A", "B", "C"};

  lab.heading("The worked example: scores 2.0, 1.0, 0.1");
  Tensor logits = tensor({2.0, 1.0, 0.1}, TensorOptions(kFloat64));
  std::vector<double> e = kit::values(exp(logits));
  double sum = e[0] + e[1] + e[2];
  std::vector<double> p = kit::values(softmax(logits, 0));
  std::vector<double> score = kit::values(logits);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < 3; ++i)
    rows.push_back({names[i], fmt(score[i], 2), fmt(e[i], 4), fmt(e[i] / sum, 4), pct(p[i])});
  lab.table("step 1: exp(score); step 2: divide by the sum (" + fmt(sum, 5) + "); step 3: read as percentages",
            {"class", "score", "exp(score)", "exp / sum", "softmax"}, rows);
  lab.bar_plot({"softmax(2.0, 1.0, 0.1)", "class", "probability"}, names, p);
  double psum = p[0] + p[1] + p[2];
  const double expected[3] = {0.659, 0.243, 0.098};
  double worst = 0;
  for (size_t i = 0; i < 3; ++i) worst = std::max(worst, std::fabs(p[i] - expected[i]));
  lab.note("The notes give 65.9%, 24.3% and 9.8%; to two decimals the values are " + pct(p[0], 2) + ", " +
           pct(p[1], 2) + " and " + pct(p[2], 2) + " (the notes rounded exp(score) before dividing).");
  lab.claim("softmax(2.0, 1.0, 0.1) is the notes' 65.9%, 24.3%, 9.8% to within 0.1 percentage point", worst < 0.001,
            pct(p[0], 2) + ", " + pct(p[1], 2) + ", " + pct(p[2], 2));
  lab.claim("the probabilities sum to 1", std::fabs(psum - 1) < 1e-6, "sum " + fmt(psum, 9));

  lab.heading("Large scores: exp overflows, softmax does not");
  Tensor big = add(logits, 1000.0);
  std::vector<double> naive = kit::values(exp(big));  // exp(1002) > 1.8e308, the largest double
  std::vector<double> stable = kit::values(softmax(big, 0));
  double diff = 0;
  for (size_t i = 0; i < 3; ++i) diff = std::max(diff, std::fabs(stable[i] - p[i]));
  lab.note(
      "Adding 1000 to every score changes nothing mathematically (the factor e^1000 cancels), but exp(1002) is "
      "beyond even float64 (largest 1.8e308). The library subtracts the largest score before exponentiating.");
  lab.table("", {"", "A", "B", "C"},
            {{"naive exp(score + 1000)", fmt(naive[0]), fmt(naive[1]), fmt(naive[2])},
             {"softmax(score + 1000)", pct(stable[0]), pct(stable[1]), pct(stable[2])}});
  lab.claim("softmax(scores + 1000) equals softmax(scores) although exp(1002) overflows",
            diff < 1e-6 && std::isinf(naive[0]), "largest difference " + fmt(diff) + ", naive exp " + fmt(naive[0]));

  lab.heading("Temperature: softmax(score / T)");
  std::vector<double> temps = {0.25, 0.5, 1, 2, 4, 8};
  std::vector<double> top, entropy;
  rows.clear();
  for (double t : temps) {
    std::vector<double> q = kit::values(softmax(div(logits, t), 0));
    double h = 0;
    for (double v : q) h -= v * std::log(v);
    top.push_back(q[0]);
    entropy.push_back(h);
    rows.push_back({fmt(t), pct(q[0]), pct(q[1]), pct(q[2]), fmt(h, 3)});
  }
  lab.table("", {"T", "A", "B", "C", "entropy (nats)"}, rows);
  lab.line_plot({"Temperature flattens the distribution", "temperature T", "probability", true, false},
                {{"P(A), the top class", temps, top}, {"entropy / ln 3", temps, [&] {
                                                         std::vector<double> r;
                                                         for (double h : entropy) r.push_back(h / std::log(3.0));
                                                         return r;
                                                       }()}});
  bool monotone = std::is_sorted(top.rbegin(), top.rend()) && std::is_sorted(entropy.begin(), entropy.end());
  lab.claim("a higher temperature lowers the top probability and raises the entropy", monotone,
            "P(A) from " + pct(top.front()) + " at T=" + fmt(temps.front()) + " to " + pct(top.back()) +
                " at T=" + fmt(temps.back()));
}

}  // namespace softmax_lab

Lab lab_softmax() {
  return {161,
          "softmax",
          "Softmax",
          "Softmax turns a vector of scores (logits) into probabilities: exponentiate each score, then divide by the "
          "sum. Every output is in (0, 1), they add up to 1, and the largest score gets the largest share, more "
          "than its proportional share because exp grows fast.",
          "the table reproduces the notes' 65.9% / 24.3% / 9.8% step by step; then adding 1000 to the scores breaks "
          "a naive exp but not the library's softmax; then the temperature table shows low T sharpening and high T "
          "flattening the distribution.",
          softmax_lab::run};
}

}  // namespace strata::labs
