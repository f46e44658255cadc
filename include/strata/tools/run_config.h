#pragma once
// The `strata` command line's run configuration: one JSON file describing the model, the data, the loss,
// the optimizer and its schedule, and how long to train (docs/cli.md documents every key). This header
// parses and validates it, and turns each section into library objects. Unknown keys and bad values are
// strata::Errors naming the file and the key path ("lenet.json: key \"optimizer.lr\": expected a number").
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/data/dataset.h"
#include "strata/io/json.h"
#include "strata/nn/losses.h"
#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"
#include "strata/tools/task_config.h"
#include "strata/train/fit.h"
#include "strata/train/precision.h"

namespace strata::tools {

struct DataConfig {
  std::string dataset;  // "fashion_mnist", "csv" or "ring" (2-D mixture of Gaussians on a ring)
  // fashion_mnist: "standardized" ((x - mean) / std, the supervised default), "unit" ([0, 1], the default for
  // autoencoders and VAEs) or "signed" ([-1, 1], the default for GANs, whose generators end in tanh).
  std::string pixels;
  int64_t ring_modes = 8;                  // ring: mixture components, evenly spaced on the circle
  double ring_radius = 2.0;                // ring: circle radius
  double ring_std = 0.02;                  // ring: each component's standard deviation
  int64_t ring_size = 25600;               // ring: training examples (test: a quarter of it)
  std::string path;                        // fashion_mnist: folder overriding the Debian package's ("" = default)
  std::string train_path;                  // csv: the training file
  std::string test_path;                   // csv: the test file ("" = none)
  std::string label_column;                // csv: by name ("" = the last column)
  std::string task;                        // "classification" or "regression"
  bool standardize = true;                 // csv: z-score features with the training set's mean and std
  double validation_split = 0;             // fraction of the training set held out for validation (0 = none)
  int64_t limit_train = 0;                 // keep only the first N training examples (0 = all); for quick runs
  int64_t limit_test = 0;                  // the same for the test set
  std::vector<int64_t> subsample_classes;  // keep only subsample_fraction of these classes' training examples
  double subsample_fraction = 1.0;
  std::vector<int64_t> classes;  // keep only these classes (train and test), relabelled 0..k-1 in this order
  int64_t per_class_limit = 0;   // keep the first N training examples of each class (0 = all)
};

struct EarlyStoppingConfig {
  bool enabled = false;
  std::string monitor = "val_loss";
  std::string mode = "auto";
  int64_t patience = 3;
  double min_delta = 0;
  bool restore_best_weights = true;
};

// The training doctor's settings ("doctor": {"period": 10, "anomaly": false}); it runs in every training run.
struct DoctorConfig {
  int64_t period = 10;   // monitors sample every this many optimizer steps
  bool anomaly = false;  // anomaly mode: name the op and layer where nan/inf first appears (slower)
};

// Data-parallel runs (`mpirun -np N strata train`; docs/distributed.md): "distributed": {"sync_batch_norm": false,
// "bucket_cap_mb": 25}. Ignored in a single process.
struct DistributedConfig {
  bool sync_batch_norm = false;  // batch statistics over the global batch (dist::convert_sync_batch_norm)
  double bucket_cap_mb = 25;     // gradient all-reduce bucket size (dist::DataParallelOptions)
};

struct RunConfig {
  io::Json json;  // the whole config as read (annotated with its source for error messages)
  std::string source;
  std::string name;        // run name: outputs go to <output_dir>/<name>
  std::string output_dir;  // default "runs"
  uint64_t seed = 0;
  bool deterministic = false;  // results independent of the thread count (strata::set_deterministic)
  io::Json model;
  TaskConfig task;  // "task": supervised (default), autoencoder, vae or gan
  DataConfig data;
  io::Json loss;       // object (a bare string is normalised to {"type": ...})
  io::Json optimizer;  // object
  io::Json schedule;   // object or null
  int64_t epochs = 1;
  int64_t batch_size = 64;
  int64_t eval_batch_size = 1000;
  int64_t accumulation_steps = 1;
  // "checkpoint_every_steps": N also writes checkpoint.safetensors after every N-th optimizer step (mid-epoch; the
  // epoch-end checkpoint is always written); "keep_checkpoints": K keeps the K - 1 previous checkpoints as well,
  // renamed checkpoint-e<epoch>-b<batch>.safetensors (the position they resume at). docs/reliability.md.
  int64_t checkpoint_every_steps = 0;
  int64_t keep_checkpoints = 1;
  std::optional<double> clip_grad_norm;
  std::optional<double> clip_grad_value;
  // "precision": "fp32" (default), "bf16" or "fp16" (mixed precision, docs/precision.md); "loss_scaling": false
  // trains fp16 without a GradScaler.
  train::Precision precision = train::Precision::FP32;
  bool loss_scaling = true;
  std::vector<std::string> metrics;  // default: accuracy for classification, mae for regression
  EarlyStoppingConfig early_stopping;
  DistributedConfig distributed;
  DoctorConfig doctor;
  // "device": "cpu" (default), "ref" (the reference kernels: slow, for checking) or "cuda" / "cuda:N"
  // (docs/devices.md). The model moves there before its optimizer is built; every batch follows it.
  Device device = kCPU;

