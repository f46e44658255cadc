#pragma once
// Variable-length batches: padding a list of sequences into one tensor, and the masks attention needs.
#include <cstdint>
#include <vector>

#include "strata/core/tensor.h"

namespace strata {

// Stacks sequences of different lengths, padding each at the end with padding_value (differentiable;
// padded positions receive no gradient).  sequences[i]: (L_i, *)  ->  (L_max, B, *), or (B, L_max, *)
// when batch_first.
Tensor pad_sequence(const TensorList& sequences, bool batch_first = false, double padding_value = 0.0);

// Key padding mask from sequence lengths: bool (B, max_len), true at padded positions (j >= lengths[b]),
// MultiheadAttention's key_padding_mask convention (true = ignore). max_len < 0: the longest length.
Tensor key_padding_mask(const std::vector<int64_t>& lengths, int64_t max_len = -1);

// The additive causal mask of nn.Transformer.generate_square_subsequent_mask: (L, S) with -inf where key
// j > query i and 0 elsewhere (S < 0: S = L). Additive, so it means the same to MultiheadAttention and to
// scaled_dot_product_attention (whose bool masks have opposite conventions).
Tensor causal_mask(int64_t L, int64_t S = -1, DType dtype = kFloat32);

}  // namespace strata
