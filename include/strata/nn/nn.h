#pragma once
// Umbrella header for strata::nn.
#include "strata/nn/activation.h"
#include "strata/nn/attention.h"
#include "strata/nn/containers.h"
#include "strata/nn/conv.h"
#include "strata/nn/embedding.h"
#include "strata/nn/init.h"
#include "strata/nn/linear.h"
#include "strata/nn/module.h"
#include "strata/nn/normalization.h"
#include "strata/nn/resnet.h"
#include "strata/nn/rnn.h"
#include "strata/nn/transformer.h"
