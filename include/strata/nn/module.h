#pragma once
// nn::Module: the base of every layer. A module owns named parameters, buffers and submodules in
// registration order, so that named_parameters() and state_dict() produce PyTorch's keys
// ("features.0.weight", "bn1.running_mean") and PyTorch weights load by name.
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::nn {

// An insertion-ordered map from dotted names to tensors (a PyTorch state_dict).
class StateDict {
 public:
  void insert(const std::string& key, const Tensor& t);  // replaces an existing key in place
  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  const Tensor& at(const std::string& key) const;  // throws strata::Error naming the key
  size_t size() const { return items_.size(); }
  const std::vector<std::pair<std::string, Tensor>>& items() const { return items_; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::pair<std::string, Tensor>> items_;
  std::unordered_map<std::string, size_t> index_;
};

class Module;

// What Module::load_state_dict did not match (PyTorch's _IncompatibleKeys): keys of the module that the state
// lacks (they keep their values) and keys of the state that the module lacks (ignored), each in order.
struct IncompatibleKeys {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
  bool ok() const { return missing_keys.empty() && unexpected_keys.empty(); }
};

// Module hooks (PyTorch's register_forward_pre_hook / register_forward_hook / a gradient hook on the output).
// They run when a module is called through operator(); composites call their children that way, so a hook on
// any layer of a model sees every call. A forward (pre-)hook may return a tensor to replace the input (output),
// or an undefined Tensor to leave it as it is.
using ForwardPreHook = std::function<Tensor(Module& module, const Tensor& input)>;
using ForwardHook = std::function<Tensor(Module& module, const Tensor& input, const Tensor& output)>;
// Sees the gradient of the loss with respect to the module's output during backward (once per call).
using OutputGradHook = std::function<void(Module& module, const Tensor& grad_output)>;

namespace detail {
struct ModuleHooks;
}

// What register_*_hook returns: remove() detaches the hook (idempotent, safe after the module is gone).
// Dropping the handle does not remove the hook, as in PyTorch.
class HookHandle {
 public:
  HookHandle() = default;
  void remove();
  bool active() const;

 private:
  friend class Module;
  HookHandle(std::weak_ptr<detail::ModuleHooks> table, uint64_t id) : table_(std::move(table)), id_(id) {}
  std::weak_ptr<detail::ModuleHooks> table_;
  uint64_t id_ = 0;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The layer's name in printouts ("Linear"); extra_repr() gives its arguments ("in=784, out=512").
  virtual std::string type_name() const = 0;
  virtual std::string extra_repr() const { return ""; }

  // Single-tensor forward. Layers with other signatures (LSTM, attention) add their own and leave this
  // one throwing.
  virtual Tensor forward(const Tensor& x);
  // forward(x) with this module's hooks around it (just forward(x) when it has none).
  Tensor operator()(const Tensor& x) { return hooks_ ? call_with_hooks(x) : forward(x); }

  HookHandle register_forward_pre_hook(ForwardPreHook hook);
  HookHandle register_forward_hook(ForwardHook hook);
  HookHandle register_output_grad_hook(OutputGradHook hook);
  bool has_hooks() const;

  // Registration (names must be unique within the module and contain no '.').
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // Recursive views, in registration order with dotted PyTorch-style keys.
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // This module and every descendant ("" for this one).
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules();
  int64_t num_parameters(bool trainable_only = false) const;

  // Parameters and persistent buffers. load_state_dict copies values into the existing tensors (so
  // optimizers keep pointing at them) and returns the keys it could not match. strict: a missing or
  // unexpected key is an error naming every such key. strict=false loads the keys both sides have and
  // returns the others (as PyTorch). A shape mismatch is an error in both modes, and a failed load copies
  // nothing. nn::load_weights (strata/nn/transfer.h) adds skip patterns and renames.
  StateDict state_dict() const;
  IncompatibleKeys load_state_dict(const StateDict& state, bool strict = true);

  // Training mode (dropout active, batch norm updating running statistics) or evaluation mode.
  // A module marked frozen_eval stays in evaluation mode when train(true) reaches it (a frozen batch norm
  // keeps its running statistics while the rest of the model trains); its children still follow `on`.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void set_frozen_eval(bool on) { frozen_eval_ = on; }
  bool frozen_eval() const { return frozen_eval_; }

  // Moves every parameter, buffer and gradient (recursively) to device d, in place: each tensor keeps its
  // identity (the same TensorImpl gets the new storage), so an optimizer built before the move still updates
  // them; its state tensors follow the parameters' device when they are created.
  void to(Device d);

  // Freezes (false) or unfreezes every parameter.
  void requires_grad_(bool on);
  void zero_grad(bool set_to_none = true);
  // Calls fn on this module and every descendant.
  void apply(const std::function<void(Module&)>& fn);

  // A readable printout of the module tree, as PyTorch prints it.
  std::string to_string() const;

  // Direct access to this module's own entries.
  Tensor& param(const std::string& name);
  Tensor& buffer(const std::string& name);
  std::shared_ptr<Module> child(const std::string& name) const;
  // Replaces the submodule `name` in place (same position, so state_dict keys keep their order) and
  // returns the old one; an error naming the module when there is no such child. The new module takes
  // this module's training mode. Containers that keep their own list of children (Sequential, ModuleList)
  // update it in on_child_replaced; a composite holding typed pointers to its children would still call the
  // old one, so for those replace_child is an error unless they override on_child_replaced.
  std::shared_ptr<Module> replace_child(const std::string& name, std::shared_ptr<Module> module);

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  // Called by replace_child after the registration changed; returns false when this module cannot
  // switch children (the default), which makes replace_child undo the swap and fail.
  virtual bool on_child_replaced(const std::string& name, const std::shared_ptr<Module>& module);
  bool training_ = true;

 private:
  bool frozen_eval_ = false;
  Tensor call_with_hooks(const Tensor& x);
  detail::ModuleHooks& hook_table();

  std::shared_ptr<detail::ModuleHooks> hooks_;  // null until the first hook is registered
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

using ModulePtr = std::shared_ptr<Module>;

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace strata::nn
