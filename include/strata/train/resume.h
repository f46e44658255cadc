#pragma once
// Exact resume: a checkpoint that holds everything a training loop needs to continue a run as if it had never
// stopped, and the loop support to continue from it (fit() and fit_task() read FitOptions::resume).
//
// A checkpoint (io::Checkpoint, one safetensors file) then holds: the model's weights, every optimizer's state,
// the position (epoch, batch within the epoch, optimizer steps), the train loader's shuffling-generator state at
// the start of that epoch, the default generator's state (dropout, noise), the loop's running totals for a
// mid-epoch stop, the task's counters, the epoch logs so far, and the state of every StatefulCallback
// (schedulers, early stopping with its best weights, the GradScaler). Resuming from it with the same model,
// data, options and thread count gives bit-identical weights to the run that never stopped: at an epoch
// boundary (capture from on_epoch_end) or mid-epoch (capture from on_batch_end after an optimizer step).
//
//   // saving, from a callback (on_epoch_end, or on_batch_end when state.optimizer_stepped):
//   io::Checkpoint c;
//   train::capture_training_state(state, callbacks, &epoch_logs, {{"", &optimizer}}, c);
//   io::save_checkpoint(path, c);
//
//   // resuming: build the model, optimizer, loaders and callbacks as before, then
//   io::Checkpoint c = io::load_checkpoint(path);
//   options.resume = train::read_resume_state(c, model, {{"", &optimizer}});   // loads the weights too
//   train::fit(model, loss, optimizer, loader, options);
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strata/io/checkpoint.h"
#include "strata/io/json.h"
#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"
#include "strata/train/fit.h"

namespace strata::train {

// A callback whose state a checkpoint carries: LRSchedulerCallback, EarlyStopping, ModelCheckpoint and
// GradScaler implement it. load_state runs after on_train_begin, so on_train_begin may reset freely.
class StatefulCallback {
 public:
  virtual ~StatefulCallback() = default;
  // The name its state is saved under ("early_stopping"); a second callback with the same key gets "#2", ...
  virtual std::string state_key() const = 0;
  // Numbers and strings into `json` (an object), tensors into `tensors` (e.g. EarlyStopping's best weights).
  virtual void save_state(io::Json& json, nn::StateDict& tensors) const = 0;
  // An error naming the callback and the key when `json` lacks what it needs.
  virtual void load_state(const io::Json& json, const nn::StateDict& tensors) = 0;
};

// The optimizers of a run by name: "" for the main one (its state at the top of the checkpoint's optimizer
// entry), others under their name (a GAN's "discriminator").
using NamedOptimizers = std::vector<std::pair<std::string, optim::Optimizer*>>;

// Where and how a loop resumes (FitOptions::resume).
struct ResumeState {
  int64_t epoch = 0;          // the epoch to continue, 0-based
  int64_t batch = 0;          // batches of that epoch already done (0: it starts afresh)
  int64_t global_step = 0;    // optimizer steps taken
  int64_t skipped_steps = 0;  // of which skipped (GradScaler)
  std::string loader_state;   // the train loader generator's state before that epoch's begin()
  std::string default_rng_state;
  io::Json loop = io::Json::object();       // TrainState::loop_state() at the stop
  io::Json callbacks = io::Json::object();  // StatefulCallback states by key
  nn::StateDict callback_tensors;           // "<key>.<name>"
  std::vector<std::pair<optim::Optimizer*, optim::OptimizerState>> optimizers;
  std::vector<Logs> history;          // the logs of the epochs before `epoch`
  int64_t history_initial_epoch = 0;  // the epoch of history[0]
};

// Fills `ckpt` from the loop's state, the callbacks and the optimizers (the model's weights included).
// epoch_logs: called from on_epoch_end with that epoch's logs, the checkpoint resumes at the next epoch's start;
// nullptr: called from on_batch_end after an optimizer step (state.optimizer_stepped), it resumes at the next
// batch. An error when called mid-epoch between optimizer steps (an accumulation group would be cut in two).
// `callbacks` should include the loop's GradScaler when it is not among FitOptions::callbacks.
void capture_training_state(const TrainState& state, const std::vector<CallbackPtr>& callbacks, const Logs* epoch_logs,
                            const NamedOptimizers& optimizers, io::Checkpoint& ckpt);

// Whether `ckpt` holds a loop position (written by capture_training_state, not only weights and optimizers).
bool can_resume(const io::Checkpoint& ckpt);

// Loads the checkpoint's model weights into `model` (strictly) and returns the state for FitOptions::resume. The
// optimizers' states are checked against `optimizers` now and loaded by the loop after on_train_begin (so that
// GradualUnfreezing has added the parameter groups it adds). Errors name `source` (the file) and what differs.
std::shared_ptr<ResumeState> read_resume_state(const io::Checkpoint& ckpt, nn::Module& model,
                                               const NamedOptimizers& optimizers,
                                               const std::string& source = "checkpoint");

// The optimizer state saved under `name` in `ckpt` (see NamedOptimizers).
optim::OptimizerState checkpoint_optimizer_state(const io::Checkpoint& ckpt, const std::string& name);

namespace detail {
// Called by the loops after on_train_begin: loads the optimizers, the generators and the callbacks' states and
// puts the position into `state`. The loop itself starts at rs.epoch / rs.batch and restores its totals.
void apply_resume_state(TrainState& state, const ResumeState& rs, const std::vector<CallbackPtr>& callbacks);
// A double as JSON, exactly (shortest round trip), with nan / inf / -inf as strings; and back.
io::Json exact_number(double v);
double read_exact_number(const io::Json& j);
}  // namespace detail

}  // namespace strata::train
