#pragma once
// Shared by the callbacks that watch an epoch-log value (EarlyStopping, ModelCheckpoint, LRSchedulerCallback).
#include <string>

#include "strata/train/metrics.h"

namespace strata::train::internal {

// logs[key], or an error naming `who`, the key and the keys present.
double monitored_value(const Logs& logs, const std::string& key, const char* who);

// Shortest text that reads back to v ("0.1"); non-finite values are "nan" (whatever the nan's sign bit), "inf",
// "-inf", as Python's float() and csv readers take them.
std::string format_double(double v);

}  // namespace strata::train::internal
