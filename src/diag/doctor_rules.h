#pragma once
// Doctor rules kept in files of their own (doctor.cpp holds the others and calls these from diagnose()).
#include <vector>

#include "strata/diag/doctor.h"

namespace strata::diag {

// mode_collapse: the last sample check of a generative run covers too few modes or classes, or its samples are
// much less diverse than the data (mode_collapse_rule.cpp).
void rule_mode_collapse(const TrainingRecord& record, const DoctorThresholds& thresholds, std::vector<Finding>& out);

}  // namespace strata::diag
