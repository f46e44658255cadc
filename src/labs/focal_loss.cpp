// Lab 197, focal loss: FL(p) = -(1 - p)^gamma log p from the library against the formula for several gamma,
// how much it down-weights easy examples, and plain cross-entropy against focal loss on 95:5 data.
#include <algorithm>
#include <cmath>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/linear.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/softmax.h"

namespace strata::labs {

namespace focal_loss_lab {

// The library's multi-class focal loss for one example of class 0 whose softmax probability is exactly p.
double library_focal(double p, double gamma) {
  Tensor logits = from_vector(std::vector<double>{std::log(p), std::log(1 - p)}, {1, 2});
  return nn::functional::softmax_focal_loss(logits, zeros({1}, TensorOptions(kInt64)), Tensor(), gamma, Reduction::Sum)
      .item();
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  lab.heading("FL(p) = -(1 - p)^gamma log p, p = the probability given to the true class");
  const std::vector<double> ps = {0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99};
  const std::vector<double> gammas = {0, 1, 2, 5};
  std::vector<std::vector<std::string>> rows;
  std::vector<Series> curves;
  double worst = 0;
  for (double g : gammas) curves.push_back({"gamma " + fmt(g), {}, {}});
  for (double p : ps) {
    std::vector<std::string> row = {fmt(p)};
    for (size_t j = 0; j < gammas.size(); ++j) {
      double lib = library_focal(p, gammas[j]);
      double formula = -std::pow(1 - p, gammas[j]) * std::log(p);
      worst = std::max(worst, std::fabs(lib - formula) / formula);
      row.push_back(fmt(lib, 4));
      curves[j].x.push_back(p);
      curves[j].y.push_back(lib);
    }
    rows.push_back(row);
  }
  lab.table("nn::functional::softmax_focal_loss (gamma 0 is cross-entropy)",
            {"p", "gamma 0", "gamma 1", "gamma 2", "gamma 5"}, rows);
  lab.line_plot({"Focal loss against p", "p (true class)", "loss", false, true}, curves);
  lab.claim("the library's focal loss equals -(1 - p)^gamma log p (relative difference < 1e-9, float64)", worst < 1e-9,
            "largest relative difference " + fmt(worst));
  double easy = library_focal(0.9, 0) / library_focal(0.9, 2);
  double hard = library_focal(0.1, 0) / library_focal(0.1, 2);
  lab.value("CE / FL at p = 0.9 (an easy example), gamma 2", easy);
  lab.value("CE / FL at p = 0.1 (a hard example), gamma 2", hard);
  lab.claim("gamma 2 down-weights an easy example (p = 0.9) 100x but a hard one (p = 0.1) only 1.23x",
            std::fabs(easy - 100) < 1e-6 && std::fabs(hard - 1 / 0.81) < 1e-9,
            kit::times(easy) + " and " + fmt(hard, 4) + "x");

  lab.heading("On imbalanced data: 95:5 overlapping classes, logistic regression");
  const int64_t n = lab.pick<int64_t>(4000, 2000), test_n = 20000;
  const int64_t steps = lab.pick<int64_t>(400, 300);
  kit::XY train_set = classify_2d::imbalanced(n, 0.05, 2.0, lab.seed());
  kit::XY test_set = classify_2d::imbalanced(test_n, 0.05, 2.0, lab.seed() + 1000);
  rows.clear();
  std::vector<double> recall;
  Tensor balanced = nn::compute_class_weights(train_set.y, 2);
  struct Variant {
    std::string name;
    double gamma;
    Tensor alpha;
  };
  std::vector<Variant> variants = {{"cross-entropy (gamma 0)", 0, Tensor()},
                                   {"focal, gamma 2", 2, Tensor()},
                                   {"focal, gamma 5", 5, Tensor()},
                                   {"focal, gamma 2, alpha = balanced weights", 2, balanced}};
  double easy_share_ce = 0, easy_share_fl = 0;
  for (const Variant& v : variants) {
    nn::FocalLoss loss(v.gamma, v.alpha);
    manual_seed(lab.seed());
    nn::Linear model(2, 2);
    classify_2d::train(model, loss, train_set, steps, 0.05);
    Tensor pred = classify_2d::predicted_class(model, test_set.x);
    classify_2d::PrecisionRecall pr = classify_2d::precision_recall(pred, test_set.y, 1);
    recall.push_back(pr.recall);
    rows.push_back({v.name, pct(eq(pred, test_set.y).to(kFloat64).mean().item()), pct(pr.recall), pct(pr.precision)});
    if (recall.size() == 1) {
      // Where the loss comes from: the share of the summed training loss from easy examples (p_t > 0.9), under
      // cross-entropy and under gamma 2, for this trained model's predictions.
      Tensor logits = kit::predict(model, train_set.x);
      Tensor p_t = softmax(logits, 1).gather(1, train_set.y.unsqueeze(1)).squeeze(1);
      Tensor is_easy = gt(p_t, 0.9).to(kFloat32);
      Tensor ce_each = nn::functional::softmax_focal_loss(logits, train_set.y, Tensor(), 0, Reduction::None);
      Tensor fl_each = nn::functional::softmax_focal_loss(logits, train_set.y, Tensor(), 2, Reduction::None);
      easy_share_ce = mul(ce_each, is_easy).sum().item() / ce_each.sum().item();
      easy_share_fl = mul(fl_each, is_easy).sum().item() / fl_each.sum().item();
      lab.value("fraction of training examples that are easy (p_t > 0.9)", is_easy.mean().item());
    }
  }
  lab.value("share of the summed loss from the easy examples, cross-entropy", easy_share_ce);
  lab.value("share of the summed loss from the easy examples, focal gamma 2", easy_share_fl);
  lab.claim("focal loss takes the weight off the easy examples: their share of the summed loss falls >= 20x at gamma 2",
            easy_share_ce >= 20 * easy_share_fl, pct(easy_share_ce, 2) + " -> " + pct(easy_share_fl, 3));
  lab.table(std::to_string(steps) + " Adam steps, measured on 20,000 fresh points",
            {"loss", "accuracy", "class 1 recall", "class 1 precision"}, rows);
  lab.note(
      "Measured against the usual story: the focusing term alone hardly moves the rare class's recall here. "
      "A linear model can represent this data's true posterior, and the focal loss's best fit still puts the "
      "boundary where both classes are equally likely (it changes the confidence, not the 50% point). "
      "RetinaNet pairs it with a class weight alpha; with alpha the boundary moves and recall rises.");
  lab.claim("the focusing term alone changes minority recall by under 10 points (gamma 2 and 5)",
            std::fabs(recall[1] - recall[0]) < 0.1 && std::fabs(recall[2] - recall[0]) < 0.1,
            pct(recall[0]) + " -> " + pct(recall[1]) + " and " + pct(recall[2]));
  lab.claim("focal loss with alpha = balanced class weights raises minority recall by >= 20 points",
            recall[3] >= recall[0] + 0.2, pct(recall[0]) + " -> " + pct(recall[3]));
}

}  // namespace focal_loss_lab

Lab lab_focal_loss() {
  return {197,
          "focal_loss",
          "Focal loss",
          "Focal loss multiplies cross-entropy by (1 - p)^gamma, where p is the probability the model gives the "
          "true class. Confident, correct (easy) examples then contribute almost nothing, and training concentrates "
          "on the hard, misclassified ones: useful when easy examples of a common class vastly outnumber the rest.",
          "the loss table: as gamma grows, the loss at p = 0.9 shrinks by 10x, 100x, 100000x while the loss at "
          "p = 0.01 barely changes; then, on imbalanced data, how little of the loss still comes from easy examples, "
          "and the rare class's recall with the focusing term alone and with a class weight.",
          focal_loss_lab::run};
}

}  // namespace strata::labs
