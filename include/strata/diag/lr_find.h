#pragma once
// The learning-rate range test (Leslie Smith, "Cyclical Learning Rates for Training Neural Networks", 2017;
// fastai's lr_find): train for a few steps while the learning rate grows exponentially from min_lr to max_lr,
// record the loss, and suggest the rate where the smoothed loss falls fastest. Decoupled from the training
// loop: the caller passes one training step as a closure.
//
//   auto r = diag::lr_find(*model, *optimizer, [&] { return one_training_step(...); });
//   r.suggested_lr;   r.reason;   io::Json j = diag::to_json(r);
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"

namespace strata::diag {

struct LRFindOptions {
  double min_lr = 1e-7;
  double max_lr = 10;
  int64_t num_steps = 100;      // >= 2
  double smoothing = 0.98;      // beta of the exponential moving average of the loss, in [0, 1)
  double diverge_factor = 4.0;  // stop when the smoothed loss exceeds this times its minimum so far (> 1)
};

struct LRFindResult {
  std::vector<double> lrs, losses, smoothed;  // one entry per step run
  double suggested_lr = 0;
  double min_loss_lr = 0;  // the LR at the minimum of the smoothed loss
  std::string reason;      // how suggested_lr was chosen, in words
  bool diverged = false;   // stopped early (smoothed loss above diverge_factor x minimum, or not finite)
  int64_t steps_run = 0;
};

// Before step i the learning rate of every param group is min_lr * (max_lr/min_lr)^(i/(num_steps-1));
// `train_step` runs ONE training step at the rate currently set and returns the loss before the update.
// Records the bias-corrected exponentially smoothed loss; stops early when the smoothed loss exceeds
// diverge_factor x its minimum or is not finite. Afterwards (also when train_step throws) the model's
// parameters and buffers, its train/eval mode, and the optimizer's state_dict (state and every group's
// options, learning rates included) are restored bit for bit; gradients are cleared (set to none).
// Suggestion: the LR of the steepest descent of the smoothed loss over log(lr), by central differences,
// ignoring the first 10% (at most 10) and the last 5% (at most 5) of the points; when no point descends,
// min_loss_lr / 10.
LRFindResult lr_find(nn::Module& model, optim::Optimizer& optimizer, const std::function<double()>& train_step,
                     const LRFindOptions& options = {});

// {"lr": [...], "loss": [...], "smoothed": [...], "suggested_lr": x, "min_loss_lr": y, "reason": "...",
//  "diverged": b, "steps_run": n}; non-finite values are written as null.
io::Json to_json(const LRFindResult& result);

}  // namespace strata::diag
