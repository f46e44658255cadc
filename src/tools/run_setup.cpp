// The scaffolding shared by supervised and task runs (run_setup.h).
#include "tools/run_setup.h"

#include <filesystem>
#include <optional>

#include "strata/core/error.h"
#include "strata/diag/report.h"
#include "strata/dist/process_group.h"
#include "strata/io/safetensors.h"
#include "strata/tools/preprocessing.h"
#include "strata/train/callbacks.h"
#include "strata/train/grad_scaler.h"
#include "tools/checkpoint_writer.h"
#include "tools/interrupt.h"
#include "tools/run_callbacks.h"
#include "tools/run_distributed.h"
#include "tools/run_report.h"
#include "tools/run_resume.h"
#include "tools/transfer_config.h"

namespace strata::tools::detail {

void load_run_weights(const RunConfig& config, nn::Module& model, const std::string& weights) {
  STRATA_CHECK(!std::filesystem::is_directory(weights), weights, ": is a directory, not a weights file");
  io::SafetensorsFile f = io::load_safetensors(weights);
  // A checkpoint's model weights (eval/predict fall back to one when model.safetensors is missing).
  if (io::is_checkpoint(f.metadata)) f.tensors = io::load_checkpoint(weights).model;
  try {
    model.load_state_dict(f.tensors, /*strict=*/true);
  } catch (const Error& e) {
    STRATA_FAIL(weights, ": the weights do not fit the model of ", config.source, ": ", e.what());
  }
}

RunLoop start_run(const RunConfig& config, const RunOptions& options, const Datasets& data, nn::Module& model,
                  optim::Optimizer& optimizer, diag::DoctorContext context, RunResult& r,
                  std::function<diag::SampleCheck()> sample_probe, optim::Optimizer* extra_optimizer) {
  RunLoop loop;
  std::ostream* out = options.out;
  data::DataLoaderOptions lo;
  lo.batch_size = config.batch_size;
  lo.shuffle = true;
  lo.seed = config.seed;
  shard_loader(lo, config, /*training=*/true);  // several processes: this rank's share of each global batch
  loop.train_loader = std::make_unique<data::DataLoader>(data.train, lo);
  if (data.val) {
    data::DataLoaderOptions vo;
    vo.batch_size = config.eval_batch_size;
    shard_loader(vo, config, /*training=*/false);
    loop.val_loader = std::make_unique<data::DataLoader>(data.val, vo);
  }

  train::FitOptions& fo = loop.fit;
  setup_data_parallel(config, model, fo);
  fo.epochs = config.epochs;
  fo.accumulation_steps = config.accumulation_steps;
  fo.clip_grad_norm = config.clip_grad_norm;
  fo.clip_grad_value = config.clip_grad_value;
  fo.precision = config.precision;
  fo.loss_scaling = config.loss_scaling;
  fo.metrics = config.metrics;
  if (out) {
    train::ProgressBarOptions po;
    po.tty = options.tty;
    fo.callbacks.push_back(std::make_shared<train::ProgressBar>(*out, po));
  }
  fo.callbacks.push_back(std::make_shared<train::TerminateOnNaN>(out));
  fo.callbacks.push_back(std::make_shared<EpochTimer>(r.epoch_seconds));
  if (auto unfreezing = build_unfreezing(config, model)) fo.callbacks.push_back(unfreezing);
  const int64_t batches = loop.train_loader->size();
  const int64_t steps_per_epoch = (batches + config.accumulation_steps - 1) / config.accumulation_steps;
  if (auto sched = build_schedule(config.schedule, optimizer, config.epochs, steps_per_epoch))
    fo.callbacks.push_back(sched);
  if (config.early_stopping.enabled) {
    train::EarlyStoppingOptions eo;
    eo.monitor = config.early_stopping.monitor;
    eo.mode = config.early_stopping.mode;
    eo.patience = config.early_stopping.patience;
    eo.min_delta = config.early_stopping.min_delta;
    eo.restore_best_weights = config.early_stopping.restore_best_weights;
    fo.callbacks.push_back(std::make_shared<train::EarlyStopping>(eo));
  }
  if (options.max_steps > 0) fo.callbacks.push_back(std::make_shared<StopAfterSteps>(options.max_steps));
  if (options.max_seconds > 0) fo.callbacks.push_back(std::make_shared<StopAfterSeconds>(options.max_seconds));
  if (options.write_files) r.run_dir = config.run_dir();

  // The training doctor watches every run; --diagnose adds anomaly mode.
  diag::DoctorOptions dopt;
  dopt.monitor.period = options.doctor_period.value_or(config.doctor.period);
  dopt.monitor.anomaly = options.diagnose || config.doctor.anomaly;
  dopt.out = out;
  if (options.write_files) dopt.output_path = r.run_dir + "/diagnosis.json";
  dopt.sample_probe = std::move(sample_probe);
  context.clipping = config.clip_grad_norm.has_value() || config.clip_grad_value.has_value();
  context.restores_best_weights = config.early_stopping.enabled && config.early_stopping.restore_best_weights;
  loop.doctor = std::make_shared<diag::Doctor>(dopt, context);
  fo.callbacks.push_back(loop.doctor);

  // FP16 loss scaling: the run's own GradScaler, so that checkpoints carry its scale.
  if (config.precision == train::Precision::FP16 && config.loss_scaling)
    fo.grad_scaler = std::make_shared<train::GradScaler>();

  train::NamedOptimizers optimizers{{"", &optimizer}};
  if (extra_optimizer != nullptr) optimizers.emplace_back("discriminator", extra_optimizer);
  std::optional<ResumeSource> resume;
  if (!options.resume.empty()) {
    resume = find_resume_checkpoint(config, options.resume);
    fo.resume = train::read_resume_state(resume->checkpoint, model, optimizers, resume->path);
    r.epoch_seconds = saved_epoch_seconds(resume->checkpoint);
    if (out) {
      *out << "Resuming from " << resume->path << ": epoch " << fo.resume->epoch + 1 << ", batch " << fo.resume->batch
           << " of " << loop.train_loader->size() << " (" << fo.resume->global_step << " optimizer steps done)\n";
    }
  }

  if (options.write_files) {
    std::filesystem::create_directories(r.run_dir);
    write_text_atomically(r.run_dir + "/config.json", config.json.dump(2) + "\n");
    save_preprocessing(r.run_dir + "/preprocessing.json", preprocessing_of(config, data));  // for eval / predict
    if (resume) rewrite_logs(r.run_dir, *fo.resume);
    fo.callbacks.push_back(std::make_shared<train::CSVLogger>(r.run_dir + "/log.csv", resume.has_value()));
    fo.callbacks.push_back(std::make_shared<train::JSONLinesLogger>(r.run_dir + "/log.jsonl", resume.has_value()));
    CheckpointWriter::Options co;
    co.dir = r.run_dir;
    co.run_name = config.name;
    co.config_text = config.json.dump();
    co.every_steps = config.checkpoint_every_steps;
    co.keep = config.keep_checkpoints;
    co.optimizers = optimizers;
    co.epoch_seconds = &r.epoch_seconds;
    loop.checkpoints = std::make_shared<CheckpointWriter>(co);
    if (resume) loop.checkpoints->resumed_from(resume->checkpoint);
    fo.callbacks.push_back(loop.checkpoints);
    if (!resume) {
      // The initial weights, for `strata landscape`'s line from init to final.
      io::save_safetensors(r.run_dir + "/init.safetensors", model.state_dict(), {{"format", "pt"}});
    }
  }
  return loop;
}

void set_checkpoint_state(RunLoop& loop) {
  if (!loop.checkpoints) return;
  std::vector<train::CallbackPtr> cbs = loop.fit.callbacks;
  if (loop.fit.grad_scaler) cbs.push_back(loop.fit.grad_scaler);
  loop.checkpoints->set_state_callbacks(cbs);
}

void print_start(std::ostream* out, const RunConfig& config, const std::string& what, const nn::Module& model,
                 const Datasets& data, const RunLoop& loop) {
  if (!out) return;
  *out << "Training " << config.name << what << ": " << model.num_parameters() << " parameters, " << data.train->size()
       << " training examples" << (data.val ? ", " + std::to_string(data.val->size()) + " for validation" : "") << ", "
       << config.epochs << " epoch(s) of " << loop.train_loader->size() << " batches";
  if (dist::world_size() > 1) {
    const int64_t most = data::DataLoader::shard_count(config.batch_size, dist::world_size(), 0);
    const int64_t least = config.batch_size / dist::world_size();
    *out << " on " << dist::world_size() << " processes (global batch " << config.batch_size << ", "
         << (least == most ? "" : std::to_string(least) + "-") << most << " per process)";
  }
  *out << "\n";
}

void end_run(const RunConfig& config, const RunOptions& options, const RunLoop& loop, const nn::Module& model,
             const io::Metadata& meta, RunResult& r) {
  std::ostream* out = options.out;
  if (r.history.interrupted && loop.checkpoints) {
    r.interrupted = loop.checkpoints->interrupted();
    r.checkpoint = loop.checkpoints->wrote() ? loop.checkpoints->path() : "";
  }
  if (out && r.history.stopped_early) *out << "Stopped early: " << r.history.stop_reason << "\n";
  r.record = loop.doctor->monitor().record();
  r.findings = loop.doctor->findings();
  if (out && r.findings.empty()) *out << "Doctor: " << diag::healthy_summary(r.record) << "\n";
  if (out && !r.findings.empty()) {
    const std::string scaling = diag::loss_scaling_summary(r.record);
    if (!scaling.empty()) *out << "Doctor: " << scaling << "\n";
  }
  if (r.interrupted != 0) {
    if (out) {
      *out << "Interrupted by " << signal_name(r.interrupted) << " at epoch " << r.history.epochs.size() + 1
           << ", step " << r.history.global_step << "; ";
      if (r.checkpoint.empty()) {
        *out << "no checkpoint was written (the weights were not finite)\n";
      } else {
        *out << "checkpoint written to " << r.checkpoint << ".\nResume with: strata train " << config.source
             << " --resume\n";
      }
    }
    return;
  }
  if (options.write_files) {
    io::Metadata m{{"format", "pt"}, {"run", config.name}, {"epochs", std::to_string(r.history.epochs.size())}};
    for (const auto& [k, v] : meta) m[k] = v;
    io::save_safetensors(r.run_dir + "/model.safetensors", model.state_dict(), m);
  }
}

io::Json base_results(const RunConfig& config, const RunResult& r) {
  io::Json results = io::Json::object();
  results.set("name", config.name);
  results.set("epochs", static_cast<int64_t>(r.history.epochs.size()));
  io::Json secs = io::Json::array();
  for (double s : r.epoch_seconds) secs.push_back(s);
  results.set("epoch_seconds", secs);
  results.set("precision", train::precision_name(config.precision));
  results.set("loss_scale", r.history.loss_scale);
  results.set("skipped_steps", r.history.skipped_steps);
  // The global batch and how the processes shared it (rank 0's share: the larger when it does not divide).
  const int64_t world = dist::world_size();
  results.set("batch_size", config.batch_size);
  results.set("world_size", world);
  results.set("per_rank_batch", data::DataLoader::shard_count(config.batch_size, world, 0));
  results.set("device", config.device.str());
  return results;
}

void finish_run_folder(const RunOptions& options, const RunResult& r, const io::Json& results, io::Json report,
                       const io::Json& images) {
  if (!options.write_files) return;
  write_text_atomically(r.run_dir + "/results.json", results.dump(2) + "\n");
  if (images.is_array() && images.size() > 0) report.set("images", embed_images(images, r.run_dir));
  write_text_atomically(r.run_dir + "/report_data.json", report.dump() + "\n");
  diag::write_report(report, r.run_dir + "/report.html");
  if (options.out) {
    *options.out
        << "Wrote " << r.run_dir
        << "/{init.safetensors, model.safetensors, checkpoint.safetensors, config.json, preprocessing.json, log.csv, "
           "log.jsonl, "
           "results.json, diagnosis.json, report.html, report_data.json";
    if (images.is_array()) {
      for (const io::Json& i : images.elements()) *options.out << ", " << i.at("file").as_string();
    }
    *options.out << "}\n";
  }
}

}  // namespace strata::tools::detail
