#pragma once
// Mixed-precision measurements: how many of a model's gradients float16 would flush to zero, per parameter and
// per layer. float16's smallest subnormal is 2^-24 (about 6.0e-8): a gradient entry smaller in magnitude becomes
// 0 when the gradient is computed or stored in float16. Below its smallest normal, 2^-14 (about 6.1e-5), entries
// keep fewer significant bits. Loss scaling (train::GradScaler) multiplies the gradients by `scale` to lift
// them above both limits; passing the scale shows what it rescues.
//
//   model(x) ... loss.backward();                                    // float32 gradients
//   for (const auto& c : diag::fp16_flush_by_layer(model)) c.name, c.flushed, c.flushed_fraction;
//   diag::fp16_flush_by_layer(model, 65536.0);                       // the same gradients scaled by 2^16
#include <cstdint>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/nn/module.h"

namespace strata::diag {

inline constexpr double kFloat16MinSubnormal = 5.9604644775390625e-08;  // 2^-24
inline constexpr double kFloat16MinNormal = 6.103515625e-05;            // 2^-14

struct FlushCount {
  std::string name;               // parameter key ("layers.0.weight") or layer prefix ("layers.0"; "" for the root)
  int64_t numel = 0;              // gradient entries (0 for parameters without a gradient)
  int64_t nonzero = 0;            // nonzero entries
  int64_t flushed = 0;            // nonzero entries with |g * scale| < 2^-24: zero in float16
  int64_t subnormal = 0;          // nonzero entries with |g * scale| < 2^-14 (includes the flushed ones)
  double flushed_fraction = 0;    // flushed / nonzero (0 when nothing is nonzero)
  double subnormal_fraction = 0;  // subnormal / nonzero
};

// One entry per parameter with a gradient, in named_parameters() order; gradients are multiplied by `scale`
// (> 0) before the comparison. Any floating dtype; non-finite entries count as nonzero and never as flushed.
std::vector<FlushCount> fp16_flush_by_parameter(const nn::Module& model, double scale = 1.0);
// The same summed per layer (the module owning the parameter), in first-appearance order.
std::vector<FlushCount> fp16_flush_by_layer(const nn::Module& model, double scale = 1.0);
// The totals over all entries (name "total").
FlushCount fp16_flush_total(const std::vector<FlushCount>& counts);
// A list of objects {name, numel, nonzero, flushed, subnormal, flushed_fraction, subnormal_fraction}.
io::Json to_json(const std::vector<FlushCount>& counts);

}  // namespace strata::diag
