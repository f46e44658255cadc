#pragma once
// Compute against accuracy: the measurements and the Pareto front behind `strata tradeoff` (docs/tradeoff.md).
//
//   std::vector<bool> front = diag::pareto_front({0.81, 0.85, 0.84}, {1e6, 4e6, 5e6});  // {true, true, false}
//   int64_t peak = diag::peak_allocated_during([&] { model(x); });                     // bytes above the start
//
// Variants: a trained model can be evaluated in other forms beside itself (int8, bfloat16). A variant is a
// function from the trained float32 model to the model to evaluate; the command measures every variant of the
// front's models the same way (metric, latency, parameter and buffer bytes). "float32" (the model itself) is
// built in; others register before the sweep runs (register_model_variants in src/tools/tradeoff_cmd.cpp is the
// place for the CLI's), e.g. with a quantizer `to_int8` of the int8 branch:
//   diag::register_tradeoff_variant({"int8", "int8 Linear weights",
//       [](const nn::ModulePtr& m, const Tensor& calibration) { return to_int8(m, calibration); }});
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "strata/core/tensor.h"
#include "strata/nn/losses.h"
#include "strata/nn/module.h"

namespace strata::diag {

// Non-dominated points for "higher quality, lower cost": point i is on the front unless some j has
// quality[j] >= quality[i] and cost[j] <= cost[i] with at least one strict. Equal points are both on it;
// a non-finite quality or cost is never on it. quality and cost have one element per point.
std::vector<bool> pareto_front(const std::vector<double>& quality, const std::vector<double>& cost);

// The CPU allocator's high-water mark while fn runs, above the bytes allocated when it started (what fn's own
// allocations add at their peak; cpu_allocator::reset_peak is called first). Not thread-safe against other
// threads allocating meanwhile.
int64_t peak_allocated_during(const std::function<void()>& fn);

// The fastest wall time of model(x) in milliseconds over `repeats` calls (after one warm-up), in eval mode
// under NoGradGuard; the model's training flag is restored.
double inference_latency_ms(nn::Module& model, const Tensor& x, int repeats = 10);

// Peak memory of one training step with the batch (x, y) at once, against the same batch in k micro-batches
// of x.size(0) / k through train::Stepper's accumulate (group_size k) and one step (SGD, lr 0: the weights
// stay as they are). k must divide the batch. Gradients are set to none before each measurement.
struct AccumulationMemory {
  int64_t batch = 0, micro_batches = 1;
  int64_t direct_peak_bytes = 0;       // batch at once
  int64_t accumulated_peak_bytes = 0;  // k micro-batches of batch / k
};
AccumulationMemory accumulation_memory(nn::Module& model, const nn::Loss& loss, const Tensor& x, const Tensor& y,
                                       int64_t micro_batches);

// A form in which a trained model is evaluated beside itself. make(trained, calibration, copy) returns the model
// to evaluate (it may return `trained` itself or wrap it; it must not change it). calibration: up to 256 training
// inputs, for variants that calibrate ranges. copy(): a fresh model of the same architecture holding the trained
// weights, for variants that convert a model in place (int8).
using ModelCopy = std::function<nn::ModulePtr()>;
struct TradeoffVariant {
  std::string name;  // "float32", "int8", "bf16"
  std::string description;
  std::function<nn::ModulePtr(const nn::ModulePtr& trained, const Tensor& calibration, const ModelCopy& copy)> make;
};
// Adds a variant, or replaces the one of the same name. An empty name or no make() is an error.
void register_tradeoff_variant(TradeoffVariant variant);
// The registered variants in registration order; "float32" is first.
std::vector<TradeoffVariant> tradeoff_variants();
// The variant called `name`, or an error listing the registered names.
TradeoffVariant find_tradeoff_variant(const std::string& name);

}  // namespace strata::diag
