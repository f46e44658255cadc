#pragma once
// Internal: the FLOPs counter registry that summarize() consults (src/diag/flops.cpp).
#include "strata/diag/summary.h"

namespace strata::diag::detail {

// The most recently registered counter whose matcher accepts `m`; null when none does.
FlopsCounter find_flops_counter(const nn::Module& m);

}  // namespace strata::diag::detail
