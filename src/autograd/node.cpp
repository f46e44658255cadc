#include "strata/autograd/node.h"

#include <atomic>

#include "autograd/accumulate.h"
#include "strata/autograd/anomaly.h"
#include "strata/autograd/grad_mode.h"
#include "strata/autograd/post_accumulate_hook.h"
#include "strata/core/error.h"

namespace strata::autograd {

namespace {
std::atomic<uint64_t> next_seq{0};
}

Node::Node() : seq_(next_seq.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
  // Nodes that only this graph still holds are emptied of their edges before they die, so each
  // destructor runs with no edges left and the release is a loop instead of a recursion.
  std::vector<std::shared_ptr<Node>> pending;
  for (Edge& e : next_edges) {
    if (e.fn) pending.push_back(std::move(e.fn));
  }
  next_edges.clear();
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    if (n.use_count() == 1) {
      for (Edge& e : n->next_edges) {
        if (e.fn) pending.push_back(std::move(e.fn));
      }
      n->next_edges.clear();
    }
    // n dies here (if this was the last reference) with no edges to follow.
  }
}

AccumulateGrad::AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf) : leaf_(leaf) {
  output_meta.push_back({leaf->shape, leaf->dtype, leaf->storage->device()});
}

TensorList AccumulateGrad::apply(TensorList&& grads) {
  auto leaf = leaf_.lock();
  if (!leaf || !grads[0].defined()) return {};
  Tensor g = std::move(grads[0]);
  for (auto& hook : leaf->leaf_hooks) {
    Tensor r = hook(g);
    if (r.defined()) g = r;
  }
  STRATA_CHECK(g.shape() == leaf->shape, "[backward] gradient of shape ", g.shape(), " for a leaf of shape ",
               leaf->shape);
  if (!leaf->grad || !leaf->grad->defined()) {
    // Steal the gradient when nobody else holds it; otherwise keep a private copy, since .grad is
    // accumulated in place by later backward calls.
    bool exclusive = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 && g.is_contiguous();
    leaf->grad = std::make_shared<Tensor>(exclusive ? g : detail::copy(g));
  } else {
    detail::add_into(*leaf->grad, g);
  }
  if (!post_hooks.empty()) {
    const Tensor leaf_tensor(leaf);
    // A copy: a hook may remove itself.
    const auto hooks = post_hooks;
    for (const auto& h : hooks) h.second(leaf_tensor);
  }
  return {};
}

TensorList FunctionNode::apply(TensorList&& grads) {
  STRATA_CHECK(!released_, "[backward] trying to backward through the graph a second time (op '", name_,
               "'): its saved tensors were freed after the first backward. Pass retain_graph=true to the first "
               "backward call if you need to call it twice.");
  NeedsGrad needs(next_edges.size());
  for (size_t i = 0; i < next_edges.size(); ++i) needs[i] = next_edges[i].valid();
  return fn_(grads, needs);
}

void FunctionNode::release() {
  fn_ = nullptr;
  released_ = true;
}

SavedTensor::SavedTensor(const Tensor& t, const char* op) : op_(op) {
  if (t.defined()) {
    data_ = t.detach();
    version_ = t.version();
  }
}

Tensor SavedTensor::get() const {
  if (data_.defined()) {
    STRATA_CHECK(data_.version() == version_, "[backward] a tensor of shape ", data_.shape(), " saved by op '", op_,
                 "' for its backward was modified in place afterwards (version ", version_, " at save, now ",
                 data_.version(), "); use an out-of-place op or clone() before modifying it");
  }
  return data_;
}

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}

bool needs_grad(const TensorList& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  AutogradMeta& m = leaf.impl()->meta();
  if (!m.grad_accumulator) m.grad_accumulator = std::make_shared<AccumulateGrad>(leaf.impl_ptr());
  return m.grad_accumulator;
}

int64_t register_post_accumulate_grad_hook(const Tensor& leaf, std::function<void(const Tensor&)> hook) {
  STRATA_CHECK(leaf.defined() && leaf.requires_grad() && leaf.is_leaf(),
               "[register_post_accumulate_grad_hook] expected a leaf tensor that requires grad");
  static std::atomic<int64_t> next_id{1};
  auto* acc = static_cast<AccumulateGrad*>(grad_accumulator(leaf).get());
  const int64_t id = next_id.fetch_add(1, std::memory_order_relaxed);
  acc->post_hooks.emplace_back(id, std::move(hook));
  return id;
}

void remove_post_accumulate_grad_hook(const Tensor& leaf, int64_t id) {
  if (!leaf.defined() || !leaf.impl()->autograd || !leaf.impl()->autograd->grad_accumulator) return;
  auto* acc = dynamic_cast<AccumulateGrad*>(leaf.impl()->autograd->grad_accumulator.get());
  if (acc == nullptr) return;
  std::erase_if(acc->post_hooks, [id](const auto& h) { return h.first == id; });
}

void record(const char* name, const TensorList& inputs, const TensorList& outputs, BackwardFn fn) {
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  if (anomaly_enabled()) {
    detail::check_forward(name, inputs, outputs);
    node->anomaly_scope = current_anomaly_scope();
  }
  node->next_edges.reserve(inputs.size());
  node->input_meta.reserve(inputs.size());
  for (const Tensor& in : inputs) {
    Edge e;
    if (in.defined() && in.requires_grad()) {
      if (in.grad_fn()) {
        e = Edge{in.grad_fn(), in.output_nr()};
      } else {
        e = Edge{grad_accumulator(in), 0};
      }
    }
    node->next_edges.push_back(std::move(e));
    if (in.defined()) {
      node->input_meta.push_back({in.shape(), in.dtype(), in.device()});
    } else {
      node->input_meta.push_back({});
    }
  }
  node->output_hooks.resize(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    node->output_meta.push_back({out.shape(), out.dtype(), out.device()});
    AutogradMeta& m = out.impl()->meta();
    m.requires_grad = true;
    m.grad_fn = node;
    m.output_nr = static_cast<uint32_t>(i);
  }
}

}  // namespace strata::autograd
