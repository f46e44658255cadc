#pragma once
// Reverse-mode differentiation over the recorded graph.
#include "strata/core/tensor.h"

namespace strata::autograd {

// Computes gradients of `roots` (seeded with `grad_roots`; undefined entries mean 1 for scalars) and
// accumulates them into the .grad of every leaf that requires grad. Frees the graph unless retain_graph.
void backward(const TensorList& roots, const TensorList& grad_roots = {}, bool retain_graph = false);

// Gradients of `outputs` with respect to `inputs`, returned instead of accumulated into .grad
// (undefined where an input does not influence the outputs).
TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs = {},
                bool retain_graph = false);

}  // namespace strata::autograd
