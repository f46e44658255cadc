// `strata tradeoff`: argument parsing and printing around tools::run_tradeoff (strata/tools/tradeoff.h).
#include <iostream>
#include <sstream>

#include "strata/autograd/autocast.h"
#include "strata/core/error.h"
#include "strata/diag/tradeoff.h"
#include "strata/nn/conv.h"
#include "strata/nn/quantized.h"
#include "strata/tools/commands.h"
#include "strata/tools/run_config.h"
#include "strata/tools/tradeoff.h"

namespace strata::tools {

namespace {

const char* kTradeoffHelp = R"(usage: strata tradeoff <config.json> (--widths W,.. | --depths D,..) [options]

Builds the config's model at each width (or depth), trains each with the config's seed for the same budget,
and measures: the metric (test accuracy, or loss for regression), parameters, forward FLOPs per example,
batch-1 and batch-64 inference latency, the allocator's peak memory of one training step (at the batch size,
and with the batch split into micro-batches by gradient accumulation) and of a batch-64 forward. Prints a table
with the Pareto front marked (models no other beats on both the metric and a cost), evaluates each registered
variant (float32, int8, bf16) of the front's models, and writes results.json and report.html (scatter plots).
Width and depth rules per model kind: docs/tradeoff.md.

Options:
  --widths W,..         the widths to compare (mlp: first hidden size; lenet5: first conv's channels; ...)
  --depths D,..         the depths to compare (mlp: number of hidden layers)
  --epochs N            epochs per model (default: the config's)
  --budget-seconds S    stop each model's training after S seconds of wall time
  --accumulation K      micro-batches of the accumulation memory comparison (default: the config's
                        accumulation_steps, or 4)
  --variants A,..       variants to evaluate for the front's models (default: all registered)
  --repeats N           timed passes per latency figure (default 10)
  --output DIR          where results.json and report.html go (default <output_dir>/<name>_tradeoff)
  --help                this text
)";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

std::vector<int64_t> int_list(const std::string& s, const std::string& what) {
  std::vector<int64_t> out;
  for (const std::string& item : split_list(s)) {
    const int64_t v = parse_int(item, what);
    usage_check(v >= 1, "strata tradeoff: ", what, " must be at least 1, got ", v);
    out.push_back(v);
  }
  usage_check(!out.empty(), "strata tradeoff: ", what, " is empty; expected a list like 32,64,128");
  return out;
}

// Runs a trained model under AutocastGuard(bfloat16): matrix products and convolutions in bfloat16 with float32
// accumulation, the weights kept in float32 (their bfloat16 copies are made per call). Output in float32.
class AutocastBF16 : public nn::Module {
 public:
  explicit AutocastBF16(nn::ModulePtr inner) : inner_(std::move(inner)) { register_module("inner", inner_); }
  std::string type_name() const override { return "AutocastBF16"; }
  Tensor forward(const Tensor& x) override {
    AutocastGuard autocast(kBFloat16);
    Tensor y = (*inner_)(x);
    return is_floating(y.dtype()) ? y.to(kFloat32) : y;
  }

 private:
  nn::ModulePtr inner_;
};

// The variants beside the built-in "float32" that `strata tradeoff` evaluates for the front's models: int8 (as
// `strata quantize`: static with calibration when the model has a Conv2d, dynamic otherwise) and bf16 (autocast).
void register_model_variants() {
  diag::register_tradeoff_variant(
      {"int8", "post-training int8 (static with calibration for CNNs, dynamic otherwise; strata quantize)",
       [](const nn::ModulePtr& trained, const Tensor& calibration, const diag::ModelCopy& copy) {
         nn::ModulePtr m = copy();
         bool has_conv = false;
         for (const auto& [p, sub] : trained->named_modules()) {
           has_conv = has_conv || dynamic_cast<const nn::Conv2d*>(sub.get()) != nullptr;
         }
         if (has_conv) {
           std::vector<Tensor> batches;
           for (int64_t i = 0; i < calibration.size(0); i += 64) {
             batches.push_back(calibration.slice(0, i, std::min<int64_t>(i + 64, calibration.size(0))));
           }
           nn::quantize_static(*m, batches);
         } else {
           nn::quantize_dynamic(*m);
         }
         return m;
       }});
  diag::register_tradeoff_variant({"bf16", "bfloat16 autocast inference (float32 weights, bfloat16 GEMM operands)",
                                   [](const nn::ModulePtr& trained, const Tensor&, const diag::ModelCopy&) {
                                     return std::static_pointer_cast<nn::Module>(
                                         std::make_shared<AutocastBF16>(trained));
                                   }});
}

}  // namespace

int tradeoff_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(
      args, 1,
      {"--widths", "--depths", "--epochs", "--budget-seconds", "--accumulation", "--variants", "--repeats", "--output"},
      {"--help"}, "tradeoff");
  if (a.options.count("--help")) {
    out << kTradeoffHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata tradeoff: expected one config file (see --help)");
  const bool widths = a.options.count("--widths") != 0, depths = a.options.count("--depths") != 0;
  usage_check(widths != depths, "strata tradeoff: give exactly one of --widths and --depths");
  TradeoffOptions o;
  o.axis = widths ? ScaleAxis::Width : ScaleAxis::Depth;
  o.values = int_list(a.options[widths ? "--widths" : "--depths"], widths ? "--widths" : "--depths");
  if (a.options.count("--epochs")) {
    o.epochs = parse_int(a.options["--epochs"], "--epochs");
    usage_check(*o.epochs >= 1, "strata tradeoff: --epochs must be at least 1, got ", *o.epochs);
  }
  if (a.options.count("--budget-seconds")) {
    o.budget_seconds = parse_double(a.options["--budget-seconds"], "--budget-seconds");
    usage_check(o.budget_seconds > 0, "strata tradeoff: --budget-seconds must be positive, got ", o.budget_seconds);
  }
  if (a.options.count("--accumulation"))
    o.accumulation_steps = int_list(a.options["--accumulation"], "--accumulation")[0];
  if (a.options.count("--variants")) o.variants = split_list(a.options["--variants"]);
  if (a.options.count("--repeats"))
    o.latency_repeats = static_cast<int>(int_list(a.options["--repeats"], "--repeats")[0]);
  if (a.options.count("--output")) o.output_dir = a.options["--output"];
  o.out = &out;
  register_model_variants();
  const RunConfig config = load_run_config(a.positional[0]);
  const TradeoffResult r = run_tradeoff(config, o);
  out << "\n" << r.table;
  out << "Wrote " << r.output_dir << "/results.json and " << r.output_dir << "/report.html\n";
  return 0;
}

}  // namespace strata::tools
