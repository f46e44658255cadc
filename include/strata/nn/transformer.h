#pragma once
// Transformer layers with PyTorch's submodule names (so PyTorch state_dicts load): TransformerEncoderLayer,
// TransformerDecoderLayer, their stacks, and a GPT-style causal decoder-only block (nanoGPT's names).
#include <memory>
#include <string>

#include "strata/core/generator.h"
#include "strata/nn/attention.h"
#include "strata/nn/containers.h"
#include "strata/nn/linear.h"
#include "strata/nn/module.h"
#include "strata/nn/normalization.h"

namespace strata::nn {

// The constructor arguments of nn.TransformerEncoderLayer / nn.TransformerDecoderLayer, with their defaults.
struct TransformerLayerOptions {
  int64_t d_model = 512;
  int64_t nhead = 8;
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";  // "relu" or "gelu" (exact)
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;  // pre-norm (true) or post-norm (false, the original Transformer)
  DType dtype = kFloat32;
  Generator* gen = nullptr;  // for initialisation and dropout masks
};

// Post-norm:  x = norm1(x + sa(x)); x = norm2(x + ff(x)).   Pre-norm:  x = x + sa(norm1(x)); x = x + ff(norm2(x)).
// sa = dropout1(self_attn(x, x, x)), ff = dropout2(linear2(dropout(activation(linear1(x))))).
// src: (L, N, d_model), (N, L, d_model) with batch_first, or (L, d_model); masks as MultiheadAttention's.
class TransformerEncoderLayer : public Module {
 public:
  explicit TransformerEncoderLayer(const TransformerLayerOptions& opts);
  std::string type_name() const override { return "TransformerEncoderLayer"; }
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  std::shared_ptr<LayerNorm> norm1, norm2;

 private:
  TransformerLayerOptions opts_;
};

// Adds cross-attention over `memory` (multihead_attn, norm2/dropout2) between self-attention and the
// feed-forward block (norm3/dropout3). tgt: (T, N, d_model); memory: (S, N, d_model) (batch_first alike).
class TransformerDecoderLayer : public Module {
 public:
  explicit TransformerDecoderLayer(const TransformerLayerOptions& opts);
  std::string type_name() const override { return "TransformerDecoderLayer"; }
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(), const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false);

  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2, dropout3;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;

 private:
  TransformerLayerOptions opts_;
};

// num_layers encoder layers ("layers.0", ...) and an optional final LayerNorm ("norm"). Unlike PyTorch,
// which deep-copies one layer (so all start equal), each layer is initialised on its own.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerLayerOptions& opts, int64_t num_layers, bool final_norm = false);
  std::string type_name() const override { return "TransformerEncoder"; }
  Tensor forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const TransformerLayerOptions& opts, int64_t num_layers, bool final_norm = false);
  std::string type_name() const override { return "TransformerDecoder"; }
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(), const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false);

  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

// GPT causal self-attention: c_attn = Linear(d, 3d) (fused q, k, v), heads by the fused causal
// scaled_dot_product_attention, c_proj = Linear(d, d), dropout on the weights and the output.
// x: (N, T, d) -> (N, T, d).
class CausalSelfAttention : public Module {
 public:
  CausalSelfAttention(int64_t d_model, int64_t nhead, double dropout = 0.0, bool bias = true, DType dtype = kFloat32,
                      Generator* gen = nullptr);
  std::string type_name() const override { return "CausalSelfAttention"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  int64_t d_model() const { return d_; }
  int64_t nhead() const { return nhead_; }

  std::shared_ptr<Linear> c_attn, c_proj;

 private:
  int64_t d_, nhead_;
  double dropout_;
  Generator* gen_;
};

// The GPT MLP: c_proj(gelu(c_fc(x))) with exact GELU, then dropout. c_fc: d -> hidden, c_proj: hidden -> d.
class GPTMLP : public Module {
 public:
  GPTMLP(int64_t d_model, int64_t hidden, double dropout = 0.0, bool bias = true, DType dtype = kFloat32,
         Generator* gen = nullptr);
  std::string type_name() const override { return "GPTMLP"; }
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Linear> c_fc, c_proj;
  std::shared_ptr<Dropout> dropout;
};

// A pre-LN decoder-only block:  x = x + attn(ln_1(x));  x = x + mlp(ln_2(x)).  x: (N, T, d_model).
// Keys as nanoGPT's Block (ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj). hidden < 0: 4 d_model.
class GPTBlock : public Module {
 public:
  GPTBlock(int64_t d_model, int64_t nhead, int64_t hidden = -1, double dropout = 0.0, bool bias = true,
           DType dtype = kFloat32, Generator* gen = nullptr);
  std::string type_name() const override { return "GPTBlock"; }
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<LayerNorm> ln_1, ln_2;
  std::shared_ptr<CausalSelfAttention> attn;
  std::shared_ptr<GPTMLP> mlp;
};

}  // namespace strata::nn
