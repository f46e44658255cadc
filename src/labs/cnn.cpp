// Lab 169, CNN: a small convolutional network against an MLP on images whose test patterns sit at positions
// never seen in training (trained on the left half, tested on the right half).
#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/containers.h"
#include "strata/nn/linear.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace cnn_lab {

constexpr int64_t kSize = 16;

void run(LabRun& lab) {
  using kit::pct;
  const std::vector<int64_t> patterns = {0, 1, 2, 3};
  const int64_t classes = static_cast<int64_t>(patterns.size());
  const int64_t half = kSize / 2;
  images::ShapeSetOptions left{.n = lab.pick<int64_t>(1600, 640),
                               .size = kSize,
                               .patterns = patterns,
                               .col_min = 0,
                               .col_max = half - images::kPatternSize};
  images::ShapeSetOptions right = left;
  right.n = 400;
  right.col_min = half;
  right.col_max = kSize - images::kPatternSize;
  kit::XY train_set = images::shapes(left, lab.seed());
  left.n = 400;
  kit::XY test_left = images::shapes(left, lab.seed() + 1000);
  kit::XY test_right = images::shapes(right, lab.seed() + 2000);

  lab.heading("The task");
  std::string names;
  for (int64_t p : patterns) names += (names.empty() ? "" : ", ") + images::pattern_name(p);
  lab.note("Four classes (" + names +
           "), a 5x5 pattern in a noisy 16x16 image. Training images put the pattern in "
           "the left half (columns 0-7); the test set puts it in the right half (columns 8-15), where no training "
           "pattern ever was.");
  lab.heatmap({"a training image (class " + images::pattern_name(patterns[1]) + ")", "", ""},
              images::image_rows(train_set.x, 1));
  lab.heatmap({"a test image (class " + images::pattern_name(patterns[1]) + ")", "", ""},
              images::image_rows(test_right.x, 1));

  manual_seed(lab.seed());
  nn::ModulePtr cnn = images::small_cnn(classes, 8, 16);
  manual_seed(lab.seed());
  nn::ModulePtr mlp = kit::mlp({kSize * kSize, 64, classes}, "relu");
  auto flat_mlp =
      std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{std::make_shared<nn::Flatten>(), mlp});

  nn::CrossEntropyLoss loss;
  train::FitOptions fo;
  fo.epochs = lab.pick<int64_t>(8, 4);
  std::vector<nn::ModulePtr> models = {cnn, flat_mlp};
  std::vector<std::string> labels = {"CNN (conv, pool, conv, global max pool, linear)", "MLP (256 -> 64 -> 4)"};
  std::vector<double> params, acc_train, acc_left, acc_right;
  std::vector<Series> curves;
  for (size_t m = 0; m < models.size(); ++m) {
    optim::Adam opt(models[m]->parameters(), {.lr = 0.01});
    train::History h = kit::fit(*models[m], loss, opt, train_set, 32, fo, &test_right, lab.seed());
    curves.push_back({labels[m], kit::iota(h.epochs.size(), 1), h.values("val_accuracy")});
    params.push_back(static_cast<double>(models[m]->num_parameters()));
    acc_train.push_back(kit::accuracy(*models[m], train_set));
    acc_left.push_back(kit::accuracy(*models[m], test_left));
    acc_right.push_back(kit::accuracy(*models[m], test_right));
  }
  lab.heading("Same data, same training, two architectures");
  std::vector<std::vector<std::string>> rows;
  for (size_t m = 0; m < models.size(); ++m)
    rows.push_back({labels[m], kit::fmt(params[m], 6), pct(acc_train[m]), pct(acc_left[m]), pct(acc_right[m])});
  lab.table("accuracy (chance 25%)",
            {"model", "parameters", "training set", "test, seen positions (left)", "test, new positions (right)"},
            rows);
  lab.line_plot({"Accuracy on the right-half test set while training", "epoch", "accuracy"}, curves);
  lab.note(
      "The CNN applies the same 3x3 filters at every position (weight sharing) and its global max pool keeps "
      "only whether a feature appeared, not where: a pattern moved to the right half produces the same "
      "features. The MLP has a separate weight for every pixel; the right-half pixels only ever saw noise in "
      "training, so what it learned does not carry over.");

  lab.claim("the CNN has under a tenth of the MLP's parameters", params[0] * 10 < params[1],
            kit::fmt(params[0], 6) + " vs " + kit::fmt(params[1], 6));
  lab.claim(
      "both models learn the positions they were trained on (left-half test set: CNN over 90%, MLP over 60%; chance "
      "25%)",
      acc_left[0] > 0.9 && acc_left[1] > 0.6, "CNN " + pct(acc_left[0]) + ", MLP " + pct(acc_left[1]));
  lab.claim("at unseen positions the CNN keeps over 90% while the MLP falls below 50% (chance 25%)",
            acc_right[0] > 0.9 && acc_right[1] < 0.5, "CNN " + pct(acc_right[0]) + ", MLP " + pct(acc_right[1]));
}

}  // namespace cnn_lab

Lab lab_cnn() {
  return {169,
          "cnn",
          "Convolutional neural network",
          "A convolutional layer slides a small filter over the image, using the same few weights at every "
          "position; pooling then summarises a neighbourhood (or the whole map) by its largest value. A pattern "
          "is recognised the same way wherever it appears, with far fewer parameters than a fully connected layer "
          "that has one weight per pixel.",
          "the accuracy table: both models learn the left-half positions they trained on, but only the CNN "
          "recognises the patterns in the right half, with about a twelfth of the parameters.",
          cnn_lab::run};
}

}  // namespace strata::labs
