#include "strata/optim/adam.h"

#include <cmath>

#include "backend/optim.h"
#include "optim/checks.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::optim {

Options AdamOptions::to_map() const {
  return {{"lr", lr},
          {"beta1", beta1},
          {"beta2", beta2},
          {"eps", eps},
          {"weight_decay", weight_decay},
          {"amsgrad", amsgrad ? 1.0 : 0.0}};
}

Adam::Adam(const TensorList& params, const AdamOptions& options)
    : Adam(std::vector<ParamGroup>{{params, {}}}, options) {}

Adam::Adam(const std::vector<ParamGroup>& groups, const AdamOptions& defaults) : Adam("Adam", false, defaults) {
  init_groups(groups);
}

Adam::Adam(std::string name, bool decoupled, const AdamOptions& defaults)
    : Optimizer(std::move(name), defaults.to_map(), /*counts_steps=*/true), decoupled_(decoupled) {}

AdamW::AdamW(const TensorList& params, const AdamWOptions& options)
    : AdamW(std::vector<ParamGroup>{{params, {}}}, options) {}

AdamW::AdamW(const std::vector<ParamGroup>& groups, const AdamWOptions& defaults)
    : Adam("AdamW", true, defaults.as_adam()) {
  init_groups(groups);
}

void Adam::validate(const Options& o) const {
  const char* n = decoupled_ ? "AdamW" : "Adam";
  check_at_least(n, o, "lr", 0.0);
  check_at_least(n, o, "eps", 0.0);
  check_below(n, o, "beta1", 0.0, 1.0);
  check_below(n, o, "beta2", 0.0, 1.0);
  check_at_least(n, o, "weight_decay", 0.0);
  check_flag(n, o, "amsgrad");
}

void Adam::update(const ParamGroup& group, Tensor& p, const Tensor& g, ParamState& state) {
  const double lr = group.get("lr"), beta1 = group.get("beta1"), beta2 = group.get("beta2");
  const double eps = group.get("eps"), wd = group.get("weight_decay");
  const bool amsgrad = group.get("amsgrad") != 0.0;
  const TensorOptions opts = TensorOptions(p.dtype()).with_device(p.device());  // state lives beside p
  if (state.tensors.empty()) {
    state.tensors["exp_avg"] = zeros(p.shape(), opts);
    state.tensors["exp_avg_sq"] = zeros(p.shape(), opts);
  }
  if (amsgrad && !state.tensors.count("max_exp_avg_sq")) {
    state.tensors["max_exp_avg_sq"] = zeros(p.shape(), opts);
  }
  Tensor& m = state.tensors.at("exp_avg");
  Tensor& v = state.tensors.at("exp_avg_sq");
  Tensor vmax = amsgrad ? state.tensors.at("max_exp_avg_sq") : Tensor();
  const backend::OptimKernels* fused = backend::maybe_optim(p.device());
  if (fused != nullptr && fused->adam_step != nullptr && use_fused(p, g)) {
    const backend::AdamArgs a{lr, beta1, beta2, eps, wd, decoupled_, state.step};
    backend::optim(name().c_str(), p.device()).adam_step(p, g, m, v, vmax, a);
    return;
  }
  // Reference path: PyTorch's _single_tensor_adam / _single_tensor_adamw, op for op.
  Tensor grad = g;
  if (decoupled_) {
    p.mul_(1.0 - lr * wd);
  } else if (wd != 0.0) {
    grad = add(g, p, wd);
  }
  m.mul_(beta1).add_(grad, 1.0 - beta1);
  v.mul_(beta2).add_(mul(grad, grad), 1.0 - beta2);
  const double step = static_cast<double>(state.step);
  const double bias_correction1 = 1.0 - std::pow(beta1, step);
  const double bias_correction2 = 1.0 - std::pow(beta2, step);
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  Tensor denom;
  if (amsgrad) {
    vmax.copy_(maximum(vmax, v));
    denom = sqrt(vmax).div_(bias_correction2_sqrt).add_(eps);
  } else {
    denom = sqrt(v).div_(bias_correction2_sqrt).add_(eps);
  }
  p.add_(div(m, denom), -step_size);
}

}  // namespace strata::optim
