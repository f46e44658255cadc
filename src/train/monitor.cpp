// Monitored epoch-log values: lookup with a helpful error, and the "auto" min/max rule.
#include "monitor.h"

#include <charconv>
#include <cmath>

#include "strata/core/error.h"
#include "strata/train/callbacks.h"

namespace strata::train {

bool monitor_mode_is_max(const std::string& mode, const std::string& monitor, const std::string& who) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  STRATA_CHECK(mode == "auto", "[", who, "] mode must be \"min\", \"max\" or \"auto\", got \"", mode, "\"");
  for (const char* word : {"acc", "f1", "precision", "recall", "auc", "top"})
    if (monitor.find(word) != std::string::npos) return true;
  return false;
}

namespace internal {

double monitored_value(const Logs& logs, const std::string& key, const char* who) {
  auto it = logs.find(key);
  if (it != logs.end()) return it->second;
  std::string present;
  for (const auto& [k, v] : logs) present += (present.empty() ? "" : ", ") + k;
  STRATA_FAIL("[", who, "] the monitored value \"", key, "\" is not in the epoch logs (present: ", present,
              "); pass a validation loader for val_* keys, or monitor another key");
}

std::string format_double(double v) {
  // to_chars writes a nan with its sign bit set as "-nan", which Python's float() and csv readers refuse; a nan
  // has no meaningful sign, so every nan is "nan" (inf and -inf are already "inf" and "-inf").
  if (std::isnan(v)) return "nan";
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

}  // namespace internal
}  // namespace strata::train
