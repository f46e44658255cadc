#pragma once
// The training loop (Keras's model.fit / evaluate / predict over Strata's modules, losses, optimizers and
// loaders) and the Callback interface that progress bars, early stopping, checkpoints and loggers plug into.
//
//   train::FitOptions opt;
//   opt.epochs = 10;
//   opt.callbacks = {std::make_shared<train::ProgressBar>(), std::make_shared<train::EarlyStopping>()};
//   train::History h = train::fit(model, nn::CrossEntropyLoss(), optimizer, train_loader, opt, &val_loader);
//   h.epochs.back().at("val_accuracy");
//
// Epoch logs hold "loss" (the mean training loss over the epoch, weighted by batch size), the training
// metrics ("accuracy", "top5", ...), "lr" (group 0's rate during the epoch's last step) and, with a
// validation loader, "val_loss" and "val_<metric>" from evaluate(). The model is in train() mode while
// training and eval() mode while evaluating.
//
// Gradient accumulation (accumulation_steps = N): the optimizer zeroes the gradients, N micro-batches each
// back-propagate loss / N, the gradients are clipped (if asked) and the optimizer steps once. With a mean
// loss and equal micro-batches this is the step one N-times-larger batch would take. A trailing partial
// group at the end of an epoch (r < N micro-batches left) still steps, each of its micro-batches scaled by
// 1 / r, so the last examples of the epoch are not lost and that step is the mean over the r batches.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/tensor.h"
#include "strata/data/dataloader.h"
#include "strata/io/json.h"
#include "strata/nn/losses.h"
#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"
#include "strata/train/grad_sync.h"
#include "strata/train/metrics.h"  // Logs
#include "strata/train/precision.h"

namespace strata::train {

struct History;
struct ResumeState;
class GradScaler;

// What the loop is doing, passed to every callback. Callbacks may set stop_training (the loop stops after
// the current batch: the epoch is closed as usual, with validation and on_epoch_end) and stop_reason.
struct TrainState {
  int64_t epoch = 0;               // current epoch, 0-based (printed 1-based)
  int64_t epochs = 0;              // total epochs asked for
  int64_t batch = 0;               // index of the current batch in the epoch, 0-based
  int64_t batches_per_epoch = 0;   // train_loader->size()
  int64_t global_step = 0;         // optimizer steps taken since the start of training (incl. initial_global_step)
  int64_t batches_seen = 0;        // micro-batches processed since the start of this fit()
  int64_t samples_seen = 0;        // examples processed since the start of this fit()
  bool optimizer_stepped = false;  // on_batch_end: this batch completed an accumulation group and stepped
  bool stop_training = false;
  std::string stop_reason;  // set by whoever stopped training (EarlyStopping, TerminateOnNaN)
  // Set in on_batch_end to stop at once, without closing the epoch (no validation, no on_epoch_end): an
  // interrupted run (SIGINT / SIGTERM) whose mid-epoch checkpoint resumes it exactly. Set in on_epoch_end, the run
  // stops after that epoch and is marked interrupted as well. on_train_end still runs.
  bool interrupt = false;

  // Exact resume (resume.h). The train loader's generator state before this epoch's begin() (it decides the
  // epoch's order), and the loop's own state: the epoch's running totals and the task's counters.
  std::string loader_state;
  std::function<io::Json()> loop_state;

  // The step in progress (train::Stepper, step.h). A callback may set skip_step in on_after_backward or
  // on_before_step to leave this step's update out (GradScaler on inf gradients); loss_scale multiplies the
  // loss before backward (loss scaling; gradients are then scaled by it until a callback unscales them).
  double loss_value = 0;            // the last micro-batch's loss
  std::optional<double> grad_norm;  // total norm before clipping, when clip_grad_norm is set
  double loss_scale = 1.0;
  // The factor the gradients carry now: the loss_scale of the group's backward when step() begins, 1 once a
  // callback (GradScaler) unscaled them. Monitors divide gradient measurements by it.
  double grad_scale = 1.0;
  bool skip_step = false;
  int64_t skipped_steps = 0;  // optimizer steps a callback left out (skip_step), since the start of training

