#pragma once
// Autograd graph nodes. Every recorded op creates one Node holding its backward rule (a lambda written with
// Strata's own ops), the tensors it saved, and one Edge per input that needs a gradient.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::autograd {

class Node;

// Where the gradient of one input goes: output `input_nr` of node `fn` (null: no gradient needed).
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return fn != nullptr; }
};

// Shape and dtype of a tensor, kept so that missing gradients can be materialised as zeros and returned
// gradients can be checked.
struct TensorMeta {
  Shape shape;
  DType dtype = kFloat32;
  Device device = kCPU;
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  // Releases the chain of next_edges iteratively, so that dropping a graph of any depth does not
  // recurse once per node (a 100k-op chain would otherwise overflow the stack).
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Gradients of the inputs (one per next_edge, undefined where not needed) from the output gradients.
  virtual TensorList apply(TensorList&& grad_outputs) = 0;
  virtual std::string name() const = 0;
  // Frees saved tensors after a backward without retain_graph.
  virtual void release() {}

  uint64_t sequence_nr() const { return seq_; }

  std::vector<Edge> next_edges;
  std::vector<TensorMeta> input_meta;               // one per next_edge
  std::vector<TensorMeta> output_meta;              // one per output
  std::vector<std::vector<GradHook>> output_hooks;  // per output, run before apply
  std::string anomaly_scope;                        // module scope at record time (anomaly mode only)

 private:
  uint64_t seq_;
};

// Gradient sink of a leaf tensor: adds the incoming gradient into leaf.grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf);
  TensorList apply(TensorList&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }

  // Run after each accumulation into leaf.grad (autograd/post_accumulate_hook.h), with the leaf; by id.
  std::vector<std::pair<int64_t, std::function<void(const Tensor&)>>> post_hooks;

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

using NeedsGrad = std::vector<bool>;
using BackwardFn = std::function<TensorList(const TensorList& grad_outputs, const NeedsGrad& needs)>;

// A node whose rule is a lambda; the lambda's captures are the saved tensors.
class FunctionNode final : public Node {
 public:
  FunctionNode(std::string name, BackwardFn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  TensorList apply(TensorList&& grads) override;
  std::string name() const override { return name_; }
  void release() override;

 private:
  std::string name_;
  BackwardFn fn_;
  bool released_ = false;
};

// A tensor saved for backward, with the storage version at save time. get() throws if the tensor was
// modified in place since.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, const char* op);
  Tensor get() const;
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint64_t version_ = 0;
  const char* op_ = "";
};

// True when grad mode is on and any of the tensors requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const TensorList& inputs);

// Records `outputs` as results of op `name` on `inputs` with backward rule `fn`: builds the node, its edges,
// and marks the outputs as requiring grad.
void record(const char* name, const TensorList& inputs, const TensorList& outputs, BackwardFn fn);
inline void record(const char* name, const TensorList& inputs, const Tensor& output, BackwardFn fn) {
  record(name, inputs, TensorList{output}, std::move(fn));
}

// The leaf's gradient accumulator, created on first use.
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);

}  // namespace strata::autograd
