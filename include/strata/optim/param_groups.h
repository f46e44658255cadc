#pragma once
// Parameter groups by name pattern (nn::name_matches: '*' = any characters): fine-tuning gives the new head a
// higher learning rate than the pretrained layers.
//
//   auto groups = optim::param_groups_by_pattern(*model, {{{"6.*"}, {{"lr", 0.01}}}});
//   optim::SGD opt(groups, {.lr = 0.001});   // layer 6 at 0.01, every other trainable parameter at 0.001
#include <string>
#include <vector>

#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"

namespace strata::optim {

struct PatternGroup {
  std::vector<std::string> patterns;  // parameter names ("6.*", "*.bias")
  Options options;                    // overrides of the optimizer's defaults ("lr", "weight_decay", ...)
};

// The optimizer's group list: first one group of every trainable parameter that no spec matches (with
// `default_options`, usually empty so the optimizer's defaults apply), then one group per spec in order. A
// parameter goes to the first spec that matches it. Frozen parameters (requires_grad false) are left out;
// empty groups are dropped. Errors: a pattern matching no parameter of the model (a typo), or no trainable
// parameter at all.
std::vector<ParamGroup> param_groups_by_pattern(const nn::Module& model, const std::vector<PatternGroup>& specs,
                                                const Options& default_options = {});

// The same over a list of named parameters, all taken whatever their requires_grad (gradual unfreezing's
// newly trainable parameters; the CLI's parameters that will be unfrozen later), without the checks: may
// return no group.
std::vector<ParamGroup> group_named_parameters(const std::vector<std::pair<std::string, Tensor>>& named,
                                               const std::vector<PatternGroup>& specs,
                                               const Options& default_options = {});

}  // namespace strata::optim
