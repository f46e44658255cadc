#pragma once
// The training layer: fit / evaluate / predict, callbacks and metrics.
#include "strata/train/callbacks.h"
#include "strata/train/fit.h"
#include "strata/train/metrics.h"
#include "strata/train/resume.h"
#include "strata/train/step.h"
#include "strata/train/task.h"
#include "strata/train/tasks.h"
