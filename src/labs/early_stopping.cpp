// Worked example, early stopping: a wide MLP trained long on 60 examples with noisy labels; the validation loss
// falls, then rises as the network memorises the noise. train::EarlyStopping stops near the best epoch and
// restores its weights.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/optim/adam.h"
#include "strata/train/callbacks.h"

namespace strata::labs {

namespace early_stopping_lab {

void run(LabRun& lab) {
  using kit::fmt;
  const double lr = 0.01;
  kit::XY train_set = kit::flip_labels(kit::circles(60, 0.12, lab.seed()), 0.2, lab.seed() + 1000);
  kit::XY val_set = kit::flip_labels(kit::circles(500, 0.12, lab.seed() + 7), 0.2, lab.seed() + 7 + 1000);
  const int64_t epochs = 120;  // the quick run too: the rise needs the long run
  const int64_t patience = 10;
  nn::CrossEntropyLoss loss;

  lab.heading("The full run: " + std::to_string(epochs) + " epochs");
  manual_seed(lab.seed());
  nn::ModulePtr full = kit::mlp({2, 128, 128, 2}, "relu");
  optim::Adam opt_full(full->parameters(), {.lr = lr});
  train::History h = kit::fit(*full, loss, opt_full, train_set, 16, {.epochs = epochs}, &val_set, lab.seed());
  std::vector<double> tr = h.values("loss"), va = h.values("val_loss");
  size_t best = static_cast<size_t>(std::min_element(va.begin(), va.end()) - va.begin());
  double final_val = kit::loss_on(*full, loss, val_set);

  lab.heading("The same run with EarlyStopping(val_loss, patience " + std::to_string(patience) +
              ", restore_best_weights)");
  manual_seed(lab.seed());
  nn::ModulePtr stopped = kit::mlp({2, 128, 128, 2}, "relu");
  optim::Adam opt_stop(stopped->parameters(), {.lr = lr});
  auto es = std::make_shared<train::EarlyStopping>(
      train::EarlyStoppingOptions{.patience = patience, .restore_best_weights = true});
  train::FitOptions fo;
  fo.epochs = epochs;
  fo.callbacks = {es};
  train::History hs = kit::fit(*stopped, loss, opt_stop, train_set, 16, fo, &val_set, lab.seed());
  double restored_val = kit::loss_on(*stopped, loss, val_set);
  const int64_t ran = static_cast<int64_t>(hs.epochs.size());

  lab.table("validation loss (epochs counted from 1)", {"", "epoch", "validation loss", "validation accuracy"},
            {{"best epoch of the full run", std::to_string(best + 1), fmt(va[best]),
              kit::pct(h.values("val_accuracy")[best])},
             {"end of the full run", std::to_string(epochs), fmt(final_val), kit::pct(kit::accuracy(*full, val_set))},
             {"early stopping: stopped after", std::to_string(ran), "", ""},
             {"early stopping: restored weights (best epoch " + std::to_string(es->best_epoch() + 1) + ")",
              std::to_string(es->best_epoch() + 1), fmt(restored_val), kit::pct(kit::accuracy(*stopped, val_set))}});
  std::vector<double> x = kit::iota(tr.size(), 1);
  double top = *std::max_element(va.begin(), va.end());
  lab.line_plot({"Training and validation loss (vertical line: where early stopping stopped)", "epoch", "loss"},
                {{"training loss", x, tr},
                 {"validation loss", x, va},
                 {"early stop", {static_cast<double>(ran), static_cast<double>(ran)}, {0.0, top}, true},
                 {"best epoch", {static_cast<double>(best + 1)}, {va[best]}, false, true}});
  lab.note(
      "The labels of 20% of the points are flipped, so past some epoch the network can only lower its training loss "
      "by memorising them, growing more confident and more often wrong on new points: the validation loss turns "
      "up. Early stopping watches it, stops " +
      std::to_string(patience) + " epochs after its last improvement and puts back the weights of the best epoch.");
  lab.claim("the validation loss rises after its minimum: the full run ends at least 30% above its best",
            final_val >= 1.3 * va[best],
            "best " + fmt(va[best]) + " at epoch " + std::to_string(best + 1) + ", end " + fmt(final_val));
  lab.claim("the restored model's validation loss is within 5% of the full run's best and below the full run's end",
            restored_val <= 1.05 * va[best] && restored_val < final_val,
            "restored " + fmt(restored_val) + ", best " + fmt(va[best]) + ", end " + fmt(final_val));
  lab.claim("training stopped early, at most " + std::to_string(patience) + " epochs after the best one it saw",
            hs.stopped_early && ran - 1 - es->best_epoch() <= patience,
            "stopped after epoch " + std::to_string(ran) + ", best epoch " + std::to_string(es->best_epoch() + 1));
}

}  // namespace early_stopping_lab

Lab lab_early_stopping() {
  return {0,
          "early_stopping",
          "Early stopping",
          "Training longer keeps lowering the training loss, but after some point the network fits the noise of its "
          "training set and gets worse on new data. Early stopping holds out a validation set, watches its loss after "
          "every epoch, stops once it has not improved for a few epochs (the patience), and keeps the weights of the "
          "best epoch: the number of epochs becomes a choice made by measurement.",
          "the plot: the validation curve's U shape, the dashed line where early stopping stopped, and the table: the "
          "restored weights score like the best epoch, far better than the end of the full run.",
          early_stopping_lab::run};
}

}  // namespace strata::labs
