#include "strata/optim/optimizer.h"

#include <set>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"

namespace strata::optim {

double ParamGroup::get(const std::string& key) const {
  auto it = options.find(key);
  STRATA_CHECK(it != options.end(), "[optim] parameter group has no option '", key, "'");
  return it->second;
}

Optimizer::Optimizer(std::string name, Options defaults, bool counts_steps)
    : name_(std::move(name)), defaults_(std::move(defaults)), counts_steps_(counts_steps) {}

void Optimizer::init_groups(const std::vector<ParamGroup>& groups) {
  STRATA_CHECK(!groups.empty(), "[", name_, "] got an empty list of parameter groups");
  for (const ParamGroup& g : groups) add_param_group(g.params, g.options);
}

void Optimizer::add_param_group(const TensorList& params, const Options& options) {
  const size_t index = groups_.size();
  STRATA_CHECK(!params.empty(), "[", name_, "] parameter group ", index, " has no parameters");
  std::set<const TensorImpl*> seen;
  for (const ParamGroup& g : groups_) {
    for (const Tensor& p : g.params) seen.insert(p.impl());
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    STRATA_CHECK(p.defined(), "[", name_, "] parameter ", i, " of group ", index, " is undefined");
    STRATA_CHECK(is_floating(p.dtype()), "[", name_, "] parameter ", i, " of group ", index,
                 " must be floating point, got ", p.dtype(), " of shape ", p.shape());
    STRATA_CHECK(p.is_leaf(), "[", name_, "] parameter ", i, " of group ", index, " (shape ", p.shape(),
                 ") is not a leaf tensor; optimise the leaves it was computed from");
    STRATA_CHECK(seen.insert(p.impl()).second, "[", name_, "] parameter ", i, " of group ", index, " (shape ",
                 p.shape(), ") appears in more than one parameter group or twice in one");
  }
  ParamGroup group{params, defaults_};
  for (const auto& [key, value] : options) {
    STRATA_CHECK(defaults_.count(key), "[", name_, "] unknown option '", key, "' in parameter group ", index);
    group.options[key] = value;
  }
  validate(group.options);
  groups_.push_back(std::move(group));
}

void Optimizer::zero_grad(bool set_to_none) {
  for (ParamGroup& g : groups_) {
    for (Tensor& p : g.params) p.zero_grad(set_to_none);
  }
}

const ParamState* Optimizer::state(const Tensor& param) const {
  auto it = state_.find(param.impl());
  return it == state_.end() ? nullptr : &it->second;
}

bool Optimizer::use_fused(const Tensor& param, const Tensor& grad) const {
  return fused_ && param.is_contiguous() && grad.is_contiguous() && param.dtype() == grad.dtype() &&
         (param.dtype() == kFloat32 || param.dtype() == kFloat64) && param.device() == grad.device();
}

void Optimizer::step() {
  NoGradGuard no_grad;
  const std::string prof_name = profile::active() != nullptr ? name_ + ".step" : std::string();
  const profile::Scope prof(profile::Kind::Optimizer, prof_name);
  for (ParamGroup& group : groups_) {
    for (Tensor& p : group.params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      STRATA_CHECK(g.shape() == p.shape(), "[", name_, "] gradient of shape ", g.shape(),
                   " does not match its parameter of shape ", p.shape());
      if (g.dtype() != p.dtype()) g = g.to(p.dtype());
      ParamState& st = state_[p.impl()];
      if (counts_steps_) ++st.step;
      update(group, p, g, st);
      p.bump_version();
    }
  }
}

OptimizerState Optimizer::state_dict() const {
  OptimizerState out;
  out.name = name_;
  for (const ParamGroup& g : groups_) {
    Options o = g.options;
    o["params"] = static_cast<double>(g.params.size());
    out.groups.push_back(std::move(o));
    for (const Tensor& p : g.params) {
      std::map<std::string, Tensor> entry;
      if (const ParamState* st = state(p)) {
        for (const auto& [key, t] : st->tensors) entry[key] = t.clone();
        if (counts_steps_) entry["step"] = scalar_tensor(static_cast<double>(st->step));
      }
      out.state.push_back(std::move(entry));
    }
  }
  return out;
}

void Optimizer::load_state_dict(const OptimizerState& s) {
  STRATA_CHECK(s.name == name_, "[", name_, "] load_state_dict got the state of a ", s.name, " optimizer");
  STRATA_CHECK(s.groups.size() == groups_.size(), "[", name_, "] load_state_dict: the state has ", s.groups.size(),
               " parameter groups, the optimizer ", groups_.size());
  size_t total = 0;
  for (size_t i = 0; i < groups_.size(); ++i) {
    auto it = s.groups[i].find("params");
    STRATA_CHECK(it != s.groups[i].end() && it->second == static_cast<double>(groups_[i].params.size()), "[", name_,
                 "] load_state_dict: group ", i, " has ", groups_[i].params.size(), " parameters but the state gives ",
                 it == s.groups[i].end() ? -1.0 : it->second);
    total += groups_[i].params.size();
  }
  STRATA_CHECK(s.state.size() == total, "[", name_, "] load_state_dict: the state has ", s.state.size(),
               " parameter entries, the optimizer ", total, " parameters");
  // Check everything before changing anything.
  size_t k = 0;
  for (const ParamGroup& g : groups_) {
    for (const Tensor& p : g.params) {
      for (const auto& [key, t] : s.state[k]) {
        STRATA_CHECK(t.defined(), "[", name_, "] load_state_dict: state '", key, "' of parameter ", k, " is undefined");
        if (key == "step") {
          STRATA_CHECK(t.numel() == 1, "[", name_, "] load_state_dict: 'step' of parameter ", k,
                       " must have one element, got shape ", t.shape());
        } else {
          STRATA_CHECK(t.shape() == p.shape(), "[", name_, "] load_state_dict: state '", key, "' of parameter ", k,
                       " has shape ", t.shape(), ", the parameter ", p.shape());
        }
      }
      ++k;
    }
  }
  std::vector<Options> options;
  for (size_t i = 0; i < groups_.size(); ++i) {
    Options o = defaults_;
    for (const auto& [key, value] : s.groups[i]) {
      if (key != "params") o[key] = value;
    }
    validate(o);
    options.push_back(std::move(o));
  }
  k = 0;
  for (size_t i = 0; i < groups_.size(); ++i) {
    groups_[i].options = std::move(options[i]);
    for (const Tensor& p : groups_[i].params) {
      const auto& entry = s.state[k++];
      if (entry.empty()) {
        state_.erase(p.impl());
        continue;
      }
      ParamState st;
      for (const auto& [key, t] : entry) {
        if (key == "step") {
          st.step = static_cast<int64_t>(t.item());
        } else {
          st.tensors[key] = t.detach().to(p.device()).to(p.dtype()).clone();
        }
      }
      state_[p.impl()] = std::move(st);
    }
  }
}

}  // namespace strata::optim
