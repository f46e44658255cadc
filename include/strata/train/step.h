#pragma once
// The one training step: forward and loss (a closure), backward, clipping and the optimizer update, with
// callback points between backward and the update. fit(), the examples, lr-find and the doctor all train
// through it, so anything that must happen at every step (monitors, loss scaling, gradient all-reduce)
// plugs in here, once.
//
//   train::Stepper stepper(model, optimizer, {.clip_grad_norm = 1.0});
//   for (...) {
//     train::StepResult r = stepper([&] { return nn::functional::mse_loss(model(x), y); });
//     r.loss;  // the loss before the update
//   }
//
// Gradient accumulation: accumulate() a group of N micro-batches with group_size N (each backward sees
// loss / N), then step() once. One step, in order:
//   accumulate():  zero_grad (first micro-batch of a group; the group's loss scale is read here), loss =
//                  loss_fn() (under AutocastGuard for BF16 / FP16), grad_sync's before_backward,
//                  backward(loss * loss_scale / group_size)
//   step():        grad_sync's synchronize (data-parallel: every process now holds the same gradients),
//                  grad_scaler's on_after_backward (unscale, inf check, scale update), the callbacks'
//                  on_after_backward (the group's gradients are complete), clip_grad_norm / clip_grad_value,
//                  on_before_step, optimizer.step() unless a callback set state.skip_step, ++global_step.
// Callbacks see a TrainState whose model, optimizer, global_step, loss_value and grad_norm are current.
#include <functional>
#include <optional>
#include <vector>

#include "strata/core/tensor.h"
#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"
#include "strata/train/fit.h"
#include "strata/train/grad_scaler.h"
#include "strata/train/grad_sync.h"
#include "strata/train/precision.h"

namespace strata::train {

// Runs the model's forward pass and returns the scalar loss to minimise.
using LossFn = std::function<Tensor()>;

struct StepOptions {
  std::optional<double> clip_grad_norm = std::nullopt;   // max total 2-norm of the gradients
  std::optional<double> clip_grad_value = std::nullopt;  // clamp every gradient to [-v, v] (after the norm clip)
  std::vector<CallbackPtr> callbacks = {};               // their on_after_backward / on_before_step run here
  Precision precision = Precision::FP32;                 // BF16 / FP16: loss_fn runs under AutocastGuard
  // Loss scaling, run before the callbacks; sets state.loss_scale. Steppers sharing a TrainState share one.
  // FP16 without one creates a GradScaler of PyTorch's defaults unless loss_scaling is false.
  std::shared_ptr<GradScaler> grad_scaler = nullptr;
  bool loss_scaling = true;
  // Data-parallel gradient synchronisation (grad_sync.h; dist::DataParallel), or none.
  GradientSyncPtr grad_sync = nullptr;
};

struct StepResult {
  double loss = 0;                  // the loss of the last micro-batch, before the update (unscaled)
  std::optional<double> grad_norm;  // total gradient norm before clipping (with clip_grad_norm)
  bool stepped = false;             // false when a callback skipped the update (state.skip_step)
};

class Stepper {
 public:
  // Steps `optimizer` over the trainable parameters of `model`, with its own TrainState.
  Stepper(nn::Module& model, optim::Optimizer& optimizer, StepOptions options = {});
  // Uses the caller's TrainState (fit's), whose model and optimizer must be set; global_step advances there.
  Stepper(TrainState& state, StepOptions options);
  // Steps `optimizer` (not the state's) while sharing the caller's TrainState: tasks with several optimizers
  // (a GAN's generator and discriminator) keep one Stepper per optimizer. During the step's callbacks
  // state.optimizer points at this optimizer; clipping covers the parameters it optimises.
  Stepper(TrainState& state, optim::Optimizer& optimizer, StepOptions options);
  Stepper(const Stepper&) = delete;
  Stepper& operator=(const Stepper&) = delete;

  // One micro-batch of a group of `group_size`: zero_grad on the group's first, then forward + backward.
  // Returns the loss value. A non-scalar loss is an error naming its shape.
  double accumulate(const LossFn& loss_fn, int64_t group_size = 1);
  // Ends the group: callbacks, clipping and the optimizer update.
  StepResult step();
  // accumulate(loss_fn) then step(): one plain training step.
  StepResult operator()(const LossFn& loss_fn) {
    accumulate(loss_fn);
    return step();
  }

  TrainState& state() { return *state_; }
  const StepOptions& options() const { return options_; }
  GradScaler* grad_scaler() const { return options_.grad_scaler.get(); }  // nullptr without loss scaling
  // Adds a callback whose step hooks run from now on.
  void add_callback(CallbackPtr cb);

 private:
  void init();

  TrainState own_state_;
  TrainState* state_;
  optim::Optimizer* optimizer_ = nullptr;  // set: this Stepper's own optimizer over a shared state
  StepOptions options_;
  TensorList params_;  // trainable parameters (for clipping)
  int64_t in_group_ = 0;
  int64_t group_size_ = 1;
  double group_scale_ = 1.0;  // the loss scale of the group in progress
  double last_loss_ = 0;
};

// One training step without keeping a Stepper: zero_grad, loss, backward, clipping, update.
StepResult step(nn::Module& model, optim::Optimizer& optimizer, const LossFn& loss_fn, const StepOptions& options = {});

}  // namespace strata::train
