// Parameter groups by name pattern.
#include "strata/optim/param_groups.h"

#include "strata/core/error.h"
#include "strata/nn/transfer.h"

namespace strata::optim {

std::vector<ParamGroup> group_named_parameters(const std::vector<std::pair<std::string, Tensor>>& named,
                                               const std::vector<PatternGroup>& specs, const Options& default_options) {
  std::vector<ParamGroup> groups(specs.size() + 1);
  groups[0].options = default_options;
  for (size_t i = 0; i < specs.size(); ++i) groups[i + 1].options = specs[i].options;
  for (const auto& [name, p] : named) {
    size_t g = 0;
    for (size_t i = 0; i < specs.size() && g == 0; ++i) {
      if (nn::name_matches_any(specs[i].patterns, name)) g = i + 1;
    }
    groups[g].params.push_back(p);
  }
  std::vector<ParamGroup> out;
  for (auto& g : groups) {
    if (!g.params.empty()) out.push_back(std::move(g));
  }
  return out;
}

std::vector<ParamGroup> param_groups_by_pattern(const nn::Module& model, const std::vector<PatternGroup>& specs,
                                                const Options& default_options) {
  const auto named = model.named_parameters();
  for (size_t i = 0; i < specs.size(); ++i) {
    STRATA_CHECK(!specs[i].patterns.empty(), "[param_groups_by_pattern] group ", i, " has no patterns");
    for (const auto& pat : specs[i].patterns) {
      bool any = false;
      for (const auto& [n, _] : named) any = any || nn::name_matches(pat, n);
      STRATA_CHECK(any, "[param_groups_by_pattern] pattern '", pat, "' of group ", i, " matches no parameter");
    }
  }
  std::vector<std::pair<std::string, Tensor>> trainable;
  for (const auto& [n, p] : named) {
    if (p.requires_grad()) trainable.emplace_back(n, p);
  }
  auto out = group_named_parameters(trainable, specs, default_options);
  STRATA_CHECK(!out.empty(), "[param_groups_by_pattern] the model has no trainable parameter (all are frozen)");
  return out;
}

}  // namespace strata::optim
