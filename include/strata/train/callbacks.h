#pragma once
// Callbacks for train::fit: progress bar, early stopping, checkpoints, CSV / JSON-lines logs, learning-rate
// scheduling and stopping on a non-finite loss. Each is a train::Callback; pass them in FitOptions::callbacks
// (as std::shared_ptr). Monitored keys are epoch-log keys ("val_loss", "val_accuracy", "loss", ...); a key
// missing from the logs is an error naming it and the keys present.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/nn/module.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/train/fit.h"
#include "strata/train/resume.h"

namespace strata::train {

// "min", "max" or "auto" (max for keys naming an accuracy, F1, precision, recall or AUC; else min).
// Returns true for max; anything else is an error naming `who`.
bool monitor_mode_is_max(const std::string& mode, const std::string& monitor, const std::string& who);

struct ProgressBarOptions {
  // Redraw one line in place ('\r') when true; plain lines when false. nullopt: a TTY if the stream is
  // std::cout / std::cerr on a terminal and the environment variable CI is not set.
  std::optional<bool> tty = std::nullopt;
  // Non-TTY mode: a line every this many batches (0: about 10 lines per epoch), plus the epoch's last batch.
  int64_t print_every = 0;
  int bar_width = 30;
};

// Per batch: "Epoch 2/10  37/469 [=====>....]  loss 0.4123  accuracy 0.8571  1234.5 samples/s  ETA 12s";
// per epoch a summary line with the epoch logs (val_* included) and the epoch's time.
class ProgressBar : public Callback {
 public:
  explicit ProgressBar(std::ostream& os = std::cout, ProgressBarOptions options = {});
  void on_train_begin(TrainState& state) override;
  void on_epoch_begin(TrainState& state) override;
  void on_batch_end(TrainState& state, const Logs& batch_logs) override;
  void on_epoch_end(TrainState& state, Logs& epoch_logs) override;
  bool tty() const { return tty_; }

 private:
  std::ostream& os_;
  ProgressBarOptions options_;
  bool tty_ = false;
  int64_t epoch_samples_ = 0;
  size_t last_width_ = 0;
  std::chrono::steady_clock::time_point epoch_start_, last_draw_;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  std::string mode = "auto";                      // "min", "max", "auto"
  int64_t patience = 0;                           // epochs without improvement before stopping
  double min_delta = 0.0;                         // an improvement must beat the best by more than this
  std::optional<double> baseline = std::nullopt;  // the value to beat before any epoch counts as an improvement
  bool restore_best_weights = false;
  int64_t start_from_epoch = 0;  // epochs (0-based) before this one are not monitored
};

// Stops training when the monitored value has not improved for `patience` epochs. With
// restore_best_weights the model's weights and buffers (its state_dict) are copied at each best epoch and
// loaded back at the end of training (whether or not it stopped early, as Keras 3 does).
class EarlyStopping : public Callback, public StatefulCallback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(TrainState& state) override;
  void on_epoch_end(TrainState& state, Logs& epoch_logs) override;
  void on_train_end(TrainState& state) override;
  // "early_stopping": best, best_epoch, wait, stopped_epoch and the best weights (resume.h).
  std::string state_key() const override { return "early_stopping"; }
  void save_state(io::Json& json, nn::StateDict& tensors) const override;
  void load_state(const io::Json& json, const nn::StateDict& tensors) override;
  // 0-based epoch at which training was stopped (-1 if it was not); the best epoch and value so far.
  int64_t stopped_epoch() const { return stopped_epoch_; }
  int64_t best_epoch() const { return best_epoch_; }
  double best() const { return best_; }
  int64_t wait() const { return wait_; }

 private:
  EarlyStoppingOptions o_;
  bool max_ = false;
  double best_ = 0;
  int64_t best_epoch_ = -1;
  int64_t wait_ = 0;
  int64_t stopped_epoch_ = -1;
  std::vector<std::pair<std::string, Tensor>> best_state_;  // copies of the model's state_dict
  bool reclone_ = false;  // best_state_ was loaded: its order may differ from state_dict()'s, so clone afresh
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  std::string mode = "auto";
  bool save_best = true;  // best.safetensors whenever the monitored value improves
  bool save_last = true;  // last.safetensors after every epoch
};

