#pragma once
// Gradient clipping and an L1 penalty (PyTorch's torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
#include <limits>

#include "strata/core/tensor.h"

namespace strata::optim {

inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

// Scales every defined .grad of `params` in place so that their joint norm (the norm of the per-tensor
// norms) is at most max_norm: g *= min(1, max_norm / (total + 1e-6)). norm_type is a p >= 1 or kInfNorm.
// Returns the total norm before clipping (0 when no parameter has a gradient). With error_if_nonfinite a
// nan or inf total is an error; otherwise the gradients are scaled by the non-finite coefficient as in PyTorch.
double clip_grad_norm_(const TensorList& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every defined .grad of `params` to [-clip_value, clip_value] in place.
void clip_grad_value_(const TensorList& params, double clip_value);

// sum over params of sum |w|: a differentiable 0-d tensor to add to a loss (times a coefficient) for L1
// regularisation. float32 0-d zero for an empty list.
Tensor l1_penalty(const TensorList& params);

}  // namespace strata::optim
