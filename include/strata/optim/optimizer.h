#pragma once
// Optimizer base: parameter groups with their own options (fine-tuning gives layers different learning
// rates), per-parameter state, zero_grad, and a serialisable state_dict. step() updates in place under
// NoGradGuard and skips parameters whose .grad is undefined. Semantics follow PyTorch 1.13.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::optim {

// Options of a parameter group by name: "lr", "weight_decay" and the optimizer's own fields
// ("momentum", "beta1", "amsgrad", ...). Booleans are stored as 0 or 1.
using Options = std::map<std::string, double>;

// One parameter group: its parameters and its options (every key of the optimizer's defaults is present).
struct ParamGroup {
  TensorList params;
  // When passed to a constructor or add_param_group: only the overrides of the defaults. LR schedulers
  // add their bookkeeping here as PyTorch does ("initial_lr"; OneCycleLR's "max_lr", "min_lr", ...).
  Options options;

  double lr() const { return get("lr"); }
  void set_lr(double lr) { options["lr"] = lr; }
  // The option `key`; an error naming the key when the group has no such option.
  double get(const std::string& key) const;
};

// State of one parameter: its step count and named state tensors (PyTorch's names: "momentum_buffer",
// "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "square_avg", "grad_avg").
struct ParamState {
  int64_t step = 0;
  std::map<std::string, Tensor> tensors;
};

// The serialisable state of an optimizer (state_dict() / load_state_dict()), laid out as PyTorch's:
//   name    the optimizer's class name ("SGD", "RMSprop", "Adam", "AdamW");
//   groups  one entry per parameter group: its options plus "params" = the number of its parameters;
//   state   one entry per parameter, counting through the groups in order: the state tensors (copies) by
//           name, plus "step" as a 0-d float32 tensor for optimizers that count steps; an empty map for a
//           parameter that has not been updated yet.
struct OptimizerState {
  std::string name;
  std::vector<Options> groups;
  std::vector<std::map<std::string, Tensor>> state;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient.
  void step();
  // Clears the gradients of every parameter (to undefined by default, else to zeros).
  void zero_grad(bool set_to_none = true);
  // Adds a group; `options` override the optimizer's defaults (an unknown key is an error). A parameter
  // may belong to one group only; parameters must be floating-point leaves.
  void add_param_group(const TensorList& params, const Options& options = {});

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  const Options& defaults() const { return defaults_; }
  const std::string& name() const { return name_; }
  // The state of `param` (nullptr before its first update or if it is not optimised here).
  const ParamState* state(const Tensor& param) const;

  OptimizerState state_dict() const;
  // Restores groups' options and the per-parameter state; the group layout, parameter count and state
  // shapes must match this optimizer's (errors name the group or parameter index). Options beyond the
  // defaults (the schedulers' "initial_lr", "max_lr", ...) are restored too.
  void load_state_dict(const OptimizerState& state);

  // Contiguous float32/float64 parameters take one fused loop per parameter (src/kernels/cpu/optim.h);
  // off forces the tensor-op reference path (tests compare the two).
  void set_fused(bool on) { fused_ = on; }
  bool fused() const { return fused_; }

 protected:
  Optimizer(std::string name, Options defaults, bool counts_steps);
  // Adds each group of `groups` (options are overrides); an error when there are none.
  void init_groups(const std::vector<ParamGroup>& groups);
  // Checks the values of a group's complete options (errors name the optimizer and the option).
  virtual void validate(const Options& options) const = 0;
  // Updates one parameter in place (grad has its shape and dtype); state.step is already incremented
  // for optimizers that count steps.
  virtual void update(const ParamGroup& group, Tensor& param, const Tensor& grad, ParamState& state) = 0;
  // True when the fused kernel can run on param, grad and the given state tensors.
  bool use_fused(const Tensor& param, const Tensor& grad) const;

 private:
  std::string name_;
  Options defaults_;
  bool counts_steps_;
  bool fused_ = true;
  std::vector<ParamGroup> groups_;
  std::map<const TensorImpl*, ParamState> state_;
};

}  // namespace strata::optim
