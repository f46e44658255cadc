#pragma once
// What every `strata train` run builds around its training loop, supervised (run.cpp) or a task (run_task.cpp):
// the loaders, the fit options with the standard callbacks, the doctor, the run folder's files, and after training
// the final weights, results.json and the report. The two runs differ only in the model, the loss and the loop.
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "strata/data/dataloader.h"
#include "strata/diag/doctor.h"
#include "strata/io/json.h"
#include "strata/io/safetensors.h"
#include "strata/tools/run.h"

namespace strata::tools::detail {

// Loads a safetensors file into the model built from `config`, strictly (every key, every shape); a mismatch is
// an error naming the file and the config.
void load_run_weights(const RunConfig& config, nn::Module& model, const std::string& weights);

class CheckpointWriter;

struct RunLoop {
  std::unique_ptr<data::DataLoader> train_loader, val_loader;  // val_loader null without validation data
  train::FitOptions fit;
  std::shared_ptr<diag::Doctor> doctor;
  std::shared_ptr<CheckpointWriter> checkpoints;  // null without a run folder
};

// Loaders and fit options with the progress bar, TerminateOnNaN, epoch timing (into r.epoch_seconds), gradual
// unfreezing, the schedule (stepping `optimizer`), early stopping, the step limit, the doctor (with `context`, and
// `sample_probe` if set) and, with options.write_files, the run folder: config.json, the loggers, the checkpoint
// (with `extra_optimizer`'s state too) and init.safetensors. Sets r.run_dir. With options.resume, the checkpoint's
// weights are loaded into `model` and loop.fit.resume continues the run exactly (train/resume.h); the logs are cut
// back to the checkpoint's epochs and init.safetensors is kept.
RunLoop start_run(const RunConfig& config, const RunOptions& options, const Datasets& data, nn::Module& model,
                  optim::Optimizer& optimizer, diag::DoctorContext context, RunResult& r,
                  std::function<diag::SampleCheck()> sample_probe = {}, optim::Optimizer* extra_optimizer = nullptr);

// Gives the checkpoint writer the callbacks whose state it saves: call after the last callback is added.
void set_checkpoint_state(RunLoop& loop);

// "Training <name>: N parameters, ..." (`what` after the name, e.g. " (vae)").
void print_start(std::ostream* out, const RunConfig& config, const std::string& what, const nn::Module& model,
                 const Datasets& data, const RunLoop& loop);

// After training: the doctor's record and findings into r, the stop reason and a healthy summary printed, and
// model.safetensors written (metadata plus `meta`). An interrupted run (r.interrupted) prints how to resume and
// writes no model.safetensors.
void end_run(const RunConfig& config, const RunOptions& options, const RunLoop& loop, const nn::Module& model,
             const io::Metadata& meta, RunResult& r);

// results.json's common part: name, epochs, seconds per epoch.
io::Json base_results(const RunConfig& config, const RunResult& r);

// Writes results.json, report_data.json and report.html (with `images` shown, if any) and prints what the run
// folder holds. `report` is report_data()'s object, to which this adds the images.
void finish_run_folder(const RunOptions& options, const RunResult& r, const io::Json& results, io::Json report,
                       const io::Json& images);

}  // namespace strata::tools::detail
