#include "strata/optim/sgd.h"

#include "backend/optim.h"
#include "optim/checks.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::optim {

Options SGDOptions::to_map() const {
  return {{"lr", lr},
          {"momentum", momentum},
          {"dampening", dampening},
          {"weight_decay", weight_decay},
          {"nesterov", nesterov ? 1.0 : 0.0}};
}

SGD::SGD(const TensorList& params, const SGDOptions& options) : SGD(std::vector<ParamGroup>{{params, {}}}, options) {}

SGD::SGD(const std::vector<ParamGroup>& groups, const SGDOptions& defaults)
    : Optimizer("SGD", defaults.to_map(), /*counts_steps=*/false) {
  init_groups(groups);
}

void SGD::validate(const Options& o) const {
  check_at_least("SGD", o, "lr", 0.0);
  check_at_least("SGD", o, "momentum", 0.0);
  check_at_least("SGD", o, "weight_decay", 0.0);
  check_flag("SGD", o, "nesterov");
  STRATA_CHECK(o.at("nesterov") == 0.0 || (o.at("momentum") > 0.0 && o.at("dampening") == 0.0),
               "[SGD] nesterov momentum requires momentum > 0 and zero dampening, got momentum ", o.at("momentum"),
               " and dampening ", o.at("dampening"));
}

void SGD::update(const ParamGroup& group, Tensor& p, const Tensor& g, ParamState& state) {
  const double lr = group.get("lr"), momentum = group.get("momentum"), dampening = group.get("dampening");
  const double wd = group.get("weight_decay");
  const bool nesterov = group.get("nesterov") != 0.0;
  auto it = state.tensors.find("momentum_buffer");
  const bool first = it == state.tensors.end();
  const backend::OptimKernels* fused = backend::maybe_optim(p.device());
  if (fused != nullptr && fused->sgd_step != nullptr && use_fused(p, g)) {
    const backend::SgdArgs a{lr, momentum, dampening, wd, nesterov, first};
    Tensor buf;
    if (momentum != 0.0) {
      if (first) {
        const TensorOptions opts = TensorOptions(p.dtype()).with_device(p.device());
        it = state.tensors.emplace("momentum_buffer", empty(p.shape(), opts)).first;
      }
      buf = it->second;
    }
    backend::optim("SGD", p.device()).sgd_step(p, g, buf, a);
    return;
  }
  // Reference path: PyTorch's _single_tensor_sgd, op for op.
  Tensor d = wd != 0.0 ? add(g, p, wd) : g;
  if (momentum != 0.0) {
    if (first) {
      it = state.tensors.emplace("momentum_buffer", d.clone()).first;
    } else {
      it->second.mul_(momentum).add_(d, 1.0 - dampening);
    }
    d = nesterov ? add(d, it->second, momentum) : it->second;
  }
  p.add_(d, -lr);
}

}  // namespace strata::optim
