#pragma once
// MultiheadAttention (PyTorch's layout, names and masks) and positional encodings (sinusoidal, learned).
#include <string>
#include <utility>

#include "strata/core/generator.h"
#include "strata/nn/linear.h"
#include "strata/nn/module.h"

namespace strata::nn {

// PyTorch's name for MultiheadAttention's output projection (a Linear; the name only shows in printouts).
class NonDynamicallyQuantizableLinear : public Linear {
 public:
  using Linear::Linear;
  std::string type_name() const override { return "NonDynamicallyQuantizableLinear"; }
};

// Multi-head attention as torch.nn.MultiheadAttention (kdim = vdim = embed_dim, no bias_k/zero_attn):
//   in_proj_weight (3E, E) [q; k; v], in_proj_bias (3E), out_proj.weight (E, E), out_proj.bias (E).
// Init as PyTorch: xavier_uniform_ in_proj_weight, zero biases (drawn in PyTorch's order, so manual_seed
// gives PyTorch's weights). The heads are computed by the fused scaled_dot_product_attention.
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                     bool batch_first = false, DType dtype = kFloat32, Generator* gen = nullptr);
  std::string type_name() const override { return "MultiheadAttention"; }

  // query: (L, N, E), or (N, L, E) when batch_first, or (L, E) unbatched; key, value: (S, N, E) likewise.
  // key_padding_mask: (N, S) ((S) unbatched); bool (true = ignore this key) or float (added to the scores).
  // attn_mask: (L, S) or (N * num_heads, L, S); bool (true = NOT allowed to attend, PyTorch's MHA convention)
  //            or float (added). is_causal: additionally mask keys j > i.
  // Returns the output (query's layout) and, when need_weights, the attention weights after dropout:
  // (N, L, S) averaged over heads, or (N, num_heads, L, S) when !average_attn_weights ((L, S) / (H, L, S)
  // unbatched); undefined otherwise. A query whose keys are all masked gets zeros (PyTorch: NaN).
  std::pair<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& key_padding_mask = Tensor(), bool need_weights = true,
                                    const Tensor& attn_mask = Tensor(), bool average_attn_weights = true,
                                    bool is_causal = false);
  // Self-attention of x with no masks; the output only.
  Tensor forward(const Tensor& x) override;

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  bool batch_first() const { return batch_first_; }
  Tensor in_proj_weight, in_proj_bias;  // in_proj_bias undefined without bias
  std::shared_ptr<NonDynamicallyQuantizableLinear> out_proj;

 private:
  int64_t embed_dim_, num_heads_;
  double dropout_;
  bool batch_first_;
  Generator* gen_;
};

// Merges a MultiheadAttention-style key_padding_mask (N, S) and attn_mask ((L, S) or (N * H, L, S)), bool
// (true = masked) or float (added), into one additive float mask broadcastable to (N, H, L, S) of `dtype`,
// for scaled_dot_product_attention; undefined when both are. `layer` names the caller in errors.
Tensor merge_attention_masks(const char* layer, const Tensor& key_padding_mask, const Tensor& attn_mask, int64_t N,
                             int64_t H, int64_t L, int64_t S, DType dtype);

// x + PE[:L] with the fixed sinusoids of "Attention is all you need":
//   PE[pos, 2i] = sin(pos / 10000^(2i / d)),  PE[pos, 2i + 1] = cos(pos / 10000^(2i / d)).
// Buffer pe (max_len, d_model). x: (L, N, d_model), or (N, L, d_model) when batch_first, or (L, d_model).
class SinusoidalPositionalEncoding : public Module {
 public:
  explicit SinusoidalPositionalEncoding(int64_t d_model, int64_t max_len = 5000, bool batch_first = false,
                                        DType dtype = kFloat32);
  std::string type_name() const override { return "SinusoidalPositionalEncoding"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  Tensor pe;

 private:
  int64_t d_model_, max_len_;
  bool batch_first_;
};

// x + W[:L] with a learned table W (max_len, d_model), N(0, 1) initialised like nn.Embedding, whose
// state_dict key is "weight" (so it loads an nn.Embedding of positions). x as SinusoidalPositionalEncoding.
class LearnedPositionalEncoding : public Module {
 public:
  LearnedPositionalEncoding(int64_t max_len, int64_t d_model, bool batch_first = false, DType dtype = kFloat32,
                            Generator* gen = nullptr);
  std::string type_name() const override { return "LearnedPositionalEncoding"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  // The first L rows (L, d_model), differentiable.
  Tensor positions(int64_t L) const;
  Tensor weight;

 private:
  int64_t max_len_, d_model_;
  bool batch_first_;
};

}  // namespace strata::nn
