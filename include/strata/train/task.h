#pragma once
// Training tasks beyond one input and one label. A Task says what one batch of training does (its forward
// passes, losses and optimizer steps, all through train::Stepper) and what evaluation measures; fit_task runs
// epochs of them with the same callbacks, logs and early stopping as fit() (fit.h), which stays the supervised
// loop. Tasks: AutoencoderTask (the target is the input), VAETask (reconstruction + beta * KL) and GANTask
// (generator and discriminator, two optimizers) in tasks.h.
//
//   train::AutoencoderTask task(autoencoder, optimizer, {.loss = "mse"});
//   train::History h = train::fit_task(task, loader, options, &val_loader);
//   h.epochs.back().at("val_loss");
//
// Epoch logs hold the mean of every value the task logs per batch ("loss" first, then its terms such as
// "recon" and "kl", or "d_loss" and "g_loss"), weighted by batch size, "lr" (the main optimizer's group 0) and,
// with a validation loader, "val_<key>" for every key evaluate() returns. Batch logs hold the running means,
// "batch_loss", "size" and "lr", as fit()'s do. options.metrics is not used (tasks log their own values).
#include <memory>
#include <string>
#include <vector>

#include "strata/data/dataloader.h"
#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"
#include "strata/train/fit.h"
#include "strata/train/step.h"

namespace strata::train {

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;  // "autoencoder", "vae", "gan"
  // The module holding every trained parameter (checkpoints, train/eval mode, monitors and hooks).
  virtual nn::Module& module() = 0;
  // The optimizer whose learning rate is logged and scheduled (the generator's for a GAN).
  virtual optim::Optimizer& optimizer() = 0;
  // The keys train_batch writes, "loss" first.
  virtual std::vector<std::string> log_keys() const = 0;
  // Called once by fit_task before the first batch: the task creates its Steppers over `state` (whose model
  // and optimizer fit_task has set) with `options` (clipping and the callbacks' step hooks).
  virtual void begin(TrainState& state, const StepOptions& options, int64_t accumulation_steps) = 0;
  // One training batch: forward, backward and as many optimizer steps as the task takes (possibly none, while
  // accumulating). Writes this batch's values for log_keys() into `values`; returns whether an optimizer stepped.
  virtual bool train_batch(const data::Batch& batch, int64_t batch_index, int64_t batches, Logs& values) = 0;
  // The same values for one batch in eval mode without gradients (fit_task sets the mode and NoGradGuard).
  virtual void eval_batch(const data::Batch& batch, Logs& values) = 0;
  // Counters that carry from batch to batch (a GAN's discriminator steps since the last generator step), for
  // exact resume (resume.h). Between optimizer steps; the defaults keep nothing.
  virtual io::Json state_dict() const { return io::Json::object(); }
  virtual void load_state_dict(const io::Json& /*state*/) {}
};

// Trains `task` for options.epochs epochs over `train_loader` (callbacks, accumulation and clipping as fit()).
History fit_task(Task& task, data::DataLoader& train_loader, const FitOptions& options = {},
                 data::DataLoader* val_loader = nullptr);

// The batch-size-weighted means of eval_batch's values over `loader` (eval mode, no gradients; the training
// mode is restored afterwards), under AutocastGuard for BF16 / FP16.
Logs evaluate_task(Task& task, data::DataLoader& loader, Precision precision = Precision::FP32);

}  // namespace strata::train
