#pragma once
// Option checks shared by the optimizers; errors name the optimizer, the option and the value.
#include <string>

#include "strata/core/error.h"
#include "strata/optim/optimizer.h"

namespace strata::optim {

inline void check_at_least(const char* opt, const Options& o, const std::string& key, double low) {
  double v = o.at(key);
  STRATA_CHECK(v >= low, "[", opt, "] invalid ", key, " ", v, " (must be >= ", low, ")");
}

inline void check_below(const char* opt, const Options& o, const std::string& key, double low, double high) {
  double v = o.at(key);
  STRATA_CHECK(v >= low && v < high, "[", opt, "] invalid ", key, " ", v, " (must be in [", low, ", ", high, "))");
}

inline void check_flag(const char* opt, const Options& o, const std::string& key) {
  double v = o.at(key);
  STRATA_CHECK(v == 0.0 || v == 1.0, "[", opt, "] option ", key, " is a flag (0 or 1), got ", v);
}

}  // namespace strata::optim
