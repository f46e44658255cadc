// Lab 166, dropout: a wide MLP memorises a small set with noisy labels; dropout narrows the gap between training
// and validation accuracy. Then what nn::Dropout does to a tensor in train() and in eval() mode.
#include <cmath>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/linear.h"
#include "strata/nn/normalization.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace dropout_lab {

constexpr int64_t kWidth = 256;
constexpr int64_t kChunk = 10;

nn::ModulePtr build(double p) {
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(2, kWidth));
  m->push_back(std::make_shared<nn::ReLU>());
  if (p > 0) m->push_back(std::make_shared<nn::Dropout>(p));
  m->push_back(std::make_shared<nn::Linear>(kWidth, kWidth));
  m->push_back(std::make_shared<nn::ReLU>());
  if (p > 0) m->push_back(std::make_shared<nn::Dropout>(p));
  m->push_back(std::make_shared<nn::Linear>(kWidth, 2));
  return m;
}

struct Result {
  double train_acc = 0, val_acc = 0, train_loss = 0, val_loss = 0;
  std::vector<double> train_curve, val_curve;
};

Result train_run(double p, const kit::XY& train_set, const kit::XY& val_set, int64_t epochs, int64_t batch,
                 uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = build(p);
  nn::CrossEntropyLoss loss;
  optim::Adam opt(model->parameters(), {.lr = 3e-3});
  Result r;
  // Trained in chunks of kChunk epochs, measuring both accuracies (eval mode) after each chunk.
  for (int64_t done = 0; done < epochs; done += kChunk) {
    kit::fit(*model, loss, opt, train_set, batch, {.epochs = kChunk}, nullptr, seed + static_cast<uint64_t>(done));
    r.train_curve.push_back(kit::accuracy(*model, train_set));
    r.val_curve.push_back(kit::accuracy(*model, val_set));
  }
  r.train_acc = kit::accuracy(*model, train_set);
  r.val_acc = kit::accuracy(*model, val_set);
  r.train_loss = kit::loss_on(*model, loss, train_set);
  r.val_loss = kit::loss_on(*model, loss, val_set);
  return r;
}

