// Gradual unfreezing callback.
#include "strata/train/unfreezing.h"

#include <set>

#include "strata/core/error.h"
#include "strata/nn/transfer.h"

namespace strata::train {

GradualUnfreezing::GradualUnfreezing(nn::Module& model, GradualUnfreezingOptions options)
    : model_(model), options_(std::move(options)) {
  STRATA_CHECK(!options_.groups.empty(), "[GradualUnfreezing] needs at least one group of patterns");
  STRATA_CHECK(options_.every_epochs >= 1, "[GradualUnfreezing] every_epochs must be >= 1, got ",
               options_.every_epochs);
  for (size_t i = 0; i < options_.groups.size(); ++i) {
    STRATA_CHECK(!options_.groups[i].empty(), "[GradualUnfreezing] group ", i, " has no patterns");
  }
}

void GradualUnfreezing::on_train_begin(TrainState& state) {
  const size_t due = std::min(options_.groups.size(), static_cast<size_t>(state.epoch / options_.every_epochs) + 1);
  for (size_t k = due; k < options_.groups.size(); ++k) (void)nn::freeze(model_, options_.groups[k]);
  unfrozen_ = 0;
  unfreeze_due(state);
}

void GradualUnfreezing::on_epoch_begin(TrainState& state) { unfreeze_due(state); }

void GradualUnfreezing::unfreeze_due(TrainState& state) {
  const size_t due = std::min(options_.groups.size(), static_cast<size_t>(state.epoch / options_.every_epochs) + 1);
  for (; unfrozen_ < due; ++unfrozen_) {
    const auto names = nn::unfreeze(model_, options_.groups[unfrozen_]);
    if (!state.optimizer) continue;
    std::set<const TensorImpl*> held;
    for (const auto& g : state.optimizer->param_groups()) {
      for (const Tensor& p : g.params) held.insert(p.impl());
    }
    const std::set<std::string> fresh(names.begin(), names.end());
    std::vector<std::pair<std::string, Tensor>> add;
    for (const auto& [n, p] : model_.named_parameters()) {
      if (fresh.count(n) && !held.count(p.impl())) add.emplace_back(n, p);
    }
    for (const auto& g : optim::group_named_parameters(add, options_.param_groups, options_.default_options))
      state.optimizer->add_param_group(g.params, g.options);
  }
}

}  // namespace strata::train
