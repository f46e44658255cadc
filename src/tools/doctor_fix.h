#pragma once
// The mechanical remedies of `strata doctor --fix` (docs/doctor.md): edits of a run config for the
// findings that have one.
#include <string>
#include <vector>

#include "strata/io/json.h"

namespace strata::tools {

// Applies the remedy of every finding id in `ids` that has one to `config` (a run config object) and
// returns one sentence per change made ("learning rate 0.8 -> 0.08"); empty when nothing applied.
std::vector<std::string> apply_fixes(io::Json& config, const std::vector<std::string>& ids);

}  // namespace strata::tools
