#pragma once
// Internal: the timed pass of summarize() with options.latency (the scheme is in strata/diag/summary.h).
#include <vector>

#include "strata/diag/summary.h"

namespace strata::diag::detail {

// Times `modules` (named_modules() order: [0] is the model, [i + 1] is s.layers[i]) over options.latency_repeats
// forward + backward passes after one warm-up, and fills forward_ms / backward_ms of s and its layers.
void time_layers(nn::Module& model, const Shape& input_shape, const SummaryOptions& options,
                 const std::vector<nn::Module*>& modules, ModelSummary& s);

}  // namespace strata::diag::detail
