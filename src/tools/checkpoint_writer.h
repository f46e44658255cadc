#pragma once
// The checkpoints of a `strata train` run (exact resume, train/resume.h): checkpoint.safetensors after every epoch
// and, with "checkpoint_every_steps", after every N-th optimizer step; on SIGINT / SIGTERM one more after the step
// in progress, then training stops. With "keep_checkpoints": K the previous K - 1 are kept, renamed
// checkpoint-e<epoch>-b<batch>.safetensors (the position they resume at; epoch 1-based, batch 0-based).
#include <cstdint>
#include <string>
#include <vector>

#include "strata/io/checkpoint.h"
#include "strata/train/fit.h"
#include "strata/train/resume.h"

namespace strata::tools::detail {

class CheckpointWriter : public train::Callback {
 public:
  struct Options {
    std::string dir;          // the run folder
    std::string run_name;     // user["run"]
    std::string config_text;  // user["config"]: resuming checks the config against it
    int64_t every_steps = 0;  // 0: epoch ends only
    int64_t keep = 1;
    train::NamedOptimizers optimizers;                   // "" first; a GAN's "discriminator"
    const std::vector<double>* epoch_seconds = nullptr;  // saved as training.epoch_seconds
  };
  explicit CheckpointWriter(Options options) : o_(std::move(options)) {}
  // The callbacks whose state is saved (the run's callbacks and its GradScaler); set before training. Only the
  // StatefulCallbacks are kept: the list holds the writer itself, and keeping that would be a reference cycle.
  void set_state_callbacks(const std::vector<train::CallbackPtr>& callbacks) {
    callbacks_.clear();
    for (const train::CallbackPtr& cb : callbacks) {
      if (dynamic_cast<const train::StatefulCallback*>(cb.get()) != nullptr) callbacks_.push_back(cb);
    }
  }
  // A resumed run: checkpoint.safetensors holds `ckpt` (kept under its position name once a newer one is written).
  void resumed_from(const io::Checkpoint& ckpt) { previous_ = position_name(ckpt); }
  // "e0003-b000120": the epoch (1-based) and batch (0-based) a checkpoint resumes at.
  static std::string position_name(const io::Checkpoint& ckpt);

  void on_batch_end(train::TrainState& s, const train::Logs& logs) override;
  void on_epoch_end(train::TrainState& s, train::Logs& logs) override;

  std::string path() const { return o_.dir + "/checkpoint.safetensors"; }
  int interrupted() const { return interrupted_; }  // the signal that stopped training, 0 if none
  bool wrote() const { return wrote_; }             // a checkpoint was written by this run

 private:
  // Writes the checkpoint unless the weights are not all finite (resuming from nan weights is useless); returns
  // whether it wrote.
  bool save(const train::TrainState& s, const train::Logs* epoch_logs);
  void rotate(const std::string& name_of_previous);
  void stop(train::TrainState& s, int sig);  // training stops at once (TrainState::interrupt)

  Options o_;
  std::vector<train::CallbackPtr> callbacks_;
  std::string previous_;  // the resume position of the checkpoint.safetensors this run wrote last ("" none)
  int interrupted_ = 0;
  bool wrote_ = false;
};

}  // namespace strata::tools::detail
