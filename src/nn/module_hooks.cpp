// Module hooks: forward pre/post hooks and gradient hooks on a module's output, with removable handles.
// The table is shared with the handles (weakly), so a handle may outlive its module.
#include <cstdint>

#include "strata/core/error.h"
#include "strata/nn/module.h"

namespace strata::nn {

namespace detail {

struct ModuleHooks {
  uint64_t next_id = 1;
  std::vector<std::pair<uint64_t, ForwardPreHook>> pre;
  std::vector<std::pair<uint64_t, ForwardHook>> post;
  std::vector<std::pair<uint64_t, OutputGradHook>> grad;

  bool empty() const { return pre.empty() && post.empty() && grad.empty(); }
  template <class V>
  static bool erase(V& v, uint64_t id) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it->first == id) {
        v.erase(it);
        return true;
      }
    }
    return false;
  }
  template <class V>
  static bool holds(const V& v, uint64_t id) {
    for (const auto& e : v) {
      if (e.first == id) return true;
    }
    return false;
  }
};

}  // namespace detail

void HookHandle::remove() {
  if (auto t = table_.lock()) {
    detail::ModuleHooks::erase(t->pre, id_) || detail::ModuleHooks::erase(t->post, id_) ||
        detail::ModuleHooks::erase(t->grad, id_);
  }
  table_.reset();
}

bool HookHandle::active() const {
  auto t = table_.lock();
  return t && (detail::ModuleHooks::holds(t->pre, id_) || detail::ModuleHooks::holds(t->post, id_) ||
               detail::ModuleHooks::holds(t->grad, id_));
}

detail::ModuleHooks& Module::hook_table() {
  if (!hooks_) hooks_ = std::make_shared<detail::ModuleHooks>();
  return *hooks_;
}

HookHandle Module::register_forward_pre_hook(ForwardPreHook hook) {
  STRATA_CHECK(hook != nullptr, "[Module] ", type_name(), ": register_forward_pre_hook got an empty function");
  auto& t = hook_table();
  const uint64_t id = t.next_id++;
  t.pre.emplace_back(id, std::move(hook));
  return {hooks_, id};
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
  STRATA_CHECK(hook != nullptr, "[Module] ", type_name(), ": register_forward_hook got an empty function");
  auto& t = hook_table();
  const uint64_t id = t.next_id++;
  t.post.emplace_back(id, std::move(hook));
  return {hooks_, id};
}

HookHandle Module::register_output_grad_hook(OutputGradHook hook) {
  STRATA_CHECK(hook != nullptr, "[Module] ", type_name(), ": register_output_grad_hook got an empty function");
  auto& t = hook_table();
  const uint64_t id = t.next_id++;
  t.grad.emplace_back(id, std::move(hook));
  return {hooks_, id};
}

bool Module::has_hooks() const { return hooks_ && !hooks_->empty(); }

Tensor Module::call_with_hooks(const Tensor& x) {
  // Copies of the lists: a hook may remove itself (or register another) while running.
  const auto pre = hooks_->pre;
  Tensor in = x;
  for (const auto& [_, h] : pre) {
    Tensor r = h(*this, in);
    if (r.defined()) in = r;
  }
  Tensor y = forward(in);
  const auto post = hooks_->post;
  for (const auto& [_, h] : post) {
    Tensor r = h(*this, in, y);
    if (r.defined()) y = r;
  }
  if (!hooks_->grad.empty() && y.defined() && y.requires_grad()) {
    // The table is held weakly: a module destroyed before backward runs no hooks.
    std::weak_ptr<detail::ModuleHooks> table = hooks_;
    Module* self = this;
    y.register_hook([table, self](const Tensor& g) -> Tensor {
      if (auto t = table.lock()) {
        const auto hooks = t->grad;
        for (const auto& [_, h] : hooks) h(*self, g);
      }
      return Tensor();
    });
  }
  return y;
}

}  // namespace strata::nn
