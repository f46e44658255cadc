#pragma once
// Pieces shared by the training loops fit() (fit.cpp) and fit_task() (fit_task.cpp).
#include <string>

#include "strata/core/error.h"
#include "strata/data/dataloader.h"
#include "strata/nn/module.h"
#include "strata/train/fit.h"
#include "strata/train/grad_scaler.h"
#include "strata/train/metrics.h"
#include "strata/train/resume.h"
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

// Where the model lives: its first parameter's (or buffer's) device; the CPU for a model with neither.
inline Device model_device(const nn::Module& model) {
  for (const Tensor& p : model.parameters()) return p.device();
  for (const Tensor& b : model.buffers()) return b.device();
  return kCPU;
}

// The batch on device d: the loops move every batch to the model's device (a no-op on the CPU).
inline data::Batch batch_on(const data::Batch& b, Device d) {
  if (d.is_cpu()) return b;
  return {b.input.defined() ? b.input.to(d) : b.input, b.target.defined() ? b.target.to(d) : b.target};
}

// The epoch a loop starts at: the resume point's, else options.initial_epoch.
inline int64_t first_epoch(const FitOptions& options) {
  return options.resume ? options.resume->epoch : options.initial_epoch;
}

// A loop's history: empty from options.initial_epoch, or a resumed run's earlier epochs.
inline History start_history(const FitOptions& options) {
  History h;
  h.initial_epoch = options.initial_epoch;
  if (options.resume) {
    h.epochs = options.resume->history;
    h.initial_epoch = options.resume->history_initial_epoch;
  }
  return h;
}

// The first batch of `epoch` a loop runs: the resume point's batch in the resumed epoch, else 0.
inline int64_t resume_batch(const FitOptions& options, int64_t epoch) {
  return options.resume && options.resume->epoch == epoch ? options.resume->batch : 0;
}

// A loop's running totals and the epoch's logged learning rate as JSON (TrainState::loop_state), and back.
inline io::Json totals_json(const std::vector<double>& totals, double lr) {
  io::Json t = io::Json::array();
  for (double v : totals) t.push_back(exact_number(v));
  return io::Json::object({{"totals", t}, {"lr", exact_number(lr)}});
}
inline std::vector<double> read_totals(const io::Json& loop, double& lr) {
  std::vector<double> out;
  for (const io::Json& v : loop.at("totals").elements()) out.push_back(read_exact_number(v));
  lr = read_exact_number(loop.at("lr"));
  return out;
}

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
  if (options.grad_sync) {
    // Every process steps together: their loaders must have as many batches (equal iff n * sum(b^2) == sum(b)^2).
    const auto b = static_cast<double>(batches);
    std::vector<double> s{b, b * b, 1.0};
    options.grad_sync->sum(s);
    STRATA_CHECK(s[2] * s[1] == s[0] * s[0], who, " the processes' training loaders differ in length (this one has ",
                 batches, " batches, the mean is ", s[0] / s[2], "): shard them with even_shards");
  }
  if (options.resume) {
    const ResumeState& rs = *options.resume;
    STRATA_CHECK(rs.epoch >= 0 && rs.epoch <= options.epochs && rs.batch >= 0 && rs.batch <= train_loader.size(), who,
                 " cannot resume at epoch ", rs.epoch + 1, ", batch ", rs.batch, ": the run has ", options.epochs,
                 " epochs of ", train_loader.size(), " batches");
    STRATA_CHECK(rs.history_initial_epoch + static_cast<int64_t>(rs.history.size()) == rs.epoch, who,
                 " the resume state's history (", rs.history.size(), " epochs from epoch ",
                 rs.history_initial_epoch + 1, ") does not end before its epoch ", rs.epoch + 1);
  }
  TrainState st;
  st.epoch = first_epoch(options);
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
                .loss_scaling = options.loss_scaling,
                .grad_sync = options.grad_sync};
  bool scaler_in_callbacks = false;
  for (const CallbackPtr& cb : options.callbacks)
    scaler_in_callbacks = scaler_in_callbacks || dynamic_cast<const GradScaler*>(cb.get()) != nullptr;
  if (s.precision == Precision::FP16 && s.loss_scaling && s.grad_scaler == nullptr && !scaler_in_callbacks)
    s.grad_scaler = std::make_shared<GradScaler>();
  return s;
}

// Data-parallel loops: the metric totals of every process (each saw its share of the examples).
inline void sum_totals(MetricAccumulator& acc, GradientSync& sync) {
  std::vector<double> t = acc.totals();
  sync.sum(t);
  acc.set_totals(t);
}

// Data-parallel loops: a stop or interrupt on any process stops every process after the same batch.
inline void agree_on_stop(TrainState& st, GradientSync& sync) {
  std::vector<double> flags{st.interrupt ? 1.0 : 0.0, st.stop_training ? 1.0 : 0.0};
  sync.sum(flags);
  if (flags[0] > 0) st.interrupt = true;
  if (flags[1] > 0 && !st.stop_training) {
    st.stop_training = true;
    if (st.stop_reason.empty()) st.stop_reason = "another process stopped training";
  }
}

// The callbacks whose state a checkpoint carries: the options' callbacks and the loop's GradScaler.
inline std::vector<CallbackPtr> state_callbacks(const FitOptions& options, const StepOptions& steps) {
  std::vector<CallbackPtr> out = options.callbacks;
  if (steps.grad_scaler) out.push_back(steps.grad_scaler);
  return out;
}

// After on_train_begin: a resumed loop restores its optimizers, generators and callbacks (resume.h) and the loss
// scale of a GradScaler among the callbacks.
inline void begin_resume(TrainState& st, const FitOptions& options, const StepOptions& steps) {
  if (!options.resume) return;
  const std::vector<CallbackPtr> cbs = state_callbacks(options, steps);
  apply_resume_state(st, *options.resume, cbs);
  for (const CallbackPtr& cb : cbs) {
    if (auto* gs = dynamic_cast<const GradScaler*>(cb.get())) st.loss_scale = gs->scale();
  }
}

// The end of a loop: the model back in training mode, the stop recorded in the history, on_train_end.
inline void end_state(TrainState& st, const FitOptions& options, History& history) {
  st.model->train();
  history.stopped_early = st.stop_training && !st.interrupt;
  history.interrupted = st.interrupt;
  history.stop_reason = st.stop_reason;
  history.global_step = st.global_step;
  history.loss_scale = st.loss_scale;
  history.skipped_steps = st.skipped_steps;
  for (const CallbackPtr& cb : options.callbacks) cb->on_train_end(st);
}

}  // namespace strata::train::detail
