#include "strata/optim/clip_grad.h"

#include <algorithm>
#include <cmath>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"

namespace strata::optim {

double clip_grad_norm_(const TensorList& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  STRATA_CHECK(norm_type >= 1.0 || std::isinf(norm_type), "[clip_grad_norm_] norm_type must be >= 1 or inf, got ",
               norm_type);
  STRATA_CHECK(max_norm >= 0.0, "[clip_grad_norm_] max_norm must be >= 0, got ", max_norm);
  NoGradGuard no_grad;
  TensorList grads;
  for (const Tensor& p : params) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  const bool inf = std::isinf(norm_type);
  // Per-tensor norms computed in the gradient's dtype (as PyTorch), combined in double.
  double total = 0.0;
  for (const Tensor& g : grads) {
    double n = norm(g, inf ? kInfNorm : norm_type).item();
    total = inf ? std::max(total, n) : total + std::pow(n, norm_type);
  }
  if (!inf) total = std::pow(total, 1.0 / norm_type);
  STRATA_CHECK(!error_if_nonfinite || std::isfinite(total), "[clip_grad_norm_] the total norm of order ", norm_type,
               " of the gradients of ", grads.size(), " parameters is ", total,
               ", so they cannot be clipped (error_if_nonfinite is set)");
  const double coef = std::min(max_norm / (total + 1e-6), 1.0);
  // PyTorch scales unconditionally; skipping coef == 1 changes nothing (x * 1 == x).
  if (!(coef == 1.0)) {
    for (Tensor& g : grads) g.mul_(coef);
  }
  return total;
}

void clip_grad_value_(const TensorList& params, double clip_value) {
  STRATA_CHECK(clip_value >= 0.0, "[clip_grad_value_] clip_value must be >= 0, got ", clip_value);
  NoGradGuard no_grad;
  for (const Tensor& p : params) {
    if (!p.defined()) continue;
    Tensor g = p.grad();
    if (g.defined()) g.clamp_(-clip_value, clip_value);
  }
}

Tensor l1_penalty(const TensorList& params) {
  Tensor total;
  for (const Tensor& p : params) {
    if (!p.defined()) continue;
    Tensor s = sum(abs(p));
    total = total.defined() ? add(total, s) : s;
  }
  return total.defined() ? total : scalar_tensor(0.0);
}

}  // namespace strata::optim
