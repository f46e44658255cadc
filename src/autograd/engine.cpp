#include "strata/autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/accumulate.h"
#include "strata/autograd/anomaly.h"
#include "strata/autograd/grad_mode.h"
#include "strata/autograd/node.h"
#include "strata/core/error.h"
#include "strata/core/profile.h"

namespace strata::autograd {

namespace {

Edge root_edge(const Tensor& t) {
  if (t.grad_fn()) return Edge{t.grad_fn(), t.output_nr()};
  return Edge{grad_accumulator(t), 0};
}

// Ready nodes run in decreasing sequence number (the reverse of recording order), except that a leaf's
// AccumulateGrad runs first, as soon as its gradient is complete (PyTorch gives it the largest sequence number):
// the gradient buffer then becomes .grad, or is added to it and freed, at once instead of living until the end
// of backward. That is what lets gradient accumulation lower the peak memory of a step.
struct CompareSeq {
  bool operator()(const Node* a, const Node* b) const {
    const bool acc_a = dynamic_cast<const AccumulateGrad*>(a) != nullptr;
    const bool acc_b = dynamic_cast<const AccumulateGrad*>(b) != nullptr;
    if (acc_a != acc_b) return acc_b;
    return a->sequence_nr() < b->sequence_nr();
  }
};

// Runs the graph from the root edges. When `captures` is non-null, gradients arriving at the captured
// (node, input_nr) slots are stored there and leaves' .grad is left alone (autograd::grad).
void run_backward(const std::vector<Edge>& roots, TensorList root_grads, bool retain_graph,
                  const std::vector<Edge>* captures, TensorList* captured) {
  NoGradGuard no_grad;
  std::unordered_map<Node*, int> deps;
  std::unordered_map<Node*, TensorList> buffers;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (const Edge& e : roots) {
    if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.valid()) continue;
      ++deps[e.fn.get()];
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
  auto add_to_buffer = [&](Node* n, uint32_t slot, Tensor g) {
    TensorList& buf = buffers[n];
    if (buf.empty()) buf.resize(n->output_meta.size());
    if (!buf[slot].defined()) {
      buf[slot] = std::move(g);
    } else {
      const profile::Scope prof(profile::Kind::Backward, "grad accumulation (engine)");
      buf[slot] = detail::add_grads(buf[slot], g);
    }
  };
  std::priority_queue<Node*, std::vector<Node*>, CompareSeq> ready;
  std::unordered_set<Node*> queued;
  for (size_t i = 0; i < roots.size(); ++i) {
    add_to_buffer(roots[i].fn.get(), roots[i].input_nr, std::move(root_grads[i]));
  }
  for (const Edge& e : roots) {
    if (deps[e.fn.get()] == 0 && queued.insert(e.fn.get()).second) ready.push(e.fn.get());
  }
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    TensorList grads = std::move(buffers[node]);
    buffers.erase(node);
    grads.resize(node->output_meta.size());
    bool any = false;
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) continue;
      any = true;
      if (i < node->output_hooks.size()) {
        for (auto& hook : node->output_hooks[i]) {
          Tensor r = hook(grads[i]);
          if (r.defined()) grads[i] = r;
        }
      }
    }
    if (captures) {
      for (size_t c = 0; c < captures->size(); ++c) {
        const Edge& ce = (*captures)[c];
        if (ce.fn.get() == node && grads[ce.input_nr].defined()) (*captured)[c] = grads[ce.input_nr];
      }
    }
    TensorList input_grads;
    const bool is_sink = dynamic_cast<AccumulateGrad*>(node) != nullptr;
    if (any && !(captures && is_sink)) {
      for (size_t i = 0; i < grads.size(); ++i) {
        if (!grads[i].defined()) {
          const TensorMeta& m = node->output_meta[i];
          grads[i] = detail::zeros(m.shape, m.dtype, m.device);
        }
      }
      // The node's name is built only while profiling (name() returns a string).
      const std::string prof_name = profile::active() != nullptr ? node->name() : std::string();
      const profile::Scope prof(profile::Kind::Backward, prof_name);
      if (anomaly_enabled()) {
        const TensorList grad_outputs = grads;
        input_grads = node->apply(std::move(grads));
        detail::check_backward(node->name(), node->anomaly_scope, grad_outputs, input_grads);
      } else {
        input_grads = node->apply(std::move(grads));
      }
    }
    if (!retain_graph) node->release();
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.valid()) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        Tensor& g = input_grads[i];
        const TensorMeta& m = node->input_meta[i];
        STRATA_CHECK(g.shape() == m.shape, "[backward] op '", node->name(), "' returned a gradient of shape ",
                     g.shape(), " for input ", i, " of shape ", m.shape);
        // As PyTorch: a gradient arrives in its input's dtype (float32 weight times float64 input).
        if (g.dtype() != m.dtype) g = detail::cast(g, m.dtype);
        add_to_buffer(e.fn.get(), e.input_nr, g);
      }
      if (--deps[e.fn.get()] == 0 && queued.insert(e.fn.get()).second) ready.push(e.fn.get());
    }
  }
}

