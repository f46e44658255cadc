// nn::Module: registration, recursive parameter/buffer/module views with PyTorch's dotted keys,
// state_dict / load_state_dict, train/eval, freezing and the PyTorch-style printout.
#include "strata/nn/module.h"

#include <sstream>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"

namespace strata::nn {

// ---------------------------------------------------------------- StateDict

void StateDict::insert(const std::string& key, const Tensor& t) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    items_[it->second].second = t;
    return;
  }
  index_.emplace(key, items_.size());
  items_.emplace_back(key, t);
}

const Tensor& StateDict::at(const std::string& key) const {
  auto it = index_.find(key);
  STRATA_CHECK(it != index_.end(), "[StateDict] no entry named '", key, "'");
  return items_[it->second].second;
}

// ---------------------------------------------------------------- Module

namespace {

void check_name(const char* what, const std::string& name) {
  STRATA_CHECK(!name.empty(), "[Module] ", what, " name must not be empty");
  STRATA_CHECK(name.find('.') == std::string::npos, "[Module] ", what, " name '", name, "' must not contain '.'");
}

template <class V>
bool has_key(const std::vector<std::pair<std::string, V>>& v, const std::string& name) {
  for (const auto& [k, _] : v) {
    if (k == name) return true;
  }
  return false;
}

std::string prefixed(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// "key 'a'" or "keys 'a', 'b'": every key, so one failed load shows all that is wrong.
std::string key_list(const std::vector<std::string>& keys) {
  std::string s = keys.size() == 1 ? "key " : "keys ";
  for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", '" : "'") + keys[i] + "'";
  return s;
}

}  // namespace

Tensor Module::forward(const Tensor& /*x*/) { STRATA_FAIL("[", type_name(), "] has no single-tensor forward"); }

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_name("parameter", name);
  STRATA_CHECK(!has_key(params_, name) && !has_key(buffers_, name) && !has_key(children_, name), "[Module] ",
               type_name(), " already has an entry named '", name, "'");
  if (value.defined()) {
    STRATA_CHECK(value.is_leaf(), "[Module] parameter '", name, "' must be a leaf tensor (detach it first)");
    value.requires_grad_(requires_grad);
  }
  params_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_name("buffer", name);
  STRATA_CHECK(!has_key(params_, name) && !has_key(buffers_, name) && !has_key(children_, name), "[Module] ",
               type_name(), " already has an entry named '", name, "'");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name("submodule", name);
  STRATA_CHECK(module != nullptr, "[Module] submodule '", name, "' is null");
  STRATA_CHECK(!has_key(params_, name) && !has_key(buffers_, name) && !has_key(children_, name), "[Module] ",
               type_name(), " already has an entry named '", name, "'");
  STRATA_CHECK(module.get() != this, "[Module] a module cannot be its own child ('", name, "')");
  children_.emplace_back(name, std::move(module));
}

namespace {

// Walks the tree in registration order (own entries first, then children), as PyTorch's
// _named_members with its duplicate removal (a tensor shared by two modules appears once).
void collect(const Module& m, const std::string& prefix, bool recurse, std::vector<std::pair<std::string, Tensor>>& out,
             std::vector<const TensorImpl*>& seen,
             const std::function<const std::vector<std::pair<std::string, Tensor>>&(const Module&)>& own) {
  for (const auto& [name, t] : own(m)) {
    if (!t.defined()) continue;
    bool dup = false;
    for (const TensorImpl* s : seen) dup = dup || s == t.impl();
    if (dup) continue;
    seen.push_back(t.impl());
    out.emplace_back(prefixed(prefix, name), t);
  }
  if (!recurse) return;
  for (const auto& [name, child] : m.named_children()) {
    collect(*child, prefixed(prefix, name), true, out, seen, own);
  }
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::vector<const TensorImpl*> seen;
  collect(
      *this, "", recurse, out, seen, [](const Module& m) -> const auto& { return m.params_; });
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::vector<const TensorImpl*> seen;
  collect(
      *this, "", recurse, out, seen, [](const Module& m) -> const auto& { return m.buffers_; });
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  std::vector<const Module*> seen;
  std::function<void(const std::string&, const std::shared_ptr<Module>&)> walk = [&](const std::string& prefix,
                                                                                     const std::shared_ptr<Module>& m) {
    for (const Module* s : seen) {
      if (s == m.get()) return;
    }
    seen.push_back(m.get());
    out.emplace_back(prefix, m);
    for (const auto& [name, c] : m->children_) walk(prefixed(prefix, name), c);
  };
  // The root may not be owned by a shared_ptr (a module on the stack): alias it without ownership.
  std::shared_ptr<Module> self = weak_from_this().lock();
  if (!self) self = std::shared_ptr<Module>(std::shared_ptr<Module>(), this);
  walk("", self);
  return out;
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (const auto& p : parameters()) {
    if (!trainable_only || p.requires_grad()) n += p.numel();
  }
  return n;
}

StateDict Module::state_dict() const {
  StateDict sd;
  // PyTorch's order: each module's own parameters, then its buffers, then its children.
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m, const std::string& prefix) {
    for (const auto& [name, t] : m.params_) {
      if (t.defined()) sd.insert(prefixed(prefix, name), t.detach());
    }
    for (const auto& [name, t] : m.buffers_) {
      if (t.defined()) sd.insert(prefixed(prefix, name), t.detach());
    }
    for (const auto& [name, c] : m.children_) walk(*c, prefixed(prefix, name));
  };
  walk(*this, "");
  return sd;
}

