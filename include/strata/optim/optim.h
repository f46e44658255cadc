#pragma once
// Umbrella header for the optim layer: optimizers, LR schedulers, gradient
// clipping.
#include "strata/optim/adam.h"
#include "strata/optim/clip_grad.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/optim/optimizer.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"
