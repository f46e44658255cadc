#pragma once
// Pieces shared by the training loops fit() (fit.cpp) and fit_task() (fit_task.cpp).
#include <string>

#include "strata/core/error.h"
#include "strata/data/dataloader.h"
#include "strata/nn/module.h"
#include "strata/train/fit.h"
#include "strata/train/step.h"

namespace strata::train::detail {

// Puts a module in a mode for a scope and restores the previous mode afterwards (also on exceptions).
class ModeGuard {
 public:
  ModeGuard(nn::Module& m, bool training) : m_(m), prev_(m.is_training()) {
    if (prev_ != training) m_.train(training);
  }
  ~ModeGuard() {
    if (m_.is_training() != prev_) m_.train(prev_);
  }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  nn::Module& m_;
  bool prev_;
};

inline int64_t batch_size_of(const data::Batch& b) { return b.input.dim() > 0 ? b.input.size(0) : 1; }

// Checks the options and the loader (errors name `who`), and fills a TrainState for the first epoch.
inline TrainState start_state(const std::string& who, const FitOptions& options, nn::Module& model,
                              optim::Optimizer& optimizer, data::DataLoader& train_loader, data::DataLoader* val_loader,
                              const History& history) {
  STRATA_CHECK(options.epochs >= 0 && options.initial_epoch >= 0 && options.initial_epoch <= options.epochs, who,
               " expected 0 <= initial_epoch <= epochs, got initial_epoch ", options.initial_epoch, " and epochs ",
               options.epochs);
  STRATA_CHECK(options.accumulation_steps >= 1, who, " accumulation_steps must be >= 1, got ",
               options.accumulation_steps);
  STRATA_CHECK(!options.clip_grad_norm || *options.clip_grad_norm > 0, who, " clip_grad_norm must be > 0, got ",
               options.clip_grad_norm.value_or(0));
  STRATA_CHECK(!options.clip_grad_value || *options.clip_grad_value > 0, who, " clip_grad_value must be > 0, got ",
               options.clip_grad_value.value_or(0));
  for (const CallbackPtr& cb : options.callbacks) STRATA_CHECK(cb != nullptr, who, " a callback is null");
  const int64_t batches = train_loader.size();
  STRATA_CHECK(batches > 0, who, " the training loader has no batches (", train_loader.num_examples(),
               " examples, batch size ", train_loader.options().batch_size, ")");
  TrainState st;
  st.epochs = options.epochs;
  st.batches_per_epoch = batches;
  st.global_step = options.initial_global_step;
  st.model = &model;
  st.optimizer = &optimizer;
  st.train_loader = &train_loader;
  st.val_loader = val_loader;
  st.history = &history;
  return st;
}

// The step options of a loop: clipping, callbacks, precision and loss scaling. FP16 gets its GradScaler here, once
// per loop, so that every Stepper over the loop's TrainState (a GAN's two) shares it.
inline StepOptions step_options(const FitOptions& options) {
  StepOptions s{.clip_grad_norm = options.clip_grad_norm,
                .clip_grad_value = options.clip_grad_value,
                .callbacks = options.callbacks,
                .precision = options.precision,
                .grad_scaler = options.grad_scaler,
                .loss_scaling = options.loss_scaling};
  bool scaler_in_callbacks = false;
  for (const CallbackPtr& cb : options.callbacks)
    scaler_in_callbacks = scaler_in_callbacks || dynamic_cast<const GradScaler*>(cb.get()) != nullptr;
  if (s.precision == Precision::FP16 && s.loss_scaling && s.grad_scaler == nullptr && !scaler_in_callbacks)
    s.grad_scaler = std::make_shared<GradScaler>();
  return s;
}

// The end of a loop: the model back in training mode, the stop recorded in the history, on_train_end.
inline void end_state(TrainState& st, const FitOptions& options, History& history) {
  st.model->train();
  history.stopped_early = st.stop_training;
  history.stop_reason = st.stop_reason;
  history.global_step = st.global_step;
  history.loss_scale = st.loss_scale;
  history.skipped_steps = st.skipped_steps;
  for (const CallbackPtr& cb : options.callbacks) cb->on_train_end(st);
}

}  // namespace strata::train::detail