TensorList seed_grads(const TensorList& roots, const TensorList& grad_roots, const char* op) {
  STRATA_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), "[", op, "] got ", grad_roots.size(),
               " gradients for ", roots.size(), " outputs");
  TensorList seeds;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    STRATA_CHECK(r.defined(), "[", op, "] undefined output tensor");
    STRATA_CHECK(r.requires_grad(), "[", op, "] output ", i, " of shape ", r.shape(),
                 " does not require grad and has no grad_fn (was it computed under NoGradGuard, or from "
                 "tensors without requires_grad?)");
    Tensor g = grad_roots.empty() ? Tensor() : grad_roots[i];
    if (!g.defined()) {
      STRATA_CHECK(r.numel() == 1, "[", op,
                   "] grad can be implicitly created only for scalar outputs; got an output of shape ", r.shape(),
                   ". Pass a gradient of that shape.");
      g = detail::zeros(r.shape(), r.dtype(), r.device());
      dispatch_float_io(r.dtype(), op, [&](auto stag, auto) {
        using S = typename decltype(stag)::type;
        *g.data_ptr<S>() = S(1.0f);
      });
    } else {
      STRATA_CHECK(g.shape() == r.shape(), "[", op, "] gradient of shape ", g.shape(), " for an output of shape ",
                   r.shape());
      STRATA_CHECK(g.dtype() == r.dtype(), "[", op, "] gradient of dtype ", g.dtype(), " for an output of dtype ",
                   r.dtype());
    }
    seeds.push_back(g);
  }
  return seeds;
}

}  // namespace

void backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph) {
  TensorList seeds = seed_grads(roots, grad_roots, "backward");
  std::vector<Edge> edges;
  for (const Tensor& r : roots) edges.push_back(root_edge(r));
  run_backward(edges, std::move(seeds), retain_graph, nullptr, nullptr);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                bool retain_graph) {
  TensorList seeds = seed_grads(outputs, grad_outputs, "grad");
  std::vector<Edge> edges;
  for (const Tensor& r : outputs) edges.push_back(root_edge(r));
  std::vector<Edge> captures;
  for (size_t i = 0; i < inputs.size(); ++i) {
    STRATA_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "[grad] input ", i, " does not require grad");
    captures.push_back(root_edge(inputs[i]));
  }
  TensorList captured(inputs.size());
  run_backward(edges, std::move(seeds), retain_graph, &captures, &captured);
  return captured;
}

}  // namespace strata::autograd

namespace strata {

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph);
}

void Tensor::register_hook(GradHook hook) const {
  STRATA_CHECK(requires_grad(), "[register_hook] cannot register a hook on a tensor that does not require grad");
  if (is_leaf()) {
    impl_->leaf_hooks.push_back(std::move(hook));
  } else {
    const auto& fn = grad_fn();
    fn->output_hooks[output_nr()].push_back(std::move(hook));
  }
}

void Tensor::retain_grad() const {
  STRATA_CHECK(requires_grad(), "[retain_grad] cannot retain the gradient of a tensor that does not require grad");
  if (is_leaf()) return;  // leaves keep .grad anyway
  if (impl_->autograd->retains_grad) return;
  impl_->autograd->retains_grad = true;
  std::weak_ptr<TensorImpl> weak = impl_;
  register_hook([weak](const Tensor& g) -> Tensor {
    if (auto impl = weak.lock()) {
      if (impl->grad && impl->grad->defined()) {
        impl->grad = std::make_shared<Tensor>(autograd::detail::add_grads(*impl->grad, g));
      } else {
        impl->grad = std::make_shared<Tensor>(autograd::detail::copy(g));
      }
    }
    return Tensor();
  });
}

}  // namespace strata
