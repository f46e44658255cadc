// Lab 182, fine-tuning: on a small target task, a pretrained CNN's frozen features + a new head, against
// fine-tuning every layer (a small learning rate for the pretrained ones), against the network from scratch.
#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/transfer.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace fine_tuning_lab {

void run(LabRun& lab) {
  using kit::pct;
  const int64_t per_class = 2, steps = 100;
  images::TransferTask task = images::transfer_task(lab.pick<int64_t>(1600, 1200), per_class, lab.seed());
  nn::ModulePtr source_model = images::pretrained_cnn(task.source, 6, lab.seed());
  lab.note("Source: 8 shapes in noisy 16x16 images (" + std::to_string(task.source.size()) +
           " images) to pretrain the CNN. Target: 4 other shapes of the same strokes (C, H, upside-down U and T), " +
           std::to_string(per_class) + " labelled images per class; test on 800.");

  const std::vector<std::string> names = {"from scratch (Adam lr 0.01, all layers)",
                                          "frozen features + new head (head lr 0.01)",
                                          "fine-tuned (features lr 0.001, head lr 0.01)"};
  std::vector<double> acc, feature_change;
  std::vector<Series> curves;
  std::vector<std::vector<std::string>> rows;
  for (size_t v = 0; v < names.size(); ++v) {
    manual_seed(lab.seed() + 7);
    nn::ModulePtr model = images::small_cnn(4);
    if (v > 0) {
      nn::LoadOptions features_only;
      features_only.skip = {"1.*"};  // the source head has the source's 8 classes
      nn::load_weights(*model, source_model->state_dict(), features_only);
    }
    Tensor w0 = model->child("0")->child("0")->param("weight").detach().clone();
    std::unique_ptr<optim::Adam> opt;
    if (v == 0) {
      opt = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 0.01});
    } else if (v == 1) {
      nn::freeze(*model, {"0.*"});
      opt = std::make_unique<optim::Adam>(model->child("1")->parameters(), optim::AdamOptions{.lr = 0.01});
    } else {
      // Two parameter groups: the pretrained features move slowly, the new head at the usual rate.
      opt = std::make_unique<optim::Adam>(
          std::vector<optim::ParamGroup>{{model->child("0")->parameters(), {{"lr", 0.001}}},
                                         {model->child("1")->parameters(), {{"lr", 0.01}}}},
          optim::AdamOptions{.lr = 0.01});
    }
    curves.push_back(images::train_on_target(*model, *opt, task, steps, names[v], lab.seed()));
    acc.push_back(curves.back().y.back());
    Tensor w1 = model->child("0")->child("0")->param("weight").detach();
    feature_change.push_back(sub(w1, w0).norm().item() / w0.norm().item());
    rows.push_back({names[v], kit::fmt(static_cast<double>(model->num_parameters(true)), 6),
                    kit::fmt(feature_change.back(), 3), pct(acc.back())});
  }
  lab.table("target task after " + std::to_string(steps) + " steps (chance 25%)",
            {"strategy", "trainable parameters", "relative change of the first conv's weights", "test accuracy"}, rows);
  lab.line_plot({"Target test accuracy while training", "step", "accuracy"}, curves);
  lab.note(
      "Freezing keeps the pretrained detectors exactly; fine-tuning lets them adapt a little to the new "
      "shapes (the small learning rate keeps them close to where pretraining left them, see the weight "
      "change). With so few labels the two end up close; both are far ahead of learning the detectors from "
      "8 images. With more target data, fine-tuning usually pulls ahead.");
  lab.claim("fine-tuning all layers does at least as well as frozen features, within 5 points", acc[2] >= acc[1] - 0.05,
            "fine-tuned " + pct(acc[2]) + ", frozen " + pct(acc[1]));
  lab.claim("both transfer strategies beat training from scratch by at least 10 points",
            acc[1] >= acc[0] + 0.10 && acc[2] >= acc[0] + 0.10,
            "frozen " + pct(acc[1]) + ", fine-tuned " + pct(acc[2]) + ", scratch " + pct(acc[0]));
}

}  // namespace fine_tuning_lab

Lab lab_fine_tuning() {
  return {182,
          "fine_tuning",
          "Fine-tuning",
          "Fine-tuning starts from a pretrained network and keeps training all (or the upper) layers on the new "
          "task, usually with a smaller learning rate for the pretrained layers so their features adapt without "
          "being wiped out by the large early gradients of a fresh head. It sits between freezing the features "
          "and training from scratch.",
          "the accuracy table and the curves: frozen and fine-tuned start from the same pretrained features and "
          "end close together, both well above the network trained from scratch on the same 8 images.",
          fine_tuning_lab::run};
}

}  // namespace strata::labs