void run(LabRun& lab) {
  lab.heading("Train/validation gap of a 2-256-256-2 MLP on 120 examples with 20% flipped labels");
  kit::XY train_set = kit::flip_labels(kit::circles(120, 0.12, lab.seed()), 0.2, lab.seed() + 1000);
  kit::XY val_set =
      kit::flip_labels(kit::circles(lab.pick<int64_t>(1000, 500), 0.12, lab.seed() + 7), 0.2, lab.seed() + 7 + 1000);
  const int64_t epochs = lab.pick<int64_t>(300, 150);
  const int64_t batch = 40;  // 3 steps per epoch: long training stays cheap
  Result plain = train_run(0.0, train_set, val_set, epochs, batch, lab.seed());
  Result drop = train_run(0.5, train_set, val_set, epochs, batch, lab.seed());
  double gap_plain = plain.train_acc - plain.val_acc, gap_drop = drop.train_acc - drop.val_acc;
  lab.table("Adam lr 0.003, batch " + std::to_string(batch) + ", " + std::to_string(epochs) +
                " epochs; accuracy measured in eval mode",
            {"model", "train accuracy", "validation accuracy", "gap", "train loss", "validation loss"},
            {{"no dropout", kit::pct(plain.train_acc), kit::pct(plain.val_acc), kit::pct(gap_plain),
              kit::fmt(plain.train_loss), kit::fmt(plain.val_loss)},
             {"dropout 0.5", kit::pct(drop.train_acc), kit::pct(drop.val_acc), kit::pct(gap_drop),
              kit::fmt(drop.train_loss), kit::fmt(drop.val_loss)}});
  std::vector<double> x;
  for (size_t i = 0; i < plain.train_curve.size(); ++i) x.push_back(static_cast<double>((i + 1) * kChunk));
  lab.line_plot({"Accuracy (eval mode) during training", "epoch", "accuracy"},
                {{"train, no dropout", x, plain.train_curve},
                 {"validation, no dropout", x, plain.val_curve, true},
                 {"train, dropout 0.5", x, drop.train_curve},
                 {"validation, dropout 0.5", x, drop.val_curve, true}});
  lab.note(
      "With 20% of the labels flipped no model can beat about 80% on fresh data; training accuracy above that is "
      "memorised noise. Dropout makes memorising single examples hard because no unit can rely on another being "
      "there.");
  double lgap_plain = plain.val_loss - plain.train_loss, lgap_drop = drop.val_loss - drop.train_loss;
  lab.claim("dropout at least halves the gap between validation and training loss, and the validation loss is lower",
            lgap_drop <= 0.5 * lgap_plain && drop.val_loss < plain.val_loss,
            "loss gap " + kit::fmt(lgap_plain) + " without, " + kit::fmt(lgap_drop) + " with; validation loss " +
                kit::fmt(plain.val_loss) + " -> " + kit::fmt(drop.val_loss));
  lab.claim("dropout shrinks the train/validation accuracy gap", gap_drop < gap_plain,
            "gap " + kit::pct(gap_plain) + " without, " + kit::pct(gap_drop) + " with");
  lab.claim("validation accuracy with dropout is not worse (higher, or within 2 points)",
            drop.val_acc >= plain.val_acc - 0.02,
            kit::pct(drop.val_acc) + " with, " + kit::pct(plain.val_acc) + " without");

  lab.heading("What the layer does: nn::Dropout(0.5) on a tensor of ones");
  const int64_t n = 100000;
  manual_seed(lab.seed());
  nn::Dropout layer(0.5);
  Tensor ones_in = ones({n});
  layer.train();
  std::vector<double> out_train = kit::values(layer(ones_in));
  layer.eval();
  std::vector<double> out_eval = kit::values(layer(ones_in));
  double zeros = 0, kept_max_dev = 0, mean_train = 0, eval_dev = 0;
  for (size_t i = 0; i < out_train.size(); ++i) {
    mean_train += out_train[i];
    if (out_train[i] == 0) {
      zeros += 1;
    } else {
      kept_max_dev = std::max(kept_max_dev, std::fabs(out_train[i] - 2.0));
    }
    eval_dev = std::max(eval_dev, std::fabs(out_eval[i] - 1.0));
  }
  zeros /= static_cast<double>(n);
  mean_train /= static_cast<double>(n);
  lab.table("", {"mode", "share of zeros", "value of the kept elements", "mean"},
            {{"train()", kit::pct(zeros, 2), "2 (= 1 / (1 - 0.5))", kit::fmt(mean_train, 4)},
             {"eval()", "0.00%", "1 (unchanged)", "1"}});
  lab.claim("in training about half the elements are zeroed (49-51%) and the rest are scaled to exactly 2",
            zeros > 0.49 && zeros < 0.51 && kept_max_dev == 0,
            kit::pct(zeros, 2) + " zeros, kept values differ from 2 by at most " + kit::fmt(kept_max_dev));
  lab.claim("the mean is preserved in training (within 1%) and eval() is the identity",
            std::fabs(mean_train - 1) < 0.01 && eval_dev == 0,
            "train mean " + kit::fmt(mean_train, 4) + ", eval max |y - x| " + kit::fmt(eval_dev));
}

}  // namespace dropout_lab

Lab lab_dropout() {
  return {166,
          "dropout",
          "Dropout",
          "Dropout switches off a random share p of a layer's units at every training step and scales the survivors by "
          "1 / (1 - p), so the expected output is unchanged. A network trained this way cannot lean on any single unit "
          "or co-adapted group of units to memorise particular examples, which acts as a regulariser. At evaluation "
          "the layer does nothing.",
          "the gap column: without dropout training accuracy climbs toward 100% on noisy labels while validation "
          "stays lower; with dropout the two stay close. Then the train()/eval() table.",
          dropout_lab::run};
}

}  // namespace strata::labs
