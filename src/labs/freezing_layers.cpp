// Lab 183, freezing layers: a pretrained CNN's backbone frozen while its new head trains. The frozen weights stay
// bit for bit the same and get no gradients, the trainable parameter count drops, the head still learns; then a
// gradual-unfreezing schedule (train/unfreezing.h) opening the layers one stage at a time.
#include <chrono>

#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/transfer.h"
#include "strata/optim/adam.h"
#include "strata/train/unfreezing.h"

namespace strata::labs {

namespace freezing_layers_lab {

// Records the trainable parameter count at the start of every epoch (after the unfreezing callback ran).
class TrainableCounter : public train::Callback {
 public:
  explicit TrainableCounter(nn::Module& model) : model_(model) {}
  void on_epoch_begin(train::TrainState& /*state*/) override {
    counts.push_back(static_cast<double>(model_.num_parameters(true)));
  }
  std::vector<double> counts;

 private:
  nn::Module& model_;
};

std::vector<std::vector<float>> snapshot(nn::Module& m) {
  std::vector<std::vector<float>> out;
  for (const Tensor& p : m.parameters()) out.push_back(p.detach().contiguous().to_vector<float>());
  return out;
}

// Seconds per step of `steps` full-batch steps on the target training set.
double seconds_per_step(nn::Module& model, optim::Optimizer& opt, const kit::XY& data, int64_t steps, uint64_t seed) {
  train::FitOptions fo;
  fo.epochs = steps;
  nn::CrossEntropyLoss loss;
  auto t0 = std::chrono::steady_clock::now();
  kit::fit(model, loss, opt, data, data.size(), fo, nullptr, seed);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / static_cast<double>(steps);
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t per_class = 10, steps = lab.pick<int64_t>(60, 40);
  images::TransferTask task = images::transfer_task(lab.pick<int64_t>(1600, 1200), per_class, lab.seed());
  nn::ModulePtr source_model = images::pretrained_cnn(task.source, 6, lab.seed());
  lab.note("A CNN pretrained on 8 shapes; a new 4-class head for 4 other shapes (" + std::to_string(per_class) +
           " labelled images per class). Model children: 0 = features (0.0 conv, 0.3 conv), 1 = head.");

  manual_seed(lab.seed() + 7);
  nn::ModulePtr model = images::small_cnn(4);
  nn::LoadOptions features_only;
  features_only.skip = {"1.*"};
  nn::load_weights(*model, source_model->state_dict(), features_only);
  nn::Module& features = *model->child("0");
  const double all_params = static_cast<double>(model->num_parameters(true));
  std::vector<std::string> frozen_names = nn::freeze(*model, {"0.*"});
  const double trainable = static_cast<double>(model->num_parameters(true));
  std::vector<std::vector<float>> before = snapshot(features);
  double acc_before = kit::accuracy(*model, task.target_test);

  lab.heading("Training the head with the backbone frozen");
  // The optimizer is handed every parameter on purpose: freezing works through requires_grad, not through
  // what the optimizer holds (a parameter without a gradient is skipped).
  optim::Adam opt(model->parameters(), {.lr = 0.01, .weight_decay = 1e-4});
  double frozen_step = seconds_per_step(*model, opt, task.target_train, steps, lab.seed());
  double acc_after = kit::accuracy(*model, task.target_test);
  std::vector<std::vector<float>> after = snapshot(features);
  bool identical = before == after;
  int64_t frozen_with_grad = 0;
  for (const Tensor& p : features.parameters()) frozen_with_grad += p.grad().defined();

  std::string names;
  for (const std::string& n : frozen_names) names += (names.empty() ? "" : ", ") + n;
  lab.table("", {"", "value"},
            {{"frozen parameters (nn::freeze {\"0.*\"})", names},
             {"trainable parameters before freezing", fmt(all_params, 6)},
             {"trainable parameters after freezing", fmt(trainable, 6)},
             {"frozen tensors with a gradient after training", std::to_string(frozen_with_grad)},
             {"frozen tensors bit-identical after training", identical ? "all" : "NOT all"},
             {"target test accuracy before / after " + std::to_string(steps) + " steps",
              pct(acc_before) + " / " + pct(acc_after)}});
  lab.claim(
      "the frozen backbone's weights are bit-identical after training and have no gradients",
      identical && frozen_with_grad == 0,
      std::to_string(before.size()) + " tensors compared, " + std::to_string(frozen_with_grad) + " with a gradient");
  lab.claim("freezing the backbone cuts the trainable parameters by over 90%", trainable < 0.1 * all_params,
            fmt(all_params, 6) + " -> " + fmt(trainable, 6));
  lab.claim("the head still learns (target accuracy rises by over 30 points from near chance)",
            acc_after > acc_before + 0.3, pct(acc_before) + " -> " + pct(acc_after));

  manual_seed(lab.seed() + 7);
  nn::ModulePtr open_model = images::small_cnn(4);
  nn::load_weights(*open_model, source_model->state_dict(), features_only);
  optim::Adam open_opt(open_model->parameters(), {.lr = 0.01, .weight_decay = 1e-4});
  double open_step = seconds_per_step(*open_model, open_opt, task.target_train, steps, lab.seed());
  lab.value("milliseconds per step, backbone frozen", 1000 * frozen_step, "ms");
  lab.value("milliseconds per step, everything trainable", 1000 * open_step, "ms");
  lab.note(
      "Printed, not claimed (a shared 2-core machine is noisy): a frozen backbone still runs its forward "
      "pass, but backward stops at the head and the optimizer updates " +
      fmt(trainable, 6) +
      " numbers instead "
      "of " +
      fmt(all_params, 6) + ".");

  lab.heading("Gradual unfreezing: head first, then one more layer every 2 epochs");
  manual_seed(lab.seed() + 7);
  nn::ModulePtr gradual = images::small_cnn(4);
  nn::load_weights(*gradual, source_model->state_dict(), features_only);
  train::GradualUnfreezingOptions go;
  go.groups = {{"1.*"}, {"0.3.*"}, {"0.0.*"}};
  go.every_epochs = 2;
  auto unfreezing = std::make_shared<train::GradualUnfreezing>(*gradual, go);
  auto counter = std::make_shared<TrainableCounter>(*gradual);
  optim::Adam gopt(gradual->child("1")->parameters(), {.lr = 0.001});
  train::FitOptions fo;
  fo.epochs = 6;
  fo.callbacks = {unfreezing, counter};
  nn::CrossEntropyLoss loss;
  kit::fit(*gradual, loss, gopt, task.target_train, 8, fo, nullptr, lab.seed());
  std::vector<std::vector<std::string>> rows;
  const std::vector<std::string> open = {"head", "head, conv 0.3", "head, conv 0.3, conv 0.0"};
  for (size_t e = 0; e < counter->counts.size(); ++e)
    rows.push_back({std::to_string(e + 1), open[std::min<size_t>(e / 2, 2)], fmt(counter->counts[e], 6)});
  lab.table("trainable parameters at the start of each epoch", {"epoch", "trainable", "parameters"}, rows);
  lab.bar_plot({"Trainable parameters by epoch (gradual unfreezing)", "epoch", "parameters"},
               {"1", "2", "3", "4", "5", "6"}, counter->counts);
  lab.value("optimizer parameter groups at the end", static_cast<double>(gopt.param_groups().size()));
  bool schedule = counter->counts.size() == 6 && counter->counts[0] == trainable &&
                  counter->counts[2] > counter->counts[1] && counter->counts[4] > counter->counts[3] &&
                  counter->counts[5] == all_params;
  lab.claim("the schedule opens one more layer every 2 epochs, ending with every parameter trainable", schedule,
            fmt(counter->counts.front(), 6) + " -> " + fmt(counter->counts.back(), 6) + " trainable");
}

}  // namespace freezing_layers_lab

Lab lab_freezing_layers() {
  return {183,
          "freezing_layers",
          "Freezing layers",
          "Freezing a layer means excluding its parameters from training (requires_grad off): backpropagation "
          "computes no gradient for them and the optimizer leaves them alone, so pretrained features are kept "
          "exactly while a new head learns on top. Unfreezing later, layer by layer from the head down, lets the "
          "features adapt once the head is no longer random.",
          "the first table: the backbone is bit-identical after training, has no gradients, the trainable count "
          "drops by over 90%, and the accuracy still rises; then the unfreezing schedule's parameter counts.",
          freezing_layers_lab::run};
}

}  // namespace strata::labs
