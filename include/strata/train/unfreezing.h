#pragma once
// Gradual unfreezing (ULMFiT, Howard & Ruder 2018): fine-tune the head first, then unfreeze one more group of
// layers every few epochs, working back towards the input, so the pretrained features are not wrecked by the
// large early gradients of a fresh head.
//
//   GradualUnfreezingOptions o;
//   o.groups = {{"6.*"}, {"3.*"}, {"0.*"}};   // from the head backwards
//   o.every_epochs = 2;                        // epochs 0-1: layer 6; 2-3: 6 and 3; 4-: all three
//   fit_options.callbacks.push_back(std::make_shared<train::GradualUnfreezing>(*model, o));
#include <string>
#include <vector>

#include "strata/optim/param_groups.h"
#include "strata/train/fit.h"

namespace strata::train {

struct GradualUnfreezingOptions {
  std::vector<std::vector<std::string>> groups;  // name patterns per stage, head first (nn::name_matches)
  int64_t every_epochs = 1;                      // stage k is trainable from epoch k * every_epochs on
  // Where newly unfrozen parameters that the optimizer does not hold yet go: grouped as
  // optim::param_groups_by_pattern groups them, each non-empty group added with add_param_group.
  std::vector<optim::PatternGroup> param_groups;
  optim::Options default_options;
};

// on_train_begin freezes the parameters of every stage not yet due (so the optimizer may have been built
// before) and, like on_epoch_begin, unfreezes every stage due at the current epoch (a resumed run starts with
// the right stages). Parameters the optimizer does not hold are added to it as new groups, as
// torch.optim.Optimizer.add_param_group does. Errors: no groups, every_epochs < 1, a pattern matching no
// parameter.
class GradualUnfreezing : public Callback {
 public:
  GradualUnfreezing(nn::Module& model, GradualUnfreezingOptions options);
  void on_train_begin(TrainState& state) override;
  void on_epoch_begin(TrainState& state) override;
  // Stages unfrozen so far (1 after on_train_begin).
  size_t stages_unfrozen() const { return unfrozen_; }

 private:
  void unfreeze_due(TrainState& state);
  nn::Module& model_;
  GradualUnfreezingOptions options_;
  size_t unfrozen_ = 0;
};

}  // namespace strata::train
