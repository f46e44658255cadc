#pragma once
// What `strata train`, `strata eval` and `strata predict` do, as library calls (the CLI in tools/strata/ only
// parses arguments and calls these):
//
//   tools::RunConfig cfg = tools::load_run_config("examples/lenet/config.json");
//   tools::RunResult r = tools::run_training(cfg);     // trains, writes runs/<name>/, evaluates on the test set
//   r.test.at("accuracy");
//
// A run folder (<output_dir>/<name>/) holds: config.json (the config as given), init.safetensors (the weights
// before the first step), model.safetensors (the final weights, PyTorch key names), checkpoint.safetensors (all that
// an exact resume needs, rewritten after every epoch; RunOptions::resume), preprocessing.json (input preprocessing
// and classes, tools/preprocessing.h), log.csv and log.jsonl (one row per epoch), results.json (test metrics). Every
// file is written atomically, so a crash never leaves a half-written one.
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/diag/doctor.h"
#include "strata/nn/containers.h"
#include "strata/tools/run_config.h"
#include "strata/train/metrics.h"

namespace strata::tools {

struct RunOptions {
  std::ostream* out = &std::cout;        // progress bar and messages; nullptr: silent
  std::optional<bool> tty;               // progress bar mode (nullopt: detect)
  bool write_files = true;               // false: train and evaluate only (no run folder)
  bool diagnose = false;                 // the doctor with anomaly mode on (`strata train --diagnose`)
  int64_t max_steps = 0;                 // stop after this many optimizer steps (0: the config's epochs)
  double max_seconds = 0;                // stop after the batch that passes this much training time (0: none)
  std::optional<int64_t> doctor_period;  // overrides the config's doctor.period
  // Exact resume (`strata train --resume`): "latest" for the newest valid checkpoint in the run folder, or a
  // checkpoint file; "" starts afresh. The config must be the checkpointed run's (only "epochs",
  // "checkpoint_every_steps" and "keep_checkpoints" may change).
  std::string resume;
  // SIGINT / SIGTERM finish the current optimizer step, write a checkpoint and stop (RunResult::interrupted).
  bool handle_signals = false;
};

struct Evaluation {
  train::Logs logs;  // "loss" and the config's metrics
  // Classification only: the confusion matrix (C, C) int64 and per-class precision / recall / F1.
  Tensor confusion;
  train::ClassificationReport report;
  int64_t examples = 0;
};

struct RunResult {
  std::string run_dir;
  train::History history;
  std::optional<Evaluation> test;  // absent when the data has no test set
  std::vector<double> epoch_seconds;
  nn::ModulePtr model;                  // an nn::Sequential (supervised), nn::Autoencoder, nn::VAE or nn::GAN
  diag::TrainingRecord record;          // what the doctor's monitors measured
  std::vector<diag::Finding> findings;  // the doctor's findings (also in diagnosis.json)
  // Why the run failed, or "" when it did not: training went non-finite (nan/inf). The step, the op and layer
  // (with anomaly mode), and which weights were kept: model.safetensors then holds the last all-finite weights
  // (those of the last epoch end that had them, or the initial ones), evaluated on the test set as usual, and
  // results.json says the same under "failure". `strata train` prints it, even with --quiet, and exits 1.
  std::string failure;
  // The signal (SIGINT, SIGTERM) that stopped training after a checkpoint, 0 when none did. An interrupted run
  // writes no model.safetensors, results.json or report: `strata train <config> --resume` continues it.
  int interrupted = 0;
  std::string checkpoint;  // the checkpoint an interrupted run wrote ("" when it wrote none)
};

// Seeds, loads the data, builds the model, loss, optimizer and schedule, trains with the progress bar,
// early stopping, logs and checkpoints, saves the weights and evaluates on the test set.
RunResult run_training(const RunConfig& config, const RunOptions& options = {});

// Builds the config's model and loads weights from a safetensors file (strict: every key must match).
std::shared_ptr<nn::Sequential> load_model(const RunConfig& config, const Datasets& data, const std::string& weights);
// The same for a non-supervised task's model (nn::Autoencoder, nn::VAE or nn::GAN).
nn::ModulePtr load_task_model(const RunConfig& config, const Datasets& data, const std::string& weights);

// The loss terms of a task's model on `dataset` (train::evaluate_task), as an Evaluation without confusion matrix.
Evaluation evaluate_task_model(const RunConfig& config, const nn::ModulePtr& model, const data::DatasetPtr& dataset);

// run_training for config.task autoencoder, vae and gan (train::fit_task); run_training calls it for them. The
// run folder also holds the task's pictures (reconstructions.png, samples.png, interpolation.png, latent_map.png,
// latent_scatter.png, as the task and data allow), and results.json the test set's loss terms.
RunResult run_task_training(const RunConfig& config, const RunOptions& options = {});

// Loss, metrics and (classification) confusion matrix and per-class report of `model` on `dataset`.
Evaluation evaluate_model(nn::Module& model, const RunConfig& config, const Datasets& data,
                          const data::DatasetPtr& dataset);

// A printable report: metrics, then per-class precision / recall / F1 / support for classification.
std::string format_evaluation(const Evaluation& e, const std::vector<std::string>& class_names);

// Runs the `strata` command line. args excludes the program name: {"train", "config.json"}. Output goes to
// `out`, errors to `err`; returns the exit status (0 success, 1 error, 2 usage).
int cli_main(const std::vector<std::string>& args, std::ostream& out = std::cout, std::ostream& err = std::cerr);

}  // namespace strata::tools
