// run_training / load_model / evaluate_model: the work behind `strata train`, `eval` and `predict`.
#include "strata/tools/run.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/diag/report.h"
#include "strata/io/atomic_file.h"
#include "strata/io/checkpoint.h"
#include "strata/io/safetensors.h"
#include "strata/tools/model_builder.h"
#include "strata/train/callbacks.h"
#include "tools/run_callbacks.h"
#include "tools/run_report.h"
#include "tools/transfer_config.h"

namespace strata::tools {

using namespace detail;  // NOLINT(google-build-using-namespace): the run helpers of run_callbacks.h

std::shared_ptr<nn::Sequential> load_model(const RunConfig& config, const Datasets& data, const std::string& weights) {
  manual_seed(config.seed);
  auto model = build_model(config.model, data.example_shape);
  io::SafetensorsFile f = io::load_safetensors(weights);
  try {
    model->load_state_dict(f.tensors, /*strict=*/true);
  } catch (const Error& e) {
    STRATA_FAIL(weights, ": the weights do not fit the model of ", config.source, ": ", e.what());
  }
  return model;
}

Evaluation evaluate_model(nn::Module& model, const RunConfig& config, const Datasets& data,
                          const data::DatasetPtr& dataset) {
  Evaluation e;
  e.examples = dataset->size();
  const Tensor targets = data.classification ? dataset_targets(*dataset) : Tensor();
  // Class weights ("balanced") come from the training labels, as in training.
  auto loss = build_loss(config.loss, data.classification ? dataset_targets(*data.train) : Tensor(), data.num_classes);
  data::DataLoader loader(dataset, config.eval_batch_size, /*shuffle=*/false);
  e.logs = train::evaluate(model, *loss, loader, config.metrics);
  if (data.classification) {
    data::DataLoader pl(dataset, config.eval_batch_size, /*shuffle=*/false);
    Tensor out = train::predict(model, pl);
    e.confusion = train::confusion_matrix(out, targets, data.num_classes);
    e.report = train::precision_recall_f1(e.confusion);
  }
  return e;
}

std::string format_evaluation(const Evaluation& e, const std::vector<std::string>& class_names) {
  std::ostringstream os;
  os << e.examples << " examples:";
  for (const auto& [k, v] : e.logs) os << "  " << k << " " << fmt(v);
  os << "\n";
  if (!e.confusion.defined()) return os.str();
  size_t w = 5;
  for (const auto& n : class_names) w = std::max(w, n.size());
  char line[256];
  std::snprintf(line, sizeof line, "%-*s  %9s  %9s  %9s  %7s\n", static_cast<int>(w), "class", "precision", "recall",
                "f1", "support");
  os << line;
  const auto& r = e.report;
  for (size_t c = 0; c < r.precision.size(); ++c) {
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    std::snprintf(line, sizeof line, "%-*s  %9.4f  %9.4f  %9.4f  %7lld\n", static_cast<int>(w), name.c_str(),
                  r.precision[c], r.recall[c], r.f1[c], static_cast<long long>(r.support[c]));
    os << line;
  }
  std::snprintf(line, sizeof line, "%-*s  %9.4f  %9.4f  %9.4f\n", static_cast<int>(w), "macro", r.macro_precision,
                r.macro_recall, r.macro_f1);
  os << line;
  return os.str();
}

RunResult run_training(const RunConfig& config, const RunOptions& options) {
  if (!config.task.supervised()) return run_task_training(config, options);
  RunResult r;
  std::ostream* out = options.out;
  manual_seed(config.seed);
  Datasets data = load_datasets(config);
  auto model = build_model(config.model, data.example_shape);
  apply_transfer(config, *model, out, options.write_files ? config.run_dir() : "");  // init_from, freeze
  r.model = model;
  const Tensor train_targets = data.classification ? dataset_targets(*data.train) : Tensor();
  auto loss = build_loss(config.loss, train_targets, data.num_classes);
  auto optimizer = build_transfer_optimizer(config, *model);  // param_groups (build_optimizer without them)

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
  fo.metrics = config.metrics;
  if (out) {
    train::ProgressBarOptions po;
    po.tty = options.tty;
    fo.callbacks.push_back(std::make_shared<train::ProgressBar>(*out, po));
  }
  fo.callbacks.push_back(std::make_shared<train::TerminateOnNaN>(out));
  fo.callbacks.push_back(std::make_shared<EpochTimer>(r.epoch_seconds));
  if (auto unfreezing = build_unfreezing(config, *model)) fo.callbacks.push_back(unfreezing);
  const int64_t steps_per_epoch = (train_loader.size() + config.accumulation_steps - 1) / config.accumulation_steps;
  if (auto sched = build_schedule(config.schedule, *optimizer, config.epochs, steps_per_epoch))
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
  if (options.write_files) r.run_dir = config.run_dir();
  // The training doctor watches every run; --diagnose adds anomaly mode.
  diag::DoctorOptions dopt;
  dopt.monitor.period = options.doctor_period.value_or(config.doctor.period);
  dopt.monitor.anomaly = options.diagnose || config.doctor.anomaly;
  dopt.out = out;
  if (options.write_files) dopt.output_path = r.run_dir + "/diagnosis.json";
  diag::DoctorContext dctx = diag::context_for(*loss, *optimizer);
  dctx.task = data.classification ? "classification" : "regression";
  dctx.loss = config.loss.at("type").as_string();
  dctx.clipping = config.clip_grad_norm.has_value() || config.clip_grad_value.has_value();
  dctx.restores_best_weights = config.early_stopping.enabled && config.early_stopping.restore_best_weights;
  auto doctor = std::make_shared<diag::Doctor>(dopt, dctx);
  fo.callbacks.push_back(doctor);
  if (options.write_files) {
    std::filesystem::create_directories(r.run_dir);
    write_text_atomically(r.run_dir + "/config.json", config.json.dump(2) + "\n");
    fo.callbacks.push_back(std::make_shared<train::CSVLogger>(r.run_dir + "/log.csv"));
    fo.callbacks.push_back(std::make_shared<train::JSONLinesLogger>(r.run_dir + "/log.jsonl"));
    fo.callbacks.push_back(std::make_shared<CheckpointWriter>(r.run_dir + "/checkpoint.safetensors", config.name));
  }
  // The initial weights, for `strata landscape`'s line from init to final.
  if (options.write_files)
    io::save_safetensors(r.run_dir + "/init.safetensors", model->state_dict(), {{"format", "pt"}});
  if (out) {
    *out << "Training " << config.name << ": " << model->num_parameters() << " parameters, " << data.train->size()
         << " training examples" << (data.val ? ", " + std::to_string(data.val->size()) + " for validation" : "")
         << ", " << config.epochs << " epoch(s) of " << train_loader.size() << " batches\n";
  }
  r.history = train::fit(*model, *loss, *optimizer, train_loader, fo, val_loader.get());
  if (out && r.history.stopped_early) *out << "Stopped early: " << r.history.stop_reason << "\n";
  r.record = doctor->monitor().record();
  r.findings = doctor->findings();
  if (out && r.findings.empty()) *out << "Doctor: " << diag::healthy_summary(r.record) << "\n";

  if (options.write_files) {
    io::Metadata meta{{"format", "pt"}, {"run", config.name}, {"epochs", std::to_string(r.history.epochs.size())}};
    io::save_safetensors(r.run_dir + "/model.safetensors", model->state_dict(), meta);
  }
  io::Json results = io::Json::object();
  results.set("name", config.name);
  results.set("epochs", static_cast<int64_t>(r.history.epochs.size()));
  io::Json secs = io::Json::array();
  for (double s : r.epoch_seconds) secs.push_back(s);
  results.set("epoch_seconds", secs);
  if (data.test) {
    r.test = evaluate_model(*model, config, data, data.test);
    io::Json t = io::Json::object();
    for (const auto& [k, v] : r.test->logs) t.set(k, json_number(v));
    if (data.classification) {
      io::Json recall = io::Json::array();
      for (double v : r.test->report.recall) recall.push_back(json_number(v));
      t.set("per_class_recall", recall);
    }
    results.set("test", t);
    if (out) {
      *out << "Test set: " << format_evaluation(*r.test, data.class_names);
      if (data.classification) *out << "Test accuracy: " << fmt(100.0 * r.test->report.accuracy, "%.2f") << "%\n";
    }
  }
  results.set("findings", static_cast<int64_t>(r.findings.size()));
  if (options.write_files) {
    write_text_atomically(r.run_dir + "/results.json", results.dump(2) + "\n");
    const io::Json report = report_data(config, data, r);
    write_text_atomically(r.run_dir + "/report_data.json", report.dump() + "\n");
    diag::write_report(report, r.run_dir + "/report.html");
    if (out) {
      *out << "Wrote " << r.run_dir
           << "/{init.safetensors, model.safetensors, checkpoint.safetensors, config.json, log.csv, log.jsonl, "
              "results.json, diagnosis.json, report.html, report_data.json}\n";
    }
  }
  return r;
}

}  // namespace strata::tools
