// `strata lr-find`: the learning-rate range test (diag::lr_find) on a config's model, loss, optimizer and data.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/diag/lr_find.h"
#include "strata/io/atomic_file.h"
#include "strata/optim/clip_grad.h"
#include "strata/tools/commands.h"
#include "strata/tools/model_builder.h"
#include "strata/tools/run_config.h"
#include "strata/train/step.h"
#include "tools/run_report.h"

namespace strata::tools {

namespace {

const char* kLrFindHelp = R"(usage: strata lr-find <config.json> [options]

The learning-rate range test (Smith 2017; fastai's lr_find): trains the config's model on its training data
for up to N steps while the learning rate of every parameter group grows exponentially from --min-lr to
--max-lr, records the loss and its bias-corrected moving average (beta 0.98), and stops early when the
smoothed loss exceeds 4x its minimum. Suggests the LR where the smoothed loss falls fastest over log(lr).
The model starts from the config's seed; nothing is trained for good (weights and optimizer are restored).
The config's schedule and accumulation_steps are ignored; its clipping applies. docs/landscape.md explains
how to read the result.

Options:
  --steps N           number of steps (default 100)
  --min-lr X          first learning rate (default 1e-7)
  --max-lr Y          last learning rate (default 10)
  --output FILE       the JSON result (default <run dir>/lr_find.json, written atomically)
  --help              this text
)";

// One optimizer step on one batch; returns the loss before the update. The only training step in this file,
// so that it can become train::step in one place.
double one_training_step(nn::Module& model, const nn::Loss& loss, optim::Optimizer& optimizer, const data::Batch& b,
                         const RunConfig& config) {
  model.train();
  return train::step(model, optimizer, [&] { return loss(model(b.input), b.target); },
                     {.clip_grad_norm = config.clip_grad_norm, .clip_grad_value = config.clip_grad_value})
      .loss;
}

// The loader's batches, starting a new epoch whenever one ends.
class BatchCycle {
 public:
  explicit BatchCycle(data::DataLoader& loader) : loader_(loader) {}
  const data::Batch& next() {
    if (it_) ++*it_;
    if (!it_ || *it_ == loader_.end()) {
      it_.reset();  // joins the previous epoch's prefetch thread before starting the next
      it_.emplace(loader_.begin());
      STRATA_CHECK(!(*it_ == loader_.end()), "strata lr-find: the training data has no batches");
    }
    return **it_;
  }

 private:
  data::DataLoader& loader_;
  std::optional<data::DataLoader::Iterator> it_;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

int lr_find_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--steps", "--min-lr", "--max-lr", "--output"}, {"--help"}, "lr-find");
  if (a.options.count("--help")) {
    out << kLrFindHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata lr-find: expected one config file (see strata lr-find --help)");
  diag::LRFindOptions o;
  if (a.options.count("--steps")) o.num_steps = parse_int(a.options["--steps"], "--steps");
  if (a.options.count("--min-lr")) o.min_lr = parse_double(a.options["--min-lr"], "--min-lr");
  if (a.options.count("--max-lr")) o.max_lr = parse_double(a.options["--max-lr"], "--max-lr");
  usage_check(o.num_steps >= 2, "--steps: expected at least 2, got ", o.num_steps);
  usage_check(o.min_lr > 0 && o.max_lr > o.min_lr, "--min-lr / --max-lr: expected 0 < min < max, got ", o.min_lr,
              " and ", o.max_lr);
  const RunConfig config = load_run_config(a.positional[0]);
  const std::string output = a.options.count("--output") ? a.options["--output"] : config.run_dir() + "/lr_find.json";

  // As run_training builds them, so the sweep sees the run's initial weights.
  manual_seed(config.seed);
  Datasets data = load_datasets(config);
  auto model = build_model(config.model, data.example_shape);
  auto loss = build_loss(config.loss, data.classification ? dataset_targets(*data.train) : Tensor(), data.num_classes);
  auto optimizer = build_optimizer(config.optimizer, model->parameters());
  data::DataLoaderOptions lo;
  lo.batch_size = config.batch_size;
  lo.shuffle = true;
  lo.seed = config.seed;
  data::DataLoader loader(data.train, lo);
  BatchCycle batches(loader);

  out << "LR range test on " << config.name << ": " << o.num_steps << " steps from " << o.min_lr << " to " << o.max_lr
      << ", batch size " << config.batch_size << "\n";
  const diag::LRFindResult r = diag::lr_find(
      *model, *optimizer, [&] { return one_training_step(*model, *loss, *optimizer, batches.next(), config); }, o);

  // About 20 rows of the sweep, and the last one.
  out << "        lr        loss    smoothed\n";
  const int64_t every = std::max<int64_t>(1, r.steps_run / 20);
  for (int64_t i = 0; i < r.steps_run; ++i) {
    if (i % every != 0 && i + 1 != r.steps_run) continue;
    const auto k = static_cast<size_t>(i);
    out << fmt("%10.3g", r.lrs[k]) << "  " << fmt("%10.4f", r.losses[k]) << "  " << fmt("%10.4f", r.smoothed[k])
        << "\n";
  }
  if (r.diverged) out << "Stopped at step " << r.steps_run << ": the smoothed loss diverged.\n";
  out << "Minimum smoothed loss at lr " << fmt("%.3g", r.min_loss_lr) << "\n";
  out << "Suggested lr: " << fmt("%.3g", r.suggested_lr) << " (" << r.reason << ")\n";

  const std::filesystem::path parent = std::filesystem::path(output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const std::string text = diag::to_json(r).dump(2) + "\n";
  io::AtomicFile f(output);
  f.write(text.data(), text.size());
  f.commit();
  out << "Wrote " << output << "\n";
  if (!a.options.count("--output")) add_to_report(config.run_dir(), "lr_find", diag::to_json(r));
  return 0;
}

}  // namespace strata::tools
