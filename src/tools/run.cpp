// run_training / load_model / evaluate_model: the work behind `strata train`, `eval` and `predict`.
#include "strata/tools/run.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/core/threading.h"
#include "strata/data/dataloader.h"
#include "strata/diag/report.h"
#include "strata/dist/process_group.h"
#include "strata/io/atomic_file.h"
#include "strata/io/checkpoint.h"
#include "strata/io/quantized.h"
#include "strata/io/safetensors.h"
#include "strata/tools/model_builder.h"
#include "strata/tools/preprocessing.h"
#include "strata/train/callbacks.h"
#include "tools/finite_weights.h"
#include "tools/interrupt.h"
#include "tools/run_callbacks.h"
#include "tools/run_report.h"
#include "tools/run_setup.h"
#include "tools/transfer_config.h"

namespace strata::tools {

using namespace detail;  // NOLINT(google-build-using-namespace): the run helpers of run_callbacks.h

std::shared_ptr<nn::Sequential> load_model(const RunConfig& config, const Datasets& data, const std::string& weights) {
  manual_seed(config.seed);
  auto model = build_model(config.model, data.example_shape);
  if (io::is_quantized_file(weights)) {
    io::load_quantized(weights, *model);  // the int8 model of `strata quantize`, rebuilt on the float one
  } else {
    load_run_weights(config, *model, weights);
  }
  return model;
}

Evaluation evaluate_model(nn::Module& model, const RunConfig& config, const Datasets& data,
                          const data::DatasetPtr& dataset) {
  Evaluation e;
  e.examples = dataset->size();
  const Tensor targets = data.classification ? dataset_targets(*dataset) : Tensor();
  // Class weights ("balanced") come from the training labels' counts, as in training.
  auto loss = build_loss(config.loss, class_weight_labels(data), data.num_classes);
  data::DataLoader loader(dataset, config.eval_batch_size, /*shuffle=*/false);
  e.logs = train::evaluate(model, *loss, loader, config.metrics, config.precision);
  if (data.classification) {
    data::DataLoader pl(dataset, config.eval_batch_size, /*shuffle=*/false);
    Tensor out = train::predict(model, pl, config.precision);
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
  const DeterministicGuard deterministic(config.deterministic);  // "deterministic": for this run, tasks included
  if (!config.task.supervised()) return run_task_training(config, options);
  RunResult r;
  std::ostream* out = options.out;
  manual_seed(config.seed);
  Datasets data = load_datasets(config);
  auto model = build_model(config.model, data.example_shape);
  apply_transfer(config, *model, out, options.write_files ? config.run_dir() : "");  // init_from, freeze
  model->to(config.device);  // before the optimizer, so that its state is made there
  r.model = model;
  const Tensor train_targets = data.classification ? dataset_targets(*data.train) : Tensor();
  auto loss = build_loss(config.loss, train_targets, data.num_classes);
  auto optimizer = build_transfer_optimizer(config, *model);  // param_groups (build_optimizer without them)

  diag::DoctorContext dctx = diag::context_for(*loss, *optimizer);
  dctx.task = data.classification ? "classification" : "regression";
  dctx.loss = config.loss.at("type").as_string();
  RunLoop loop = start_run(config, options, data, *model, *optimizer, dctx, r);
  auto keeper = std::make_shared<FiniteWeightsKeeper>();
  loop.fit.callbacks.push_back(keeper);
  print_start(out, config, "", *model, data, loop);
  set_checkpoint_state(loop);
  {
    std::optional<InterruptHandlers> signals;
    if (options.handle_signals) signals.emplace();
    r.history = train::fit(*model, *loss, *optimizer, *loop.train_loader, loop.fit, loop.val_loader.get());
  }
  const bool restored = keeper->restore_if_non_finite(*model);
  end_run(config, options, loop, *model, {}, r);
  if (r.interrupted != 0) return r;  // the checkpoint resumes it; no final files
  r.failure = non_finite_failure(r.history, r.record, restored, keeper->kept_epoch());
  if (out && !r.failure.empty()) *out << "Run failed: " << r.failure << "\n";

  io::Json results = base_results(config, r);
  if (data.test && dist::is_main()) {  // the test set on rank 0 alone (the others are done)
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
  if (!r.failure.empty()) results.set("failure", r.failure);
  if (options.write_files)
    finish_run_folder(options, r, finite_json(results), finite_json(report_data(config, data, r)), io::Json());
  return r;
}

}  // namespace strata::tools