  std::string run_dir() const { return output_dir + "/" + name; }
};

// Validates every section (but reads no data). `source` names the config in error messages.
RunConfig parse_run_config(const io::Json& json, const std::string& source = "config");
RunConfig load_run_config(const std::string& path);

// The datasets a config describes, ready for DataLoaders.
struct Datasets {
  data::DatasetPtr train, val, test;   // val / test null when absent
  std::vector<int64_t> example_shape;  // one input without the batch dim: {1, 28, 28}, {F}
  bool classification = true;
  int64_t num_classes = 0;  // classification only
  std::vector<std::string> class_names;
  std::vector<std::string> feature_names;  // csv only
  Tensor feature_mean, feature_std;        // csv with standardize: (1, F) statistics of the training file
  // Training examples per class, from a run folder's preprocessing.json (empty: count train's labels).
  std::vector<int64_t> class_counts;
};

struct Preprocessing;  // strata/tools/preprocessing.h

// How load_datasets reads the data. With a run folder's saved preprocessing, its statistics, classes and shape are
// used instead of being recomputed from the training file; with train = false the training split (and so val) is
// not read at all (eval or predict on the test split).
struct DatasetOptions {
  const Preprocessing* preprocessing = nullptr;
  bool train = true;
};
Datasets load_datasets(const RunConfig& config, const DatasetOptions& options = {});

// The int64 class targets (N) of every example of a dataset, in order.
Tensor dataset_targets(const data::Dataset& dataset);

// A regression loss (MSELoss, L1Loss) trained on class labels, as Keras users do with to_categorical: the int64
// targets (N) become float one-hot targets (N, C) of the input's dtype before `inner` sees them. input: (N, C).
// name() is the inner loss's ("MSELoss"), so a regression loss on class labels stays visible as what it is.
class OneHotTargetLoss : public nn::Loss {
 public:
  OneHotTargetLoss(std::shared_ptr<nn::Loss> inner, int64_t num_classes);
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return inner_->name(); }
  const nn::Loss& inner() const { return *inner_; }
  int64_t num_classes() const { return num_classes_; }

 private:
  std::shared_ptr<nn::Loss> inner_;
  int64_t num_classes_;
};

// The loss section. "mse" and "l1" with num_classes > 0 (a classification task) train on one-hot targets
// (OneHotTargetLoss). "balanced" class weights are computed from `train_targets` (int64 (N)) and num_classes.
std::shared_ptr<nn::Loss> build_loss(const io::Json& spec, const Tensor& train_targets, int64_t num_classes);

// The optimizer section, over `params`.
std::shared_ptr<optim::Optimizer> build_optimizer(const io::Json& spec, const TensorList& params);

// The schedule section (null: none) as a callback stepping the scheduler; steps_per_epoch sizes per-step
// schedules (onecycle). Returns nullptr when the section is null.
train::CallbackPtr build_schedule(const io::Json& spec, optim::Optimizer& optimizer, int64_t epochs,
                                  int64_t steps_per_epoch);

}  // namespace strata::tools
