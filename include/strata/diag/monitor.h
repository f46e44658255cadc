#pragma once
// Training monitors: measurements taken inside a run through module hooks and the training step's hook
// points (train::Callback), kept as a TrainingRecord that the doctor's rules (doctor.h) and the report read.
//
//   auto monitor = std::make_shared<diag::Monitor>();          // every 10 steps by default
//   options.callbacks.push_back(monitor);
//   train::fit(model, loss, optimizer, loader, options, &val_loader);
//   const diag::TrainingRecord& r = monitor->record();
//
// Every step: the loss and the learning rate (two doubles). Every `period` optimizer steps (a sampled step),
// for every layer: the gradient norm of its own parameters (before clipping), the update-to-weight ratio
// ||w_after - w_before|| / ||w_before||, the weight norm, and statistics of its output: mean, standard
// deviation, a histogram, the fraction of ReLU units that never fired over the last `dead_window` sampled
// batches, and the fraction of sigmoid/tanh outputs in saturation. At the start and the end: rows (Linear)
// or filters (Conv2d) identical to another row of the same weight. With anomaly mode, the op and layer where
// nan/inf first appeared (autograd/anomaly.h).
#include <cstdint>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/nn/module.h"
#include "strata/train/fit.h"

namespace strata::diag {

// What a layer is, for the rules: activations get dead / saturation measurements.
enum class LayerKind { Parametric, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, Other };
const char* layer_kind_name(LayerKind k);

struct Histogram {
  std::vector<double> edges;    // bins + 1
  std::vector<int64_t> counts;  // bins
};

struct LayerRecord {
  std::string name;  // dotted key as in state_dict ("features.3")
  std::string type;  // type_name()
  LayerKind kind = LayerKind::Other;
  int64_t depth_index = 0;  // position among the recorded layers, in forward-call order
  int64_t num_params = 0;   // own parameters
  bool has_matrix = false;  // owns a parameter of 2 or more dims (a weight matrix or filter bank)
  int64_t units = 0;        // output units (features, or channels for 4-D outputs), 0 before the first sample
  // At each sampled step (NaN where not measured, e.g. no gradient yet):
  std::vector<int64_t> step;
  std::vector<double> grad_norm, weight_norm, update_ratio;
  std::vector<double> act_mean, act_std, dead_fraction, saturated_fraction;
  Histogram histogram;  // of the output at the last sampled step
  // Fraction of weight rows / filters identical to another one (Linear, Conv2d weights; -1 if not applicable).
  double identical_rows_start = -1, identical_rows_end = -1;
};

struct NonFiniteEvent {
  int64_t step = -1;
  std::string what;   // "loss", "gradient of <layer>", "weights of <layer>"
  std::string op;     // from anomaly mode ("" without it)
  std::string layer;  // the module scope anomaly mode saw
  std::string phase;  // "forward" / "backward"
  std::string detail;
};

// Generated samples measured at an epoch end (generative tasks; see the doctor's mode_collapse rule). Fields a
// task cannot measure stay at their defaults (-1 / NaN / empty).
struct SampleCheck {
  int64_t step = 0, epoch = 0;  // optimizer steps so far; epochs finished (1-based)
  int64_t samples = 0;          // generated samples measured
  // 2-D mixtures with known modes (the ring): modes with high-quality samples and the share of such samples.
  int64_t modes = 0, modes_covered = -1;
  double high_quality = std::numeric_limits<double>::quiet_NaN();
  // Images labelled by a classifier: classes holding at least 2% of the samples, and the histogram.
  int64_t classes = 0, classes_covered = -1;
  std::vector<int64_t> class_histogram;
  // Mean pairwise distance of the samples over that of as many real examples (1: as diverse as the data).
  double diversity_ratio = std::numeric_limits<double>::quiet_NaN();
};

struct TrainingRecord {
  std::string model_type;
  int64_t period = 10;
  int64_t dead_window = 3;
  // Every optimizer step.
  std::vector<int64_t> steps;
  std::vector<double> loss, lr;
  // Loss scaling (train::GradScaler): the scale after each step, and the steps skipped so far (cumulative; a
  // skip is an update left out for inf/NaN gradients). All 1 and 0 without loss scaling.
  std::vector<double> loss_scale;
  std::vector<int64_t> skipped;
  // Sampled steps.
  std::vector<int64_t> sample_steps;
  std::vector<double> total_grad_norm;
  // Model outputs at sampled steps: the fraction of rows that look like probabilities (all in [0, 1] and
  // summing to 1 within 1e-3), and the fraction of all outputs in [0, 1].
  std::vector<double> output_prob_rows, output_unit_interval;
  std::vector<LayerRecord> layers;
  std::vector<train::Logs> epochs;       // epoch logs as fit() produced them
  std::vector<int64_t> epoch_end_steps;  // global step at the end of each epoch
  std::optional<NonFiniteEvent> non_finite;
  std::vector<SampleCheck> sample_checks;  // generative tasks: one per epoch end
  int64_t steps_run = 0;
  int64_t epochs_run = 0;
};

struct MonitorOptions {
  int64_t period = 10;      // sample every this many optimizer steps (>= 1)
  int64_t dead_window = 3;  // sampled batches a ReLU unit must stay silent in to count as dead
  int64_t histogram_bins = 30;
  bool anomaly = false;            // anomaly mode during the run (names the op and layer of the first nan/inf)
  bool stop_on_non_finite = true;  // stop training at the first non-finite loss (as TerminateOnNaN)
};

class Monitor : public train::Callback {
 public:
  explicit Monitor(MonitorOptions options = {});
  ~Monitor() override;
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  void on_train_begin(train::TrainState& state) override;
  void on_batch_begin(train::TrainState& state) override;
  void on_after_backward(train::TrainState& state) override;
  void on_before_step(train::TrainState& state) override;
  void on_batch_end(train::TrainState& state, const train::Logs& batch_logs) override;
  void on_epoch_end(train::TrainState& state, train::Logs& epoch_logs) override;
  void on_train_end(train::TrainState& state) override;

  const TrainingRecord& record() const { return record_; }
  // For measurements taken outside the hooks (the doctor's sample checks).
  TrainingRecord& mutable_record() { return record_; }
  const MonitorOptions& options() const { return options_; }
  // Hooks into `model` (on_train_begin does this) / removes the hooks (on_train_end).
  void attach(nn::Module& model);
  void detach();

 private:
  struct Impl;
  MonitorOptions options_;
  TrainingRecord record_;
  std::unique_ptr<Impl> impl_;
};

// Whether the run scaled its loss (a scale other than 1, or a skipped step).
bool uses_loss_scaling(const TrainingRecord& record);

// The record as the report's "steps" / "layers" / "epochs" sections (docs/report.md); "steps" holds
// "loss_scale" and "skipped" only for runs with loss scaling.
io::Json to_json(const TrainingRecord& record);

}  // namespace strata::diag
