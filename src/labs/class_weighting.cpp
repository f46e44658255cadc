// Lab 196, class weighting: on 95:5 overlapping classes, plain cross-entropy against cross-entropy weighted by
// nn::compute_class_weights ("balanced"); minority recall, precision and accuracy on fresh data.
#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/linear.h"
#include "strata/ops/elementwise.h"

namespace strata::labs {

namespace class_weighting_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t n = lab.pick<int64_t>(4000, 2000), test_n = 20000;
  const int64_t steps = lab.pick<int64_t>(400, 300);
  const double minority = 0.05, gap = 2.0;
  kit::XY train_set = classify_2d::imbalanced(n, minority, gap, lab.seed());
  kit::XY test_set = classify_2d::imbalanced(test_n, minority, gap, lab.seed() + 1000);
  Tensor weights = nn::compute_class_weights(train_set.y, 2);
  std::vector<double> w = kit::values(weights);
  lab.heading("Two overlapping Gaussian classes (2 std apart), 5% of the points in class 1");
  lab.note("Balanced weights n / (2 count_c): class 0 gets " + fmt(w[0], 3) + ", class 1 gets " + fmt(w[1], 3) +
           ": each minority error costs " + fmt(w[1] / w[0], 3) + "x a majority error.");

  std::vector<std::vector<std::string>> rows;
  std::vector<classify_2d::PrecisionRecall> pr;
  std::vector<double> acc;
  for (int weighted = 0; weighted < 2; ++weighted) {
    nn::CrossEntropyLoss loss(weighted ? weights : Tensor());
    manual_seed(lab.seed());
    nn::Linear model(2, 2);
    classify_2d::train(model, loss, train_set, steps, 0.05);
    Tensor pred = classify_2d::predicted_class(model, test_set.x);
    pr.push_back(classify_2d::precision_recall(pred, test_set.y, 1));
    classify_2d::PrecisionRecall major = classify_2d::precision_recall(pred, test_set.y, 0);
    acc.push_back(eq(pred, test_set.y).to(kFloat64).mean().item());
    rows.push_back({weighted ? "weighted CE" : "plain CE", pct(acc.back()), pct(major.recall), pct(pr.back().recall),
                    pct(pr.back().precision)});
  }
  lab.table("logistic regression, " + std::to_string(steps) + " Adam steps; measured on 20,000 fresh points",
            {"loss", "accuracy", "class 0 recall", "class 1 recall", "class 1 precision"}, rows);
  lab.note(
      "Predicting class 0 everywhere would already score 95% accuracy, so plain cross-entropy puts the "
      "boundary far into the minority's side. Weighting moves it back: many more minority points are found, "
      "paid for with false alarms (lower precision) and a lower accuracy.");
  lab.claim("plain cross-entropy finds few minority points (class 1 recall under 50%)", pr[0].recall < 0.5,
            pct(pr[0].recall));
  lab.claim("class weights raise minority recall by >= 20 points", pr[1].recall >= pr[0].recall + 0.2,
            pct(pr[0].recall) + " -> " + pct(pr[1].recall));
  lab.claim("the trade-off: minority precision and overall accuracy both fall",
            pr[1].precision < pr[0].precision && acc[1] < acc[0],
            "precision " + pct(pr[0].precision) + " -> " + pct(pr[1].precision) + ", accuracy " + pct(acc[0]) + " -> " +
                pct(acc[1]));
}

}  // namespace class_weighting_lab

Lab lab_class_weighting() {
  return {196,
          "class_weighting",
          "Class weighting",
          "When one class is rare, a loss that counts every example equally is minimised mostly by getting the "
          "common class right, and the model learns to ignore the rare one. Class weights multiply each example's "
          "loss by a weight for its class (commonly inverse to its frequency), so that errors on the rare class "
          "count as much in total as errors on the common one.",
          "the recall of class 1: low with plain cross-entropy, far higher with weights; and the precision and "
          "accuracy columns, which show what that costs.",
          class_weighting_lab::run};
}

}  // namespace strata::labs