// Saves the model's state_dict as safetensors (PyTorch key names), atomically (io::save_safetensors), with
// metadata "epoch" (1-based), "global_step" and, for the best file, "monitor" and "value".
// `path`: a directory (created if missing) -> <dir>/best.safetensors and <dir>/last.safetensors; or a file
// "name.safetensors" -> best at that path and last at "name.last.safetensors".
class ModelCheckpoint : public Callback, public StatefulCallback {
 public:
  explicit ModelCheckpoint(std::string path, ModelCheckpointOptions options = {});
  void on_train_begin(TrainState& state) override;
  void on_epoch_end(TrainState& state, Logs& epoch_logs) override;
  const std::string& best_path() const { return best_path_; }
  const std::string& last_path() const { return last_path_; }
  int64_t best_epoch() const { return best_epoch_; }  // 0-based, -1 before any save
  double best() const { return best_; }
  // "model_checkpoint": best and best_epoch.
  std::string state_key() const override { return "model_checkpoint"; }
  void save_state(io::Json& json, nn::StateDict& tensors) const override;
  void load_state(const io::Json& json, const nn::StateDict& tensors) override;

 private:
  std::string path_, best_path_, last_path_;
  ModelCheckpointOptions o_;
  bool max_ = false;
  double best_ = 0;
  int64_t best_epoch_ = -1;
};

// One row per epoch: "epoch" (1-based) then the epoch-log keys in sorted order (fixed by the first row;
// keys missing later are left empty). A header is written when the file is new or empty; append=false
// truncates the file at the start of training. Each row is written with a single append and flushed.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string path, bool append = false, char separator = ',');
  void on_train_begin(TrainState& state) override;
  void on_epoch_end(TrainState& state, Logs& epoch_logs) override;

 private:
  std::string path_;
  bool append_;
  char sep_;
  std::vector<std::string> keys_;
};

// One JSON object per epoch and line: {"epoch": 1, "loss": 0.52, ...}; non-finite values are written as
// null. Each line is written with a single append and flushed.
class JSONLinesLogger : public Callback {
 public:
  explicit JSONLinesLogger(std::string path, bool append = false);
  void on_train_begin(TrainState& state) override;
  void on_epoch_end(TrainState& state, Logs& epoch_logs) override;

 private:
  std::string path_;
  bool append_;
};

// Steps a learning-rate scheduler from the loop: an optim::LRScheduler once per epoch (after the epoch) or
// once per optimizer step, or a ReduceLROnPlateau on a monitored epoch-log value. The scheduler must be
// built on the optimizer passed to fit.
class LRSchedulerCallback : public Callback, public StatefulCallback {
 public:
  enum class Interval { Epoch, Step };
  explicit LRSchedulerCallback(std::shared_ptr<optim::LRScheduler> scheduler, Interval interval = Interval::Epoch);
  LRSchedulerCallback(std::shared_ptr<optim::ReduceLROnPlateau> plateau, std::string monitor = "val_loss");
  void on_batch_end(TrainState& state, const Logs& batch_logs) override;
  void on_epoch_end(TrainState& state, Logs& epoch_logs) override;
  // "lr_scheduler": the scheduler's state_dict (name, counters, lists).
  std::string state_key() const override { return "lr_scheduler"; }
  void save_state(io::Json& json, nn::StateDict& tensors) const override;
  void load_state(const io::Json& json, const nn::StateDict& tensors) override;

 private:
  std::shared_ptr<optim::LRScheduler> scheduler_;
  std::shared_ptr<optim::ReduceLROnPlateau> plateau_;
  Interval interval_ = Interval::Epoch;
  std::string monitor_;
};

// Stops training at the first batch whose loss is nan or inf. The message (message(), state.stop_reason,
// and a line on `os` when given) names the epoch, the batch, the global step and the loss value:
//   "TerminateOnNaN: loss is nan at epoch 2, batch 17/469 (global step 486); stopping"
class TerminateOnNaN : public Callback {
 public:
  explicit TerminateOnNaN(std::ostream* os = &std::cerr) : os_(os) {}
  void on_batch_end(TrainState& state, const Logs& batch_logs) override;
  bool triggered() const { return triggered_; }
  const std::string& message() const { return message_; }
  int64_t global_step() const { return global_step_; }  // global step of the offending batch

 private:
  std::ostream* os_;
  bool triggered_ = false;
  std::string message_;
  int64_t global_step_ = -1;
};

}  // namespace strata::train
