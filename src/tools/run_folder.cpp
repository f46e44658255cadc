// The newest-checkpoint fallback of the commands that read a run folder (run_folder.h).
#include "tools/run_folder.h"

#include <filesystem>
#include <vector>

#include "strata/core/error.h"
#include "strata/io/checkpoint.h"

namespace strata::tools::detail {

std::string weights_or_latest_checkpoint(const std::string& weights, std::string& note) {
  if (std::filesystem::exists(weights)) return weights;
  const std::string dir = std::filesystem::path(weights).parent_path().string();
  std::vector<std::string> skipped;
  const std::string ckpt = io::find_latest_checkpoint(dir.empty() ? "." : dir, &skipped);
  if (ckpt.empty() && !skipped.empty()) {
    std::string why;
    for (const auto& s : skipped) why += "\n  " + s;
    STRATA_FAIL(weights, ": not found, and no checkpoint in ", dir, " is usable:", why);
  }
  if (ckpt.empty()) return weights;
  note = "No model.safetensors in " + dir + " (the run did not finish saving): using the model weights of " + ckpt +
         " (epoch " + std::to_string(io::load_checkpoint(ckpt).epoch) + ")\n";
  return ckpt;
}

}  // namespace strata::tools::detail
