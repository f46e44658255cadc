#pragma once
// Argument checks and the reduction shared by the loss files (src/nn/losses.cpp, src/nn/focal_loss.cpp).
#include "strata/core/tensor.h"
#include "strata/ops/softmax.h"

namespace strata::nn::detail {

// input must be a float tensor, and target must have input's shape; the error names op and both shapes.
void check_pair(const char* op, const Tensor& input, const Tensor& target);
// t (when defined) must broadcast to input's shape without enlarging it.
void check_broadcasts_to(const char* op, const char* what, const Tensor& t, const Tensor& input);
// loss itself (None), its mean or its sum.
Tensor reduce(const Tensor& loss, Reduction r);

}  // namespace strata::nn::detail
