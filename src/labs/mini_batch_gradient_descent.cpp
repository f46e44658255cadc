// Worked example, mini-batch gradient descent: the same MLP, data, learning rate and number of epochs with full
// batch gradient descent, stochastic (batch 1) and mini-batch (32) updates: loss per epoch, the noise of the loss
// per update, and the wall time per epoch.
#include <chrono>
#include <cmath>

#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace mini_batch_gradient_descent_lab {

// Records each update's batch loss.
class BatchLosses : public train::Callback {
 public:
  void on_batch_end(train::TrainState&, const train::Logs& logs) override { losses.push_back(logs.at("batch_loss")); }
  std::vector<double> losses;
};

struct Run {
  std::string name;
  int64_t batch = 0;
  std::vector<double> epoch_loss;  // full-data loss after each epoch (index 0: before training)
  std::vector<double> batch_losses;
  double seconds_per_epoch = 0;
  int64_t updates = 0;
};

// Coefficient of variation (std / mean) of the per-update losses over the last `last` updates.
double noise(const std::vector<double>& v, size_t last) {
  size_t begin = v.size() > last ? v.size() - last : 0;
  double m = 0, s = 0;
  for (size_t i = begin; i < v.size(); ++i) m += v[i];
  m /= static_cast<double>(v.size() - begin);
  for (size_t i = begin; i < v.size(); ++i) s += (v[i] - m) * (v[i] - m);
  return std::sqrt(s / static_cast<double>(v.size() - begin)) / m;
}

void run(LabRun& lab) {
  using kit::fmt;
  kit::XY data = kit::spirals(lab.pick<int64_t>(512, 256), 3, 0.02, lab.seed());
  const int64_t epochs = lab.pick<int64_t>(10, 6);
  const double lr = 0.05;
  nn::CrossEntropyLoss loss;
  std::vector<Run> runs(3);
  runs[0].name = "batch (all " + std::to_string(data.size()) + ")";
  runs[0].batch = data.size();
  runs[1].name = "stochastic (1)";
  runs[1].batch = 1;
  runs[2].name = "mini-batch (32)";
  runs[2].batch = 32;
  for (Run& r : runs) {
    manual_seed(lab.seed());
    nn::ModulePtr model = kit::mlp({2, 32, 32, 3}, "relu", false, "he");
    optim::SGD opt(model->parameters(), {.lr = lr});
    auto rec = std::make_shared<BatchLosses>();
    r.epoch_loss.push_back(kit::loss_on(*model, loss, data));
    double seconds = 0;
    for (int64_t e = 0; e < epochs; ++e) {
      train::FitOptions fo;
      fo.callbacks = {rec};
      auto t0 = std::chrono::steady_clock::now();
      kit::fit(*model, loss, opt, data, r.batch, fo, nullptr, lab.seed() + static_cast<uint64_t>(e));
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      r.epoch_loss.push_back(kit::loss_on(*model, loss, data));
    }
    r.batch_losses = rec->losses;
    r.updates = static_cast<int64_t>(rec->losses.size());
    r.seconds_per_epoch = seconds / static_cast<double>(epochs);
  }

  lab.heading("The same " + std::to_string(epochs) + " epochs of SGD (lr " + fmt(lr) + ") on " +
              std::to_string(data.size()) + " spiral points");
  std::vector<std::vector<std::string>> rows;
  std::vector<Series> per_epoch;
  for (const Run& r : runs) {
    rows.push_back({r.name, std::to_string(r.updates), fmt(r.epoch_loss.front()), fmt(r.epoch_loss.back()),
                    fmt(noise(r.batch_losses, 256)), fmt(r.seconds_per_epoch * 1000, 3)});
    per_epoch.push_back({r.name, kit::iota(r.epoch_loss.size()), r.epoch_loss});
  }
  lab.table("loss on all the data; noise = std / mean of the per-update batch losses over the last 256 updates",
            {"method", "updates", "loss at start", "loss at end", "per-update noise", "ms per epoch"}, rows);
  lab.line_plot({"Loss on all the data after each epoch", "epoch", "loss", false, true}, per_epoch);
  std::vector<Series> per_update;
  for (size_t i = 1; i < runs.size(); ++i) {
    size_t n = std::min<size_t>(runs[i].batch_losses.size(), 300);
    per_update.push_back({runs[i].name, kit::iota(n, 1),
                          std::vector<double>(runs[i].batch_losses.begin(), runs[i].batch_losses.begin() + n)});
  }
  lab.line_plot({"Loss of each update's batch, first 300 updates", "update", "batch loss", false, true}, per_update);
  lab.note("Per epoch, full-batch descent takes one careful step; batch 1 takes " + std::to_string(data.size()) +
           " noisy ones; mini-batches take a few dozen steps whose gradients average out most of the noise and use the "
           "matrix kernels efficiently. The wall times are measured on this machine and vary with its load.");
  const Run &full = runs[0], &sgd = runs[1], &mini = runs[2];
  lab.claim("after the same number of epochs mini-batch descent reaches a lower loss than full-batch descent",
            mini.epoch_loss.back() < full.epoch_loss.back(),
            "mini-batch " + fmt(mini.epoch_loss.back()) + ", full batch " + fmt(full.epoch_loss.back()));
  double n1 = noise(sgd.batch_losses, 256), n32 = noise(mini.batch_losses, 256);
  lab.claim("batch-1 updates are far noisier: per-update loss noise at least 3x mini-batch's", n1 >= 3 * n32,
            fmt(n1) + " vs " + fmt(n32));
}

}  // namespace mini_batch_gradient_descent_lab

Lab lab_mini_batch_gradient_descent() {
  return {0,
          "mini_batch_gradient_descent",
          "Mini-batch gradient descent",
          "Gradient descent can estimate the gradient from all the training data (batch: exact but one step per "
          "pass), from one example (stochastic: many cheap, noisy steps) or from a small batch (mini-batch: the "
          "usual compromise). Mini-batches give many steps per pass with gradients averaged enough to point "
          "roughly downhill, and let the hardware work on whole matrices.",
          "the loss-per-epoch plot (full batch barely moves in the same number of epochs), the per-update plot (the "
          "batch-1 line jumps around, the mini-batch line is smoother), and the ms-per-epoch column.",
          mini_batch_gradient_descent_lab::run};
}

}  // namespace strata::labs
