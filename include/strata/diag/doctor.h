#pragma once
// The training doctor: rules that turn a TrainingRecord (monitor.h) into findings, each with a stable id,
// the layers involved, the measured evidence, the cause and the remedy, and the step where it appeared.
// docs/doctor.md gives every rule with its thresholds and why.
//
//   auto doctor = std::make_shared<diag::Doctor>(diag::DoctorOptions{}, diag::context_for(loss, optimizer));
//   options.callbacks.push_back(doctor);          // prints new findings at the end of every epoch
//   train::fit(model, loss, optimizer, loader, options, &val_loader);
//   doctor->findings();                           // also written to DoctorOptions::output_path
//
// Ids: vanishing_gradients, exploding_gradients, dead_relu, saturated_activations, symmetric_init,
// non_finite, lr_too_high, lr_too_low, overfitting, loss_task_mismatch, mode_collapse, fp16_overflow,
// skipped_steps.
#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "strata/diag/monitor.h"
#include "strata/io/json.h"
#include "strata/nn/losses.h"
#include "strata/optim/optimizer.h"

namespace strata::diag {

struct Finding {
  std::string id;
  std::string severity;             // "error" (training is broken), "warning" (it works, badly)
  std::vector<std::string> layers;  // dotted layer names; empty when the finding is about the whole run
  std::string evidence;             // the measured numbers, in words
  std::string cause;
  std::string remedy;
  int64_t step = -1;  // optimizer step at which the evidence appeared (-1: the run as a whole)
  io::Json numbers;   // the same numbers, machine-readable
};

// What the rules know about the run besides the measurements.
struct DoctorContext {
  // "classification", "regression", "autoencoder", "vae", "gan" or "" (unknown). For "gan" the loss-curve rules
  // (lr_too_high, lr_too_low, overfitting) are off: adversarial losses do not fall as a fitted loss does.
  std::string task;
  std::string loss;       // "cross_entropy", "nll", "mse", "l1", "bce", "bce_with_logits", "focal", "" (unknown)
  std::string optimizer;  // "sgd", "adam", "adamw", "rmsprop", ""
  double lr = std::numeric_limits<double>::quiet_NaN();
  bool clipping = false;  // gradient clipping is on
  // Early stopping restores the weights of the best validation epoch: overfitting is then already remedied.
  bool restores_best_weights = false;
};

// The context a loss object and an optimizer imply (task left unknown unless the loss takes class labels).
DoctorContext context_for(const nn::Loss& loss, const optim::Optimizer& optimizer);

// The thresholds of the rules (docs/doctor.md explains each).
struct DoctorThresholds {
  double vanishing_ratio = 1e-3;     // first/last layer relative gradient below this
  int64_t vanishing_min_layers = 4;  // parametric layers needed for a depth-wise comparison
  double exploding_norm = 1e3;       // total gradient norm above this (before clipping)
  double exploding_growth = 1e2;     // or grown this many times over its first measurement
  double dead_fraction = 0.6;        // ReLU units silent over the whole window
  int64_t dead_min_units = 8;
  double saturated_fraction = 0.5;       // sigmoid/tanh outputs within 0.01 of their limits
  double symmetric_fraction = 0.5;       // rows identical to another row
  double diverge_factor = 1.5;           // a window's mean loss above the initial loss by this factor
  double update_ratio_high = 1.0;        // one step moved a layer's weights by more than their own norm
  double plateau_decrease = 0.02;        // relative loss decrease over the run below this ...
  double update_ratio_low = 1e-5;        // ... with every layer's median update ratio below this
  double overfit_val_rise = 0.1;         // val loss above its minimum by this fraction ...
  int64_t overfit_min_epochs = 3;        // ... after at least this many epochs, with training loss still falling
  double prob_rows = 0.99;               // fraction of output rows that are probability vectors
  double mode_coverage = 0.5;            // mode_collapse: at most this fraction of the modes (or classes) covered ...
  double diversity_ratio = 0.35;         // ... or samples less diverse than this fraction of the real data's
  double min_loss_scale = 1.0;           // fp16_overflow: the loss scale fell below this ...
  int64_t max_consecutive_skipped = 20;  // ... or this many optimizer steps in a row were skipped
  double skipped_fraction = 0.05;        // skipped_steps: steps skipped after the first calibration, above this share
};

// The shape of the training loss over the run, from the means of its tenths: "diverging" (a tenth above 1.5x
// the loss at initialization), "oscillating" (the tenths go up and down at least 60% of the time by more than
// 20%), "plateau" (first to last tenth within 2%), else "decreasing" / "increasing"; "" for runs too short.
struct LossTrend {
  std::string kind;
  double change = 0;  // relative change from the first tenth to the last
};
LossTrend loss_trend(const TrainingRecord& record);

std::vector<Finding> diagnose(const TrainingRecord& record, const DoctorContext& context,
                              const DoctorThresholds& thresholds = {});

// A list of objects {id, severity, layers, evidence, cause, remedy, step, numbers}.
io::Json to_json(const std::vector<Finding>& findings);
// Printable findings ("[error] non_finite at step 37 (layers 2): ...\n  cause: ...\n  remedy: ...").
std::string format_findings(const std::vector<Finding>& findings);
// Loss scaling in one line ("loss scaling: scale 32768 (2^15) at the end, from 65536; 3 of 400 steps skipped
// for inf/NaN gradients, at most 2 in a row"); "" for runs without loss scaling.
std::string loss_scaling_summary(const TrainingRecord& record);

// "no problems found" with the numbers that support it (loss decrease, gradient ratios, dead and saturated
// fractions, update ratios, validation gap).
std::string healthy_summary(const TrainingRecord& record);

struct DoctorOptions {
  MonitorOptions monitor;
  DoctorThresholds thresholds;
  std::ostream* out = &std::cout;  // new findings at each epoch end; nullptr: silent
  std::string output_path;         // diagnosis.json, written atomically at the end of training ("": none)
  // Measures generated samples at every epoch end (generative tasks); the record keeps the results.
  std::function<SampleCheck()> sample_probe;
};

// A Monitor plus the rules: prints findings not printed before at the end of every epoch, and writes them
// all at the end of training.
class Doctor : public train::Callback {
 public:
  explicit Doctor(DoctorOptions options = {}, DoctorContext context = {});
  void on_train_begin(train::TrainState& state) override;
  void on_batch_begin(train::TrainState& state) override;
  void on_after_backward(train::TrainState& state) override;
  void on_before_step(train::TrainState& state) override;
  void on_batch_end(train::TrainState& state, const train::Logs& batch_logs) override;
  void on_epoch_end(train::TrainState& state, train::Logs& epoch_logs) override;
  void on_train_end(train::TrainState& state) override;

  const Monitor& monitor() const { return monitor_; }
  const std::vector<Finding>& findings() const { return findings_; }
  const DoctorContext& context() const { return context_; }

 private:
  void report_new(const char* when);

  DoctorOptions options_;
  DoctorContext context_;
  Monitor monitor_;
  std::vector<Finding> findings_;
  std::vector<std::string> printed_;
};

}  // namespace strata::diag
