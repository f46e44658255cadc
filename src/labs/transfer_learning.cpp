// Lab 181, transfer learning: a CNN pretrained on a source task with plenty of images, its features reused
// (frozen, with a new head) on a related target task with a handful of labels, against the same network trained
// from scratch on that handful.
#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/linear.h"
#include "strata/nn/transfer.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace transfer_learning_lab {

void run(LabRun& lab) {
  using kit::pct;
  const int64_t per_class = 2;
  images::TransferTask task = images::transfer_task(lab.pick<int64_t>(1600, 1200), per_class, lab.seed());

  lab.heading("Pretraining on the source task");
  lab.note(
      "Source: 8 shapes (vertical and horizontal bar, cross, square, L, T, corner, U) in noisy 16x16 images. "
      "Target: 4 other shapes made of the same strokes (C, H, upside-down U, upside-down T), only " +
      std::to_string(per_class) + " labelled images per class.");
  nn::ModulePtr source_model = images::pretrained_cnn(task.source, 6, lab.seed());
  double source_acc = kit::accuracy(
      *source_model,
      images::shapes({.n = 400, .size = 16, .patterns = images::kSourcePatterns, .noise = 0.3}, lab.seed() + 300));
  lab.value("source accuracy (8 shapes, " + std::to_string(task.source.size()) + " training images)", source_acc);

  const int64_t steps = 100;
  std::vector<std::string> names = {"from scratch (all layers, random init)",
                                    "transferred (pretrained features frozen, new head)"};
  std::vector<double> acc, trainable;
  std::vector<Series> curves;
  for (int v = 0; v < 2; ++v) {
    manual_seed(lab.seed() + 7);
    nn::ModulePtr model = images::small_cnn(4);
    if (v == 1) {
      nn::LoadOptions features_only;
      features_only.skip = {"1.*"};  // the source head has the source's classes
      nn::load_weights(*model, source_model->state_dict(), features_only);
      nn::freeze(*model, {"0.*"});
    }
    std::vector<Tensor> params;
    for (const Tensor& p : model->parameters())
      if (p.requires_grad()) params.push_back(p);
    trainable.push_back(static_cast<double>(model->num_parameters(true)));
    optim::Adam opt(params, {.lr = 0.01});
    Series curve = images::train_on_target(*model, opt, task, steps, names[static_cast<size_t>(v)], lab.seed());
    curves.push_back(curve);
    acc.push_back(curve.y.back());
  }
  lab.heading("The target task: C, H, upside-down U and T with " + std::to_string(per_class) +
              " labelled images per class");
  lab.table("target test accuracy (800 images, chance 25%)", {"model", "trainable parameters", "test accuracy"},
            {{names[0], kit::fmt(trainable[0], 6), pct(acc[0])}, {names[1], kit::fmt(trainable[1], 6), pct(acc[1])}});
  lab.line_plot({"Target test accuracy while training", "step", "accuracy"}, curves);
  lab.note(
      "The source network learned stroke detectors (horizontal and vertical segments, their ends and "
      "crossings, corners) because it needed them to tell eight shapes apart. The target shapes are made "
      "of the same strokes, so a linear head over those detectors separates them from a few examples. From "
      "scratch, the same network has to find the detectors in 8 noisy images, and mostly fits the noise.");
  lab.claim("transfer beats training from scratch on the small target set by at least 10 percentage points",
            acc[1] >= acc[0] + 0.10, "transferred " + pct(acc[1]) + ", scratch " + pct(acc[0]));
}

}  // namespace transfer_learning_lab

Lab lab_transfer_learning() {
  return {
      181,
      "transfer_learning",
      "Transfer learning",
      "Transfer learning reuses what a network learned on one task (with plenty of data) for a related task "
      "with little data: keep the pretrained feature layers, put a new output layer (head) on top for the "
      "new classes, and train only that, or the whole network gently. The features carry the knowledge; the "
      "few new labels only have to map them to the new classes.",
      "the target accuracy table: with 8 labelled images (2 per class) the network built on pretrained features is far "
      "ahead of the same network trained from scratch.",
      transfer_learning_lab::run};
}

}  // namespace strata::labs
