#pragma once
// Hooks that run once a leaf's .grad has been updated by backward (PyTorch's
// Tensor.register_post_accumulate_grad_hook). The engine sums every gradient that reaches a leaf before it
// accumulates, so the hook runs once per backward for each leaf that received a gradient, with .grad complete:
// data-parallel training starts a bucket's all-reduce from here while backward goes on (dist/data_parallel.h).
//
//   int64_t id = autograd::register_post_accumulate_grad_hook(w, [](const Tensor& leaf) { use(leaf.grad()); });
//   ...
//   autograd::remove_post_accumulate_grad_hook(w, id);
//
// The hook receives the leaf (do not capture the leaf in the hook: the leaf owns the hook, a cycle that would
// never be freed). It runs on the thread that called backward.
#include <cstdint>
#include <functional>

#include "strata/core/tensor.h"

namespace strata::autograd {

// An error unless `leaf` is a leaf tensor that requires grad. Returns an id for remove_post_accumulate_grad_hook.
int64_t register_post_accumulate_grad_hook(const Tensor& leaf, std::function<void(const Tensor&)> hook);
// Removes the hook with that id (nothing when it is gone already).
void remove_post_accumulate_grad_hook(const Tensor& leaf, int64_t id);

}  // namespace strata::autograd
