// Worked example: the learning rate. The same network, data and steps with a learning rate that is too small,
// about right and too large (a sweep over seven decades), and where diag::lr_find's suggestion falls.
#include <algorithm>
#include <cmath>
#include <limits>

#include "labs/kit.h"
#include "strata/diag/lr_find.h"
#include "strata/labs/lab.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace learning_rate_lab {

struct Result {
  double lr = 0, final_loss = 0;
  std::vector<double> curve;  // training loss by epoch (non-finite values as they came)
};

Result train_at(double lr, const kit::XY& data, int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = kit::mlp({8, 64, 64, 4}, "relu");
  nn::CrossEntropyLoss loss;
  optim::SGD opt(model->parameters(), {.lr = lr});
  Result r;
  r.lr = lr;
  r.curve.push_back(kit::loss_on(*model, loss, data));
  train::FitOptions fo;
  fo.epochs = 1;
  for (int64_t e = 0; e < epochs && std::isfinite(r.curve.back()); ++e) {
    kit::fit(*model, loss, opt, data, 32, fo, nullptr, seed + static_cast<uint64_t>(e));
    r.curve.push_back(kit::loss_on(*model, loss, data));
  }
  r.final_loss = r.curve.back();
  return r;
}

void run(LabRun& lab) {
  using kit::fmt;
  kit::XY data = kit::blobs(lab.pick<int64_t>(1536, 768), 4, 8, 0.6, lab.seed());
  const int64_t epochs = lab.pick<int64_t>(20, 12);
  const std::vector<double> lrs = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};

  lab.heading("Plain SGD, the same MLP (8-64-64-4), data and steps; only the learning rate changes");
  std::vector<Result> results;
  std::vector<std::vector<std::string>> rows;
  std::vector<Series> curves;
  for (double lr : lrs) {
    results.push_back(train_at(lr, data, epochs, lab.seed()));
    const Result& r = results.back();
    bool finite = std::isfinite(r.final_loss);
    rows.push_back({fmt(lr), fmt(r.curve.front()), finite ? fmt(r.final_loss) : "NaN / inf (diverged)",
                    finite ? fmt(r.final_loss / r.curve.front()) : "-"});
    std::vector<double> shown;
    for (double v : r.curve) shown.push_back(std::isfinite(v) ? std::min(v, 10.0) : 10.0);
    curves.push_back({"lr " + fmt(lr), kit::iota(shown.size()), shown});
  }
  lab.table(std::to_string(epochs) + " epochs, batch 32 (4 Gaussian blobs in 8 dimensions)",
            {"learning rate", "loss at start", "loss at end", "end / start"}, rows);
  lab.line_plot({"Training loss by epoch (diverged runs drawn at 10)", "epoch", "loss", false, true}, curves);
  size_t best = 0;
  for (size_t i = 0; i < results.size(); ++i)
    if (std::isfinite(results[i].final_loss) && results[i].final_loss < results[best].final_loss) best = i;
  const Result& small = results.front();
  const Result& large = results.back();
  lab.note(
      "Too small, every step is tiny and the loss hardly moves in the time given. Too large, each step "
      "overshoots the valley it aims for, lands higher, and the next gradient is larger still: the loss "
      "blows up. In between, the largest rate that still descends steadily is the fastest.");
  lab.claim("too small (lr " + fmt(small.lr) + ") barely moves: the loss ends above 95% of its start",
            std::isfinite(small.final_loss) && small.final_loss > 0.95 * small.curve.front(),
            fmt(small.final_loss / small.curve.front()) + " of the start");
  lab.claim("too large (lr " + fmt(large.lr) + ") diverges: the loss ends above its start, or is NaN / inf",
            !std::isfinite(large.final_loss) || large.final_loss > large.curve.front(),
            std::isfinite(large.final_loss) ? fmt(large.final_loss) + " vs " + fmt(large.curve.front()) : "not finite");
  lab.claim("the best rate of the sweep lies strictly between them and ends below half its starting loss",
            best > 0 && best + 1 < results.size() && results[best].final_loss < 0.5 * results[best].curve.front(),
            "best lr " + fmt(results[best].lr) + ", loss " + fmt(results[best].final_loss));

  lab.heading("The learning-rate range test (diag::lr_find)");
  manual_seed(lab.seed());
  nn::ModulePtr model = kit::mlp({8, 64, 64, 4}, "relu");
  nn::CrossEntropyLoss loss;
  optim::SGD opt(model->parameters(), {.lr = 1e-3});
  int64_t cursor = 0;
  const int64_t batch = 32;
  auto step = [&]() {
    if (cursor + batch > data.size()) cursor = 0;
    kit::XY b = kit::rows(data, cursor, cursor + batch);
    cursor += batch;
    opt.zero_grad();
    Tensor l = loss((*model)(b.x), b.y);
    l.backward();
    opt.step();
    return l.item();
  };
  diag::LRFindOptions fo;
  fo.min_lr = 1e-5;
  fo.max_lr = 100;
  fo.num_steps = lab.pick<int64_t>(200, 100);
  diag::LRFindResult found = diag::lr_find(*model, opt, step, fo);
  lab.page()["lr_find"] = diag::to_json(found);
  lab.line_plot({"Smoothed loss while the rate grows (one short run)", "learning rate", "loss", true, false},
                {{"smoothed loss", found.lrs, found.smoothed}});
  lab.value("suggested learning rate", found.suggested_lr);
  lab.note("How it chose: " + found.reason);
  Result at_suggestion = train_at(found.suggested_lr, data, epochs, lab.seed());
  lab.value("loss after " + std::to_string(epochs) + " epochs at the suggestion", at_suggestion.final_loss);
  const double ratio = found.suggested_lr / results[best].lr;
  bool in_range = ratio > 0.1 && ratio < 10 && std::isfinite(at_suggestion.final_loss) &&
                  at_suggestion.final_loss < 0.1 * at_suggestion.curve.front();
  lab.claim(
      "lr_find's suggestion, from one short run, is within 10x of the sweep's best rate and trains well (loss "
      "below 10% of its start)",
      in_range,
      "suggested " + fmt(found.suggested_lr) + ", loss " + fmt(at_suggestion.curve.front()) + " -> " +
          fmt(at_suggestion.final_loss) + " (the sweep's best: lr " + fmt(results[best].lr) + ", " +
          fmt(results[best].final_loss) + ")");
}

}  // namespace learning_rate_lab

Lab lab_learning_rate() {
  return {0,
          "learning_rate",
          "Learning rate: too small, about right, too large",
          "The learning rate scales every update: new weights = old weights - lr x gradient. Too small and training "
          "crawls; too large and each step overshoots, so the loss grows instead of falling, often to infinity. The "
          "range test (lr_find) runs one short training while raising the rate exponentially and suggests the rate "
          "where the loss was falling fastest.",
          "the sweep table (end/start ratio near 1 at the smallest rate, NaN at the largest) and the loss plot; "
          "then where lr_find's suggestion falls, and how training at it compares with the sweep's best.",
          learning_rate_lab::run};
}

}  // namespace strata::labs
