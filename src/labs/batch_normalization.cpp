// Lab 167, batch normalisation: the same 5-layer ReLU MLP with and without BatchNorm1d, trained with plain SGD at
// learning rates from 0.02 to 5: steps to a target accuracy, and the highest learning rate that still trains.
#include <cmath>
#include <limits>

#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace batch_normalization_lab {

constexpr double kTarget = 0.7;  // training accuracy that counts as "trained"

struct Run {
  int64_t steps_to_target = -1;  // -1: never reached
  double final_acc = 0;
  bool finite = true;
};

Run train_run(bool bn, double lr, const kit::XY& data, int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = kit::mlp({2, 64, 64, 64, 64, 3}, "relu", bn, "he");
  nn::CrossEntropyLoss loss;
  optim::SGD opt(model->parameters(), {.lr = lr});
  const int64_t batch = 32;
  train::History h = kit::fit(*model, loss, opt, data, batch, {.epochs = epochs}, nullptr, seed);
  Run r;
  const int64_t per_epoch = (data.size() + batch - 1) / batch;
  std::vector<double> acc = h.values("accuracy");
  for (size_t e = 0; e < acc.size(); ++e) {
    if (acc[e] >= kTarget) {
      r.steps_to_target = static_cast<int64_t>(e + 1) * per_epoch;
      break;
    }
  }
  r.finite = std::isfinite(kit::loss_on(*model, loss, data));
  r.final_acc = r.finite ? kit::accuracy(*model, data) : 0;
  return r;
}

void run(LabRun& lab) {
  kit::XY data = kit::spirals(768, 3, 0.02, lab.seed());
  const int64_t epochs = lab.pick<int64_t>(40, 25);
  const std::vector<double> lrs = {0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};
  lab.heading("Plain SGD on 3-class spirals, 5 weight layers of width 64 (He init), batch 32, " +
              std::to_string(epochs) + " epochs");
  std::vector<std::vector<std::string>> rows;
  std::vector<double> acc_plain, acc_bn;
  int64_t best_plain = -1, best_bn = -1;
  double top_plain = 0, top_bn = 0;
  auto steps_text = [](const Run& r) {
    return r.steps_to_target < 0 ? std::string("never") : std::to_string(r.steps_to_target);
  };
  auto better = [](int64_t best, int64_t s) { return s >= 0 && (best < 0 || s < best); };
  for (double lr : lrs) {
    Run p = train_run(false, lr, data, epochs, lab.seed());
    Run b = train_run(true, lr, data, epochs, lab.seed());
    acc_plain.push_back(p.final_acc);
    acc_bn.push_back(b.final_acc);
    if (better(best_plain, p.steps_to_target)) best_plain = p.steps_to_target;
    if (better(best_bn, b.steps_to_target)) best_bn = b.steps_to_target;
    if (p.final_acc >= kTarget) top_plain = lr;
    if (b.final_acc >= kTarget) top_bn = lr;
    rows.push_back({kit::fmt(lr), steps_text(p), kit::pct(p.final_acc) + (p.finite ? "" : " (NaN)"), steps_text(b),
                    kit::pct(b.final_acc) + (b.finite ? "" : " (NaN)")});
  }
  lab.table("steps until an epoch's training accuracy reaches " + kit::pct(kTarget, 0) + ", and the final accuracy",
            {"learning rate", "plain: steps", "plain: accuracy", "batch norm: steps", "batch norm: accuracy"}, rows);
  lab.line_plot({"Final accuracy against learning rate", "learning rate", "accuracy", true, false},
                {{"plain", lrs, acc_plain}, {"batch norm", lrs, acc_bn}});
  lab.value("highest learning rate that trains, plain", top_plain);
  lab.value("highest learning rate that trains, batch norm", top_bn);
  lab.claim("with batch norm the target is reached in fewer steps (best over the learning rates)",
            best_bn >= 0 && (best_plain < 0 || best_bn < best_plain),
            "batch norm " + std::to_string(best_bn) + " steps, plain " +
                (best_plain < 0 ? std::string("never") : std::to_string(best_plain) + " steps"));
  lab.claim("the highest learning rate that trains is at least 4x higher with batch norm",
            top_plain > 0 && top_bn >= 4 * top_plain,
            "batch norm " + kit::fmt(top_bn) + ", plain " + kit::fmt(top_plain));
}

}  // namespace batch_normalization_lab

Lab lab_batch_normalization() {
  return {167,
          "batch_normalization",
          "Batch normalisation",
          "Batch normalisation standardises each unit's input over the current mini-batch (mean 0, variance 1) and "
          "then applies a learned scale and shift. Every layer then sees inputs on the same scale whatever the "
          "earlier layers do, which keeps a deep network trainable at much higher learning rates and usually gets "
          "it to a given accuracy in fewer steps. At evaluation it uses running averages of the batch statistics.",
          "the table: read down each pair of columns. The plain network needs a narrow band of learning rates and "
          "breaks above it; the batch-norm network trains over a much wider range and reaches the target sooner.",
          batch_normalization_lab::run};
}

}  // namespace strata::labs
