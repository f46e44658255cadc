#include "strata/optim/rmsprop.h"

#include "backend/optim.h"
#include "optim/checks.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::optim {

Options RMSpropOptions::to_map() const {
  return {{"lr", lr},
          {"alpha", alpha},
          {"eps", eps},
          {"weight_decay", weight_decay},
          {"momentum", momentum},
          {"centered", centered ? 1.0 : 0.0}};
}

RMSprop::RMSprop(const TensorList& params, const RMSpropOptions& options)
    : RMSprop(std::vector<ParamGroup>{{params, {}}}, options) {}

RMSprop::RMSprop(const std::vector<ParamGroup>& groups, const RMSpropOptions& defaults)
    : Optimizer("RMSprop", defaults.to_map(), /*counts_steps=*/true) {
  init_groups(groups);
}

void RMSprop::validate(const Options& o) const {
  check_at_least("RMSprop", o, "lr", 0.0);
  check_at_least("RMSprop", o, "eps", 0.0);
  check_at_least("RMSprop", o, "alpha", 0.0);
  check_at_least("RMSprop", o, "momentum", 0.0);
  check_at_least("RMSprop", o, "weight_decay", 0.0);
  check_flag("RMSprop", o, "centered");
}

void RMSprop::update(const ParamGroup& group, Tensor& p, const Tensor& g, ParamState& state) {
  const double lr = group.get("lr"), alpha = group.get("alpha"), eps = group.get("eps");
  const double wd = group.get("weight_decay"), momentum = group.get("momentum");
  const bool centered = group.get("centered") != 0.0;
  auto state_tensor = [&](const char* key) -> Tensor& {
    auto it = state.tensors.find(key);
    if (it == state.tensors.end())
      it = state.tensors.emplace(key, zeros(p.shape(), TensorOptions(p.dtype()).with_device(p.device()))).first;
    return it->second;
  };
  Tensor& sq = state_tensor("square_avg");
  Tensor gavg = centered ? state_tensor("grad_avg") : Tensor();
  Tensor buf = momentum > 0.0 ? state_tensor("momentum_buffer") : Tensor();
  const backend::OptimKernels* fused = backend::maybe_optim(p.device());
  if (fused != nullptr && fused->rmsprop_step != nullptr && use_fused(p, g)) {
    const backend::RmspropArgs a{lr, alpha, eps, wd, momentum, centered};
    backend::optim("RMSprop", p.device()).rmsprop_step(p, g, sq, gavg, buf, a);
    return;
  }
  // Reference path: PyTorch's _single_tensor_rmsprop, op for op.
  Tensor grad = wd != 0.0 ? add(g, p, wd) : g;
  sq.mul_(alpha).add_(mul(grad, grad), 1.0 - alpha);
  Tensor avg;
  if (centered) {
    gavg.mul_(alpha).add_(grad, 1.0 - alpha);
    avg = sqrt(sub(sq, mul(gavg, gavg)));
  } else {
    avg = sqrt(sq);
  }
  avg.add_(eps);
  if (momentum > 0.0) {
    buf.mul_(momentum).add_(div(grad, avg));
    p.add_(buf, -lr);
  } else {
    p.add_(div(grad, avg), -lr);
  }
}

}  // namespace strata::optim
