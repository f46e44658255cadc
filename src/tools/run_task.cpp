// run_training for the autoencoder, VAE and GAN tasks: the same run folder, callbacks, doctor and report as a
// supervised run, with the task's loss terms in the logs and its pictures in the folder and the report.
#include <filesystem>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/diag/report.h"
#include "strata/io/safetensors.h"
#include "strata/tools/run.h"
#include "strata/train/callbacks.h"
#include "tools/run_callbacks.h"
#include "tools/run_report.h"
#include "tools/task_outputs.h"
#include "tools/transfer_config.h"

namespace strata::tools {

using namespace detail;  // NOLINT(google-build-using-namespace): the run helpers of run_callbacks.h

namespace {

// The task object over a built model, owning its optimizers.
struct TaskParts {
  std::shared_ptr<optim::Optimizer> optimizer, d_optimizer;
  std::unique_ptr<train::Task> task;
  std::string loss_name;  // for the doctor's context
};

TaskParts make_task(const RunConfig& config, const nn::ModulePtr& model) {
  TaskParts p;
  const TaskConfig& t = config.task;
  if (t.type == "autoencoder") {
    auto ae = std::dynamic_pointer_cast<nn::Autoencoder>(model);
    p.optimizer = build_transfer_optimizer(config, *ae);  // param_groups by pattern, frozen parameters left out
    p.task = std::make_unique<train::AutoencoderTask>(ae, *p.optimizer, t.autoencoder);
    p.loss_name = t.autoencoder.loss == "bce_logits" ? "bce_with_logits" : t.autoencoder.loss;
  } else if (t.type == "vae") {
    auto vae = std::dynamic_pointer_cast<nn::VAE>(model);
    p.optimizer = build_transfer_optimizer(config, *vae);
    p.task = std::make_unique<train::VAETask>(vae, *p.optimizer, t.vae);
    p.loss_name = "vae";
  } else {
    auto gan = std::dynamic_pointer_cast<nn::GAN>(model);
    for (const char* key : {"param_groups", "unfreeze"}) {
      STRATA_CHECK(!config.json.contains(key), config.json.at(key).where(),
                   ": not supported for the gan task (its two optimizers are \"optimizer\" and "
                   "\"task.discriminator_optimizer\")");
    }
    p.optimizer = build_optimizer(config.optimizer, gan->generator().parameters());
    const io::Json& d = t.discriminator_optimizer.is_null() ? config.optimizer : t.discriminator_optimizer;
    p.d_optimizer = build_optimizer(d, gan->discriminator().parameters());
    p.task = std::make_unique<train::GANTask>(gan, *p.optimizer, *p.d_optimizer, t.gan);
    p.loss_name = "gan";
  }
  return p;
}

}  // namespace

nn::ModulePtr load_task_model(const RunConfig& config, const Datasets& data, const std::string& weights) {
  manual_seed(config.seed);
  nn::ModulePtr model = build_task_model(config.task, config.model, data.example_shape);
  io::SafetensorsFile f = io::load_safetensors(weights);
  try {
    model->load_state_dict(f.tensors, /*strict=*/true);
  } catch (const Error& e) {
    STRATA_FAIL(weights, ": the weights do not fit the model of ", config.source, ": ", e.what());
  }
  return model;
}

Evaluation evaluate_task_model(const RunConfig& config, const nn::ModulePtr& model, const data::DatasetPtr& dataset) {
  TaskParts parts = make_task(config, model);
  data::DataLoader loader(dataset, config.eval_batch_size, false);
  Evaluation e;
  e.logs = train::evaluate_task(*parts.task, loader);
  e.examples = dataset->size();
  return e;
}

RunResult run_task_training(const RunConfig& config, const RunOptions& options) {
  RunResult r;
  std::ostream* out = options.out;
  manual_seed(config.seed);
  Datasets data = load_datasets(config);
  nn::ModulePtr model = build_task_model(config.task, config.model, data.example_shape);
  apply_transfer(config, *model, out, options.write_files ? config.run_dir() : "");  // init_from, freeze
  r.model = model;
  TaskParts parts = make_task(config, model);
  train::Task& task = *parts.task;

  data::DataLoaderOptions lo;
  lo.batch_size = config.batch_size;
  lo.shuffle = true;
  lo.seed = config.seed;
  data::DataLoader train_loader(data.train, lo);
  std::unique_ptr<data::DataLoader> val_loader;
  if (data.val) val_loader = std::make_unique<data::DataLoader>(data.val, config.eval_batch_size, false);

  train::FitOptions fo;
  fo.epochs = config.epochs;
  fo.accumulation_steps = config.accumulation_steps;
  fo.clip_grad_norm = config.clip_grad_norm;
  fo.clip_grad_value = config.clip_grad_value;
  fo.metrics = {};
  if (out) {
    train::ProgressBarOptions po;
    po.tty = options.tty;
    fo.callbacks.push_back(std::make_shared<train::ProgressBar>(*out, po));
  }
  fo.callbacks.push_back(std::make_shared<train::TerminateOnNaN>(out));
  fo.callbacks.push_back(std::make_shared<EpochTimer>(r.epoch_seconds));
  const int64_t steps_per_epoch = (train_loader.size() + config.accumulation_steps - 1) / config.accumulation_steps;
  if (auto sched = build_schedule(config.schedule, task.optimizer(), config.epochs, steps_per_epoch))
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
  if (auto unfreezing = build_unfreezing(config, *model)) fo.callbacks.push_back(unfreezing);
  if (options.write_files) r.run_dir = config.run_dir();

  diag::DoctorOptions dopt;
  dopt.monitor.period = options.doctor_period.value_or(config.doctor.period);
  dopt.monitor.anomaly = options.diagnose || config.doctor.anomaly;
  dopt.out = out;
  if (options.write_files) dopt.output_path = r.run_dir + "/diagnosis.json";
  if (auto gan = std::dynamic_pointer_cast<nn::GAN>(model))
    dopt.sample_probe = make_sample_probe(config, data, gan, out);
  diag::DoctorContext dctx;
  dctx.task = config.task.type;
  dctx.loss = parts.loss_name;
  dctx.optimizer = task.optimizer().name();
  dctx.lr = task.optimizer().param_groups().empty() ? dctx.lr : task.optimizer().param_groups()[0].lr();
  dctx.clipping = config.clip_grad_norm.has_value() || config.clip_grad_value.has_value();
  dctx.restores_best_weights = config.early_stopping.enabled && config.early_stopping.restore_best_weights;
  auto doctor = std::make_shared<diag::Doctor>(dopt, dctx);
  fo.callbacks.push_back(doctor);
  if (options.write_files) {
    std::filesystem::create_directories(r.run_dir);
    write_text_atomically(r.run_dir + "/config.json", config.json.dump(2) + "\n");
    fo.callbacks.push_back(std::make_shared<train::CSVLogger>(r.run_dir + "/log.csv"));
    fo.callbacks.push_back(std::make_shared<train::JSONLinesLogger>(r.run_dir + "/log.jsonl"));
    fo.callbacks.push_back(std::make_shared<CheckpointWriter>(r.run_dir + "/checkpoint.safetensors", config.name,
                                                              parts.d_optimizer.get()));
    io::save_safetensors(r.run_dir + "/init.safetensors", model->state_dict(), {{"format", "pt"}});
  }
  if (out) {
    *out << "Training " << config.name << " (" << config.task.type << "): " << model->num_parameters()
         << " parameters, " << data.train->size() << " training examples"
         << (data.val ? ", " + std::to_string(data.val->size()) + " for validation" : "") << ", " << config.epochs
         << " epoch(s) of " << train_loader.size() << " batches\n";
  }
  r.history = train::fit_task(task, train_loader, fo, val_loader.get());
  if (out && r.history.stopped_early) *out << "Stopped early: " << r.history.stop_reason << "\n";
  r.record = doctor->monitor().record();
  r.findings = doctor->findings();
  if (out && r.findings.empty()) *out << "Doctor: " << diag::healthy_summary(r.record) << "\n";
  if (out && !r.record.sample_checks.empty()) {
    const diag::SampleCheck& c = r.record.sample_checks.back();
    *out << "Samples:";
    if (c.modes > 0)
      *out << " " << c.modes_covered << " of " << c.modes << " modes covered, " << fmt(100 * c.high_quality, "%.1f")
           << "% high quality;";
    if (c.classes > 0) *out << " " << c.classes_covered << " of " << c.classes << " classes;";
    *out << " diversity " << fmt(c.diversity_ratio, "%.2f") << "x the data's\n";
  }
  if (options.write_files) {
    io::Metadata meta{{"format", "pt"},
                      {"run", config.name},
                      {"task", config.task.type},
                      {"epochs", std::to_string(r.history.epochs.size())}};
    io::save_safetensors(r.run_dir + "/model.safetensors", model->state_dict(), meta);
  }
  io::Json results = io::Json::object();
  results.set("name", config.name);
  results.set("task", config.task.type);
  results.set("epochs", static_cast<int64_t>(r.history.epochs.size()));
  io::Json secs = io::Json::array();
  for (double s : r.epoch_seconds) secs.push_back(s);
  results.set("epoch_seconds", secs);
  if (data.test) {
    Evaluation e = evaluate_task_model(config, model, data.test);
    io::Json t = io::Json::object();
    for (const auto& [k, v] : e.logs) t.set(k, json_number(v));
    results.set("test", t);
    if (out) *out << "Test set: " << format_evaluation(e, {});
    r.test = e;
  }
  if (!r.record.sample_checks.empty())
    results.set("samples", diag::to_json(r.record).at("sample_checks").elements().back());
  results.set("findings", static_cast<int64_t>(r.findings.size()));
  if (options.write_files) {
    const io::Json images = write_task_images(config, *model, data, r.run_dir, config.task.samples, config.seed);
    write_text_atomically(r.run_dir + "/results.json", results.dump(2) + "\n");
    io::Json report = report_data(config, data, r);
    report.set("images", embed_images(images, r.run_dir));
    write_text_atomically(r.run_dir + "/report_data.json", report.dump() + "\n");
    diag::write_report(report, r.run_dir + "/report.html");
    if (out) {
      *out << "Wrote " << r.run_dir
           << "/{init.safetensors, model.safetensors, checkpoint.safetensors, config.json, log.csv, log.jsonl, "
              "results.json, diagnosis.json, report.html, report_data.json";
      for (const io::Json& i : images.elements()) *out << ", " << i.at("file").as_string();
      *out << "}\n";
    }
  }
  return r;
}

}  // namespace strata::tools
