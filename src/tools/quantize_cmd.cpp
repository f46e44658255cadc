// `strata quantize runs/<name>`: post-training int8 quantization of a trained run (nn/quantized.h), written to
// runs/<name>/model.int8.safetensors (io/quantized.h), with float32 vs int8 accuracy on the test split and sizes.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "strata/core/error.h"
#include "strata/data/dataloader.h"
#include "strata/io/quantized.h"
#include "strata/nn/quantized.h"
#include "strata/tools/commands.h"
#include "strata/tools/run.h"
#include "tools/run_folder.h"

namespace strata::tools {

namespace {

const char* kQuantizeHelp = R"(usage: strata quantize <run dir> [options]

Post-training int8 quantization for inference (docs/quantization.md): int8 weights per output channel, uint8
activations, int32 products. Writes <run dir>/model.int8.safetensors and prints the float32 and int8 accuracy on
the test set and both files' sizes. `strata eval` / `strata predict` run the result with --int8 (or
--weights <file>: a quantized file is recognised by its metadata).

Options:
  --mode MODE         static: Conv2d and Linear with activation ranges fixed from calibration batches;
                      dynamic: Linear, LSTM and GRU, activation ranges taken from each batch.
                      Default: static when the model has a Conv2d, else dynamic.
  --calibration N     static mode: calibrate on the first N training examples (default 1024)
  --weights FILE      float weights to quantize (default: <run dir>/model.safetensors)
  --help              this text
)";

std::string megabytes(const std::string& path) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f MB", static_cast<double>(std::filesystem::file_size(path)) / 1e6);
  return buf;
}

}  // namespace

int quantize_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--mode", "--calibration", "--weights"}, {"--help"}, "quantize");
  if (a.options.count("--help")) {
    out << kQuantizeHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata quantize: expected one run folder (see --help)");
  const std::string dir = a.positional[0];
  STRATA_CHECK(std::filesystem::is_directory(dir), "strata quantize: ", dir,
               " is not a run folder (train one with strata train <config.json>)");
  STRATA_CHECK(std::filesystem::exists(dir + "/config.json"), "strata quantize: ", dir, " has no config.json");
  std::string note;
  const std::string weights = a.options.count("--weights")
                                  ? a.options["--weights"]
                                  : detail::weights_or_latest_checkpoint(dir + "/model.safetensors", note);
  STRATA_CHECK(std::filesystem::exists(weights), "strata quantize: no model in ", dir, " (", weights,
               " is missing; train it first)");
  out << note;
  const RunConfig config = load_run_config(dir + "/config.json");
  STRATA_CHECK(config.task.supervised(), "strata quantize: only supervised models are quantized, ", dir, " holds a ",
               config.task.type, " run");
  std::optional<nn::QuantMode> asked;
  if (a.options.count("--mode")) {
    try {
      asked = nn::quant_mode_from(a.options["--mode"], "strata quantize --mode");
    } catch (const Error& e) {
      throw UsageError(e.what());  // a bad option value is a usage mistake (exit 2)
    }
  }
  const int64_t calib_n =
      a.options.count("--calibration") ? parse_int(a.options["--calibration"], "--calibration") : 1024;
  usage_check(calib_n >= 1, "strata quantize: --calibration must be at least 1, got ", calib_n);

  Datasets d = load_datasets(config);
  auto model = load_model(config, d, weights);
  model->eval();
  bool has_conv = false;
  for (const auto& [p, m] : model->named_modules()) has_conv = has_conv || dynamic_cast<const nn::Conv2d*>(m.get());
  const nn::QuantMode mode = asked.value_or(has_conv ? nn::QuantMode::Static : nn::QuantMode::Dynamic);
  STRATA_CHECK(d.test != nullptr, "strata quantize: the config's data has no test split");
  const Evaluation before = evaluate_model(*model, config, d, d.test);

  nn::QuantizeReport report;
  if (mode == nn::QuantMode::Static) {
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < std::min(calib_n, d.train->size()); ++i) idx.push_back(i);
    data::DataLoader loader(std::make_shared<data::Subset>(d.train, idx), config.eval_batch_size, /*shuffle=*/false);
    std::vector<Tensor> calibration;
    for (const data::Batch& b : loader) calibration.push_back(b.input);
    report = nn::quantize_static(*model, calibration);
  } else {
    report = nn::quantize_dynamic(*model);
  }
  STRATA_CHECK(!report.quantized.empty(), "strata quantize: ", nn::quant_mode_name(mode),
               " quantization found no layer to quantize in ", dir, "\n", report.to_string());
  const Evaluation after = evaluate_model(*model, config, d, d.test);
  const std::string path = dir + "/model.int8.safetensors";
  io::save_quantized(path, *model, {{"strata.source", weights}});

  out << "Quantized " << dir << " (" << nn::quant_mode_name(mode) << ")";
  if (mode == nn::QuantMode::Static) out << ", calibrated on " << std::min(calib_n, d.train->size()) << " examples";
  out << ":\n" << report.to_string();
  char buf[160];
  const char* metric = d.classification ? "accuracy" : "loss";
  auto value = [&](const Evaluation& e) { return d.classification ? 100.0 * e.report.accuracy : e.logs.at("loss"); };
  std::snprintf(buf, sizeof buf, "Test %s: float32 %.2f%s, int8 %.2f%s (%+.2f)\n", metric, value(before),
                d.classification ? "%" : "", value(after), d.classification ? "%" : "", value(after) - value(before));
  out << buf;
  out << "Size: " << weights << " " << megabytes(weights) << ", " << path << " " << megabytes(path) << "\n";
  out << "Wrote " << path << "\n";
  return 0;
}

}  // namespace strata::tools
