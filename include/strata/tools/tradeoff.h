#pragma once
// `strata tradeoff`: the config's model at several widths or depths, each trained with the same seed for the same
// budget, then measured (metric, parameters, FLOPs, latency, memory) and compared on a Pareto front
// (docs/tradeoff.md). The measurements are diag/tradeoff.h's; this part scales configs and runs the sweep.
//
//   tools::TradeoffOptions o{.axis = tools::ScaleAxis::Width, .values = {32, 64, 128}, .epochs = 1};
//   tools::TradeoffResult r = tools::run_tradeoff(tools::load_run_config("cfg.json"), o);
//   r.rows[0].metric, r.rows[0].front_params, ...; r.table (the printed table)
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/tools/run_config.h"

namespace strata::tools {

enum class ScaleAxis { Width, Depth };

// The model section scaled (the rules, per model kind):
//   architecture "mlp":          width w: hidden[i] = max(1, round(hidden[i] * w / hidden[0])) (hidden[0] becomes w,
//                                the others keep their ratio to it); depth d: d hidden layers of hidden[0].
//   architecture "lenet5":       width w: channels = {w, round(channels[1] * w / channels[0])}; no depth.
//   architecture "resnet_small": width w: "width" = w; no depth.
//   "layers" lists:              width w: every Linear's out_features and Conv2d's out_channels except the last
//                                Linear's (the output) scaled by w / (the first such size), and the sizes that
//                                follow from them (in_features, in_channels, num_features of later layers) left
//                                to the builder to infer; no depth.
// An axis the model kind has no rule for, or a value < 1, is an error naming it.
io::Json scale_model_spec(const io::Json& model, ScaleAxis axis, int64_t value);

struct TradeoffOptions {
  ScaleAxis axis = ScaleAxis::Width;
  std::vector<int64_t> values;        // one model per value, in this order
  std::optional<int64_t> epochs;      // overrides the config's epochs
  double budget_seconds = 0;          // > 0: each model trains at most this long (wall time)
  std::string output_dir;             // "" : <config output_dir>/<name>_tradeoff
  std::vector<std::string> variants;  // evaluated for the front's models; empty: every registered one
  int64_t accumulation_steps = 0;     // k of the accumulation comparison (0: the config's, or 4 when it is 1)
  int latency_repeats = 10;           // timed forward passes per latency figure
  bool write_files = true;
  std::ostream* out = nullptr;  // progress lines
};

struct TradeoffVariantResult {
  std::string name;
  double metric = 0;
  double latency_b1_ms = 0, latency_b64_ms = 0;
  int64_t weight_bytes = 0;  // parameters + buffers of the variant's model
};

struct TradeoffRow {
  int64_t value = 0;         // the width or depth
  double metric = 0;         // test accuracy (classification) or loss (regression)
  double train_seconds = 0;  // the training epochs' wall time (train::fit's epochs, validation included)
  int64_t params = 0;
  int64_t flops = 0;  // forward FLOPs per example (diag::summarize)
  double latency_b1_ms = 0, latency_b64_ms = 0;
  int64_t train_memory_bytes = 0;        // allocator peak of one training step at the config's batch size
  int64_t accumulated_memory_bytes = 0;  // the same batch as accumulation_steps micro-batches
  int64_t inference_memory_bytes = 0;    // allocator peak of one batch-64 forward without gradients
  // On the Pareto front of the metric against each cost.
  bool front_params = false, front_flops = false, front_latency = false, front_memory = false;
  std::vector<TradeoffVariantResult> variants;  // for the front's models only
};

struct TradeoffResult {
  std::string metric;  // "accuracy" or "loss"
  std::string split;   // the split the metric is on: "test", "validation" or "train"
  bool higher_is_better = true;
  int64_t batch_size = 0, accumulation_steps = 1;
  std::vector<TradeoffRow> rows;
  std::string table;       // the printed table
  io::Json json;           // results.json
  std::string output_dir;  // where results.json and report.html went (write_files)
};

TradeoffResult run_tradeoff(const RunConfig& config, const TradeoffOptions& options);

}  // namespace strata::tools