  nn::Module* model = nullptr;
  const nn::Loss* loss = nullptr;
  optim::Optimizer* optimizer = nullptr;
  data::DataLoader* train_loader = nullptr;
  data::DataLoader* val_loader = nullptr;  // nullptr without validation
  const History* history = nullptr;        // the epochs finished so far
};

// Hooks called by fit(). The defaults do nothing.
//   batch_logs: "loss" (running mean over the epoch so far), "batch_loss" (this batch), the running training
//   metrics, "size" (examples in this batch), "lr", and "grad_norm" (the total norm before clipping, at the
//   latest optimizer step) when clip_grad_norm is set.
//   epoch_logs: see fit(); callbacks may add entries (LRSchedulerCallback adds nothing; loggers read them).
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainState& state);
  virtual void on_epoch_begin(TrainState& state);
  virtual void on_batch_begin(TrainState& state);
  virtual void on_batch_end(TrainState& state, const Logs& batch_logs);
  // Inside train::Stepper::step(): after the group's backward (gradients complete, before clipping), and
  // just before the optimizer update (after clipping).
  virtual void on_after_backward(TrainState& state);
  virtual void on_before_step(TrainState& state);
  virtual void on_epoch_end(TrainState& state, Logs& epoch_logs);
  virtual void on_train_end(TrainState& state);
};

using CallbackPtr = std::shared_ptr<Callback>;

struct FitOptions {
  int64_t epochs = 1;
  int64_t initial_epoch = 0;                            // resume: epochs run from initial_epoch to epochs - 1
  int64_t initial_global_step = 0;                      // resume: the optimizer steps already taken
  int64_t accumulation_steps = 1;                       // micro-batches per optimizer step (>= 1)
  std::optional<double> clip_grad_norm = std::nullopt;  // max total 2-norm of the gradients (optim::clip_grad_norm_)
  std::optional<double> clip_grad_value =
      std::nullopt;  // clamp every gradient to [-v, v] (applied after the norm clip)
  // "accuracy" (alias "acc"), "topK" (e.g. "top5": top-k accuracy), "mae", "mse"; empty for none.
  std::vector<std::string> metrics = {"accuracy"};
  std::vector<CallbackPtr> callbacks = {};  // called in this order
  // Mixed precision (precision.h): BF16 / FP16 run every forward and loss (training, validation) under
  // AutocastGuard. FP16 scales the loss with `grad_scaler`, or with a GradScaler of PyTorch's defaults when that
  // is null and loss_scaling is true. loss_scaling = false trains FP16 unscaled (small gradients flush to zero).
  Precision precision = Precision::FP32;
  bool loss_scaling = true;
  std::shared_ptr<GradScaler> grad_scaler = nullptr;  // any precision; its counters stay readable after fit()
  // Data-parallel training (grad_sync.h; dist::DataParallel): gradients averaged over the processes at every
  // step, the epoch's training and validation metrics summed over them, stops agreed at every batch.
  GradientSyncPtr grad_sync = nullptr;
  // Exact resume from a checkpoint (resume.h: train::read_resume_state): overrides initial_epoch and
  // initial_global_step, may start inside an epoch, and restores the optimizers, the random generators and the
  // callbacks' state after on_train_begin.
  std::shared_ptr<const ResumeState> resume = nullptr;
};

struct History {
  std::vector<Logs> epochs;   // one entry per finished epoch
  int64_t initial_epoch = 0;  // epochs[i] is epoch initial_epoch + i (0-based)
  bool stopped_early = false;
  bool interrupted = false;  // a callback set TrainState::interrupt (training was cut short, to be resumed)
  std::string stop_reason;
  int64_t global_step = 0;    // optimizer steps at the end of training
  double loss_scale = 1.0;    // the loss scale at the end (1 without loss scaling)
  int64_t skipped_steps = 0;  // optimizer steps left out (GradScaler on inf/NaN gradients)

  // The values of `key` over the epochs (an error naming the key if an epoch lacks it).
  std::vector<double> values(const std::string& key) const;
};

// Trains `model` for options.epochs epochs. A shape or dtype mistake in the model, loss or metrics is a
// strata::Error from the op that found it; an empty train loader or bad options is an error naming fit.
History fit(nn::Module& model, const nn::Loss& loss, optim::Optimizer& optimizer, data::DataLoader& train_loader,
            const FitOptions& options = {}, data::DataLoader* val_loader = nullptr);

// The mean loss (weighted by batch size) and metrics over `loader`, in eval mode under NoGradGuard. The
// model's training mode is restored afterwards. Keys: "loss" and the metric names.
// With precision BF16 / FP16 the forward and loss run under AutocastGuard.
Logs evaluate(nn::Module& model, const nn::Loss& loss, data::DataLoader& loader,
              const std::vector<std::string>& metrics = {"accuracy"}, Precision precision = Precision::FP32);

// The model's outputs over `loader`, concatenated along dim 0 (N, ...), in eval mode under NoGradGuard
// (targets are ignored and may be undefined). The training mode is restored afterwards.
Tensor predict(nn::Module& model, data::DataLoader& loader, Precision precision = Precision::FP32);

}  // namespace strata::train
