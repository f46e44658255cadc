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
  Tensor operator()(const Tensor& x) { return forward(x); }

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
  // optimizers keep pointing at them). strict: a missing or unexpected key, or a shape mismatch, is an
  // error naming the key.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state, bool strict = true);

  // Training mode (dropout active, batch norm updating running statistics) or evaluation mode.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

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

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  bool training_ = true;

 private:
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

using ModulePtr = std::shared_ptr<Module>;

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace strata::nn
