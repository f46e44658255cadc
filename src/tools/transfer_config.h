#pragma once
// The run config's transfer-learning keys (docs/cli.md): "init_from", "freeze", "param_groups" and "unfreeze",
// turned into nn::load_weights, nn::freeze, optim::param_groups_by_pattern and train::GradualUnfreezing.
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/nn/transfer.h"
#include "strata/optim/param_groups.h"
#include "strata/tools/run_config.h"
#include "strata/train/fit.h"

namespace strata::tools {

struct TransferConfig {
  struct InitFrom {
    std::string path;  // a safetensors file (relative to the working directory)
    nn::LoadOptions load;
  };
  std::optional<InitFrom> init_from;
  std::vector<std::string> freeze;
  std::vector<optim::PatternGroup> param_groups;
  int64_t unfreeze_every = 0;                             // 0: no gradual unfreezing
  std::vector<std::vector<std::string>> unfreeze_groups;  // head first
};

// The transfer keys of a whole run config (absent keys: nothing to do). Errors name the key path.
TransferConfig parse_transfer_config(const io::Json& run_config);

// After build_model: loads init_from (printing nn::format(report) to `out` and writing <run_dir>/init_from.json
// when run_dir is not empty), then freezes "freeze" and the "unfreeze" stages after the first.
void apply_transfer(const RunConfig& config, nn::Module& model, std::ostream* out, const std::string& run_dir);

// build_optimizer over param_groups_by_pattern's groups of the trainable parameters plus those that gradual
// unfreezing will unfreeze (they sit in the optimizer without gradients until then, so LR schedules and
// checkpoints see one fixed group layout).
std::shared_ptr<optim::Optimizer> build_transfer_optimizer(const RunConfig& config, nn::Module& model);

// The GradualUnfreezing callback of "unfreeze", or nullptr.
train::CallbackPtr build_unfreezing(const RunConfig& config, nn::Module& model);

}  // namespace strata::tools
