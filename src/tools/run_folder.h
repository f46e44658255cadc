#pragma once
// What the commands that read a run folder (eval, predict, sample, embed, quantize, landscape) share.
#include <string>

namespace strata::tools::detail {

// The weights to load for a run folder's model: `weights` when it exists; else (a run killed during its final
// save has checkpoints but no model.safetensors) the newest valid checkpoint in its folder, with `note` set to one
// line saying so. With no checkpoint either, `weights` (loading it then says what is missing); with checkpoints
// that are all invalid, an error naming each and why.
std::string weights_or_latest_checkpoint(const std::string& weights, std::string& note);

}  // namespace strata::tools::detail
