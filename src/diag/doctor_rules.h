#pragma once
// Doctor rules kept in files of their own (doctor.cpp holds the others and calls these from diagnose()).
#include <cstdio>
#include <string>
#include <vector>

#include "strata/diag/doctor.h"

namespace strata::diag {

// v printed with a printf format ("%.2f", "%.3g"), for the rules' evidence text.
inline std::string format_number(double v, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// mode_collapse: the last sample check of a generative run covers too few modes or classes, or its samples are
// much less diverse than the data (mode_collapse_rule.cpp).
void rule_mode_collapse(const TrainingRecord& record, const DoctorThresholds& thresholds, std::vector<Finding>& out);

// fp16_overflow (error): the loss scale collapsed below thresholds.min_loss_scale, or many steps in a row were
// skipped; skipped_steps (warning): more than thresholds.skipped_fraction of the steps after the initial
// calibration were skipped (loss_scale_rule.cpp).
void rule_loss_scale(const TrainingRecord& record, const DoctorThresholds& thresholds, std::vector<Finding>& out);

}  // namespace strata::diag
