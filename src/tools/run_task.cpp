// run_training for the autoencoder, VAE and GAN tasks: the same run folder, callbacks, doctor and report as a
// supervised run, with the task's loss terms in the logs and its pictures in the folder and the report.
#include <filesystem>
#include <optional>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/diag/report.h"
#include "strata/dist/process_group.h"
#include "strata/io/safetensors.h"
#include "strata/tools/run.h"
#include "strata/train/callbacks.h"
#include "tools/finite_weights.h"
#include "tools/interrupt.h"
#include "tools/run_callbacks.h"
#include "tools/run_report.h"
#include "tools/run_setup.h"
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
  load_run_weights(config, *model, weights);
  return model;
}

Evaluation evaluate_task_model(const RunConfig& config, const nn::ModulePtr& model, const data::DatasetPtr& dataset) {
  TaskParts parts = make_task(config, model);
  data::DataLoader loader(dataset, config.eval_batch_size, false);
  Evaluation e;
  e.logs = train::evaluate_task(*parts.task, loader, config.precision);
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

  diag::DoctorContext dctx;
  dctx.task = config.task.type;
  dctx.loss = parts.loss_name;
  dctx.optimizer = task.optimizer().name();
  if (!task.optimizer().param_groups().empty()) dctx.lr = task.optimizer().param_groups()[0].lr();
  std::function<diag::SampleCheck()> probe;
  if (auto gan = std::dynamic_pointer_cast<nn::GAN>(model)) probe = make_sample_probe(config, data, gan, out);
  RunLoop loop = start_run(config, options, data, *model, task.optimizer(), dctx, r, probe, parts.d_optimizer.get());
  auto keeper = std::make_shared<FiniteWeightsKeeper>();
  loop.fit.callbacks.push_back(keeper);
  print_start(out, config, " (" + config.task.type + ")", *model, data, loop);
  set_checkpoint_state(loop);
  {
    std::optional<InterruptHandlers> signals;
    if (options.handle_signals) signals.emplace();
    r.history = train::fit_task(task, *loop.train_loader, loop.fit, loop.val_loader.get());
  }
  const bool restored = keeper->restore_if_non_finite(*model);
  end_run(config, options, loop, *model, {{"task", config.task.type}}, r);
  if (r.interrupted != 0) return r;  // the checkpoint resumes it; no final files
  r.failure = non_finite_failure(r.history, r.record, restored, keeper->kept_epoch());
  if (out && !r.failure.empty()) *out << "Run failed: " << r.failure << "\n";
  if (out && !r.record.sample_checks.empty()) {
    const diag::SampleCheck& c = r.record.sample_checks.back();
    *out << "Samples:";
    if (c.modes > 0)
      *out << " " << c.modes_covered << " of " << c.modes << " modes covered, " << fmt(100 * c.high_quality, "%.1f")
           << "% high quality;";
    if (c.classes > 0) *out << " " << c.classes_covered << " of " << c.classes << " classes;";
    *out << " diversity " << fmt(c.diversity_ratio, "%.2f") << "x the data's\n";
  }

  io::Json results = base_results(config, r);
  results.set("task", config.task.type);
  if (data.test && dist::is_main()) {  // the test set on rank 0 alone (the others are done)
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
  if (!r.failure.empty()) results.set("failure", r.failure);
  if (options.write_files) {
    const io::Json images = write_task_images(config, *model, data, r.run_dir, config.task.samples, config.seed);
    finish_run_folder(options, r, finite_json(results), finite_json(report_data(config, data, r)), images);
  }
  return r;
}

}  // namespace strata::tools
