#pragma once
// Scaled dot-product attention (PyTorch 2.x's F.scaled_dot_product_attention), fused: one autograd node,
// batched GEMMs and a one-pass masked softmax (kernels/cpu/attention.h).
#include <optional>
#include <utility>

#include "strata/core/generator.h"
#include "strata/core/tensor.h"

namespace strata {

// softmax(q k^T * scale + mask) v, with dropout on the attention weights.
//   q: (..., L, E)   k: (..., S, E)   v: (..., S, Ev)   ->   (..., L, Ev)   (the leading dims of q, k, v equal)
//   attn_mask: broadcastable to (..., L, S); bool (true = take part in attention) or float (added to the
//              scores, differentiable); undefined for none.
//   is_causal: query i attends to keys j <= i (top-left aligned); may be combined with attn_mask.
//   scale: defaults to 1 / sqrt(E).  dropout_p: applied whenever > 0 (pass 0 in evaluation), with `gen`.
// A query row whose keys are all masked gives zeros (PyTorch gives NaN) and passes no gradient.
// The 4-D result (N, H, L, Ev) is laid out in memory as (N, L, H, Ev), so that merging the heads with
// transpose(1, 2).reshape(N, L, H * Ev) is a free view.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt, Generator* gen = nullptr);

// The same, also returning the attention weights (..., L, S) after dropout (as MultiheadAttention's
// need_weights), differentiable as a second output.
std::pair<Tensor, Tensor> scaled_dot_product_attention_with_weights(const Tensor& q, const Tensor& k, const Tensor& v,
                                                                    const Tensor& attn_mask = Tensor(),
                                                                    double dropout_p = 0.0, bool is_causal = false,
                                                                    std::optional<double> scale = std::nullopt,
                                                                    Generator* gen = nullptr);

}  // namespace strata