IncompatibleKeys Module::load_state_dict(const StateDict& state, bool strict) {
  StateDict mine = state_dict();
  IncompatibleKeys result;
  for (const auto& [key, _] : mine) {
    if (!state.contains(key)) result.missing_keys.push_back(key);
  }
  for (const auto& [key, _] : state) {
    if (!mine.contains(key)) result.unexpected_keys.push_back(key);
  }
  if (strict) {
    STRATA_CHECK(result.missing_keys.empty(), "[load_state_dict] missing ", key_list(result.missing_keys), " for ",
                 type_name());
    STRATA_CHECK(result.unexpected_keys.empty(), "[load_state_dict] unexpected ", key_list(result.unexpected_keys),
                 " for ", type_name());
  }
  // Check every shape before copying anything, so a failed load leaves the module unchanged.
  for (const auto& [key, dst] : mine) {
    if (!state.contains(key)) continue;
    const Tensor& src = state.at(key);
    STRATA_CHECK(src.defined(), "[load_state_dict] entry '", key, "' is undefined");
    STRATA_CHECK(src.shape() == dst.shape(), "[load_state_dict] shape mismatch for '", key, "': checkpoint has ",
                 src.shape(), ", the module has ", dst.shape());
  }
  NoGradGuard guard;
  for (const auto& [key, dst] : mine) {
    if (!state.contains(key)) continue;
    Tensor d = dst;  // shares storage with the module's tensor (detached handle)
    d.copy_(state.at(key));
  }
  return result;
}

namespace {
// Gives t's TensorImpl a contiguous copy of its data on device d.
void move_in_place(const Tensor& t, Device d) {
  if (!t.defined() || t.device() == d) return;
  Tensor moved;
  {
    NoGradGuard no_grad;
    moved = t.detach().to(d);
  }
  TensorImpl* impl = t.impl();
  impl->storage = moved.storage();
  impl->strides = moved.strides();
  impl->offset = moved.offset();
  if (impl->grad && impl->grad->defined()) move_in_place(*impl->grad, d);
}
}  // namespace

void Module::to(Device d) {
  for (auto& [name, m] : named_modules()) {
    for (auto& [pname, p] : m->params_) move_in_place(p, d);
    for (auto& [bname, b] : m->buffers_) move_in_place(b, d);
  }
}

void Module::train(bool on) {
  training_ = on && !frozen_eval_;
  for (auto& [_, c] : children_) c->train(on);
}

void Module::requires_grad_(bool on) {
  for (auto& p : parameters()) p.requires_grad_(on);
}

void Module::zero_grad(bool set_to_none) {
  for (auto& p : parameters()) {
    if (set_to_none || p.grad().defined()) p.zero_grad(set_to_none);
  }
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [_, c] : children_) c->apply(fn);
  fn(*this);  // children first, as PyTorch
}

namespace {

std::string indent_lines(const std::string& s, int spaces) {
  std::string out;
  const std::string pad(static_cast<size_t>(spaces), ' ');
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '\n' && i + 1 < s.size()) out += pad;
  }
  return out;
}

}  // namespace

std::string Module::to_string() const {
  std::ostringstream os;
  os << type_name() << "(";
  const std::string extra = extra_repr();
  if (children_.empty()) {
    os << extra << ")";
    return os.str();
  }
  if (!extra.empty()) os << "\n  " << indent_lines(extra, 2);
  for (const auto& [name, c] : children_) {
    os << "\n  (" << name << "): " << indent_lines(c->to_string(), 2);
  }
  os << "\n)";
  return os.str();
}

Tensor& Module::param(const std::string& name) {
  for (auto& [k, t] : params_) {
    if (k == name) return t;
  }
  STRATA_FAIL("[Module] ", type_name(), " has no parameter named '", name, "'");
}

Tensor& Module::buffer(const std::string& name) {
  for (auto& [k, t] : buffers_) {
    if (k == name) return t;
  }
  STRATA_FAIL("[Module] ", type_name(), " has no buffer named '", name, "'");
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& [k, c] : children_) {
    if (k == name) return c;
  }
  STRATA_FAIL("[Module] ", type_name(), " has no submodule named '", name, "'");
}

std::shared_ptr<Module> Module::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  STRATA_CHECK(module != nullptr, "[Module] replace_child('", name, "'): the new module is null");
  for (auto& [k, c] : children_) {
    if (k == name) {
      std::swap(c, module);
      if (!on_child_replaced(name, c)) {
        std::swap(c, module);
        STRATA_FAIL("[Module] ", type_name(), " calls its submodule '", name,
                    "' through its own member, so it cannot be replaced; replace it in a Sequential or ModuleList");
      }
      c->train(training_);
      return module;
    }
  }
  STRATA_FAIL("[Module] ", type_name(), " has no submodule named '", name, "' to replace");
}

bool Module::on_child_replaced(const std::string& /*name*/, const std::shared_ptr<Module>& /*module*/) { return false; }

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.to_string(); }

}  // namespace strata::nn
