// Transformer encoder/decoder layers and stacks (PyTorch's structure and names) and the GPT block.
#include "strata/nn/transformer.h"

#include "nn/repr.h"
#include "strata/core/error.h"
#include "strata/ops/activation.h"
#include "strata/ops/attention.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/linalg.h"
#include "strata/ops/normalization.h"
#include "strata/ops/views.h"

namespace strata::nn {

namespace {

void check_options(const char* layer, const TransformerLayerOptions& o) {
  STRATA_CHECK(o.activation == "relu" || o.activation == "gelu", "[", layer,
               "] activation should be relu or gelu, not ", o.activation);
  STRATA_CHECK(o.d_model > 0 && o.nhead > 0 && o.d_model % o.nhead == 0, "[", layer,
               "] d_model must be a positive multiple of nhead, got d_model=", o.d_model, ", nhead=", o.nhead);
  STRATA_CHECK(o.dim_feedforward > 0, "[", layer, "] dim_feedforward must be positive, got ", o.dim_feedforward);
}

Tensor activate(const std::string& name, const Tensor& x) { return name == "gelu" ? gelu(x) : relu(x); }

void check_input(const char* layer, const char* what, const Tensor& x, int64_t d_model) {
  STRATA_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 3) && x.size(-1) == d_model, "[", layer, "] expected ", what,
               " of shape (L, N, ", d_model, "), (N, L, ", d_model, ") or (L, ", d_model, "), got ",
               x.defined() ? x.shape() : Shape{});
}

std::shared_ptr<MultiheadAttention> make_mha(const TransformerLayerOptions& o) {
  return std::make_shared<MultiheadAttention>(o.d_model, o.nhead, o.dropout, true, o.batch_first, o.dtype, o.gen);
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerLayerOptions& opts) : opts_(opts) {
  check_options("TransformerEncoderLayer", opts);
  const auto& o = opts_;
  self_attn = register_module("self_attn", make_mha(o));
  linear1 = register_module("linear1", std::make_shared<Linear>(o.d_model, o.dim_feedforward, true, o.dtype, o.gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout, o.gen));
  linear2 = register_module("linear2", std::make_shared<Linear>(o.dim_feedforward, o.d_model, true, o.dtype, o.gen));
  const std::vector<int64_t> ns{o.d_model};
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(ns, o.layer_norm_eps, true, o.dtype));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(ns, o.layer_norm_eps, true, o.dtype));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(o.dropout, o.gen));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(o.dropout, o.gen));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask,
                                        bool is_causal) {
  check_input("TransformerEncoderLayer", "src", src, opts_.d_model);
  auto sa = [&](const Tensor& x) {
    return (*dropout1)(self_attn->forward(x, x, x, src_key_padding_mask, false, src_mask, true, is_causal).first);
  };
  auto ff = [&](const Tensor& x) {
    return (*dropout2)((*linear2)((*dropout)(activate(opts_.activation, (*linear1)(x)))));
  };
  Tensor x = src;
  if (opts_.norm_first) {
    x = add(x, sa((*norm1)(x)));
    return add(x, ff((*norm2)(x)));
  }
  x = (*norm1)(add(x, sa(x)));
  return (*norm2)(add(x, ff(x)));
}

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerLayerOptions& opts) : opts_(opts) {
  check_options("TransformerDecoderLayer", opts);
  const auto& o = opts_;
  self_attn = register_module("self_attn", make_mha(o));
  multihead_attn = register_module("multihead_attn", make_mha(o));
  linear1 = register_module("linear1", std::make_shared<Linear>(o.d_model, o.dim_feedforward, true, o.dtype, o.gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout, o.gen));
  linear2 = register_module("linear2", std::make_shared<Linear>(o.dim_feedforward, o.d_model, true, o.dtype, o.gen));
  const std::vector<int64_t> ns{o.d_model};
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(ns, o.layer_norm_eps, true, o.dtype));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(ns, o.layer_norm_eps, true, o.dtype));
  norm3 = register_module("norm3", std::make_shared<LayerNorm>(ns, o.layer_norm_eps, true, o.dtype));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(o.dropout, o.gen));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(o.dropout, o.gen));
  dropout3 = register_module("dropout3", std::make_shared<Dropout>(o.dropout, o.gen));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask, bool tgt_is_causal) {
  check_input("TransformerDecoderLayer", "tgt", tgt, opts_.d_model);
  check_input("TransformerDecoderLayer", "memory", memory, opts_.d_model);
  STRATA_CHECK(memory.dim() == tgt.dim(), "[TransformerDecoderLayer] tgt ", tgt.shape(), " and memory ", memory.shape(),
               " must both be batched or both unbatched");
  auto sa = [&](const Tensor& x) {
    return (*dropout1)(self_attn->forward(x, x, x, tgt_key_padding_mask, false, tgt_mask, true, tgt_is_causal).first);
  };
  auto mha = [&](const Tensor& x) {
    return (*dropout2)(multihead_attn->forward(x, memory, memory, memory_key_padding_mask, false, memory_mask).first);
  };
  auto ff = [&](const Tensor& x) {
    return (*dropout3)((*linear2)((*dropout)(activate(opts_.activation, (*linear1)(x)))));
  };
  Tensor x = tgt;
  if (opts_.norm_first) {
    x = add(x, sa((*norm1)(x)));
    x = add(x, mha((*norm2)(x)));
    return add(x, ff((*norm3)(x)));
  }
  x = (*norm1)(add(x, sa(x)));
  x = (*norm2)(add(x, mha(x)));
  return (*norm3)(add(x, ff(x)));
}

TransformerEncoder::TransformerEncoder(const TransformerLayerOptions& opts, int64_t num_layers, bool final_norm) {
  STRATA_CHECK(num_layers >= 0, "[TransformerEncoder] num_layers must be non-negative, got ", num_layers);
  layers = register_module("layers", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerEncoderLayer>(opts));
  if (final_norm) {
    norm = register_module(
        "norm", std::make_shared<LayerNorm>(std::vector<int64_t>{opts.d_model}, opts.layer_norm_eps, true, opts.dtype));
  }
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                   bool is_causal) {
  Tensor x = src;
  for (const ModulePtr& m : *layers) {
    x = static_cast<TransformerEncoderLayer&>(*m).forward(x, mask, src_key_padding_mask, is_causal);
  }
  return norm ? (*norm)(x) : x;
}

TransformerDecoder::TransformerDecoder(const TransformerLayerOptions& opts, int64_t num_layers, bool final_norm) {
  STRATA_CHECK(num_layers >= 0, "[TransformerDecoder] num_layers must be non-negative, got ", num_layers);
  layers = register_module("layers", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerDecoderLayer>(opts));
  if (final_norm) {
    norm = register_module(
        "norm", std::make_shared<LayerNorm>(std::vector<int64_t>{opts.d_model}, opts.layer_norm_eps, true, opts.dtype));
  }
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                   const Tensor& memory_key_padding_mask, bool tgt_is_causal) {
  Tensor x = tgt;
  for (const ModulePtr& m : *layers) {
    x = static_cast<TransformerDecoderLayer&>(*m).forward(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                                                          memory_key_padding_mask, tgt_is_causal);
  }
  return norm ? (*norm)(x) : x;
}

CausalSelfAttention::CausalSelfAttention(int64_t d_model, int64_t nhead, double dropout, bool bias, DType dtype,
                                         Generator* gen)
    : d_(d_model), nhead_(nhead), dropout_(dropout), gen_(gen) {
  STRATA_CHECK(d_model > 0 && nhead > 0 && d_model % nhead == 0,
               "[CausalSelfAttention] d_model must be a positive multiple of nhead, got d_model=", d_model,
               ", nhead=", nhead);
  c_attn = register_module("c_attn", std::make_shared<Linear>(d_model, 3 * d_model, bias, dtype, gen));
  c_proj = register_module("c_proj", std::make_shared<Linear>(d_model, d_model, bias, dtype, gen));
}

std::string CausalSelfAttention::extra_repr() const {
  return "d_model=" + std::to_string(d_) + ", nhead=" + std::to_string(nhead_) +
         ", dropout=" + detail::py_float(dropout_);
}

Tensor CausalSelfAttention::forward(const Tensor& x) {
  STRATA_CHECK(x.defined() && x.dim() == 3 && x.size(2) == d_, "[CausalSelfAttention] expected input (N, T, ", d_,
               "), got ", x.defined() ? x.shape() : Shape{});
  const int64_t N = x.size(0), T = x.size(1), D = d_ / nhead_;
  Tensor qkv = (*c_attn)(x).view({N, T, 3, nhead_, D});
  auto head = [&](int64_t i) { return qkv.select(2, i).permute({0, 2, 1, 3}); };  // (N, H, T, D), a view
  const double p = is_training() ? dropout_ : 0.0;
  Tensor y = scaled_dot_product_attention(head(0), head(1), head(2), Tensor(), p, true, std::nullopt, gen_);
  y = (*c_proj)(y.transpose(1, 2).reshape({N, T, d_}));  // the head merge is a view
  return p > 0 ? strata::dropout(y, p, true, gen_) : y;
}

GPTMLP::GPTMLP(int64_t d_model, int64_t hidden, double p, bool bias, DType dtype, Generator* gen) {
  c_fc = register_module("c_fc", std::make_shared<Linear>(d_model, hidden, bias, dtype, gen));
  c_proj = register_module("c_proj", std::make_shared<Linear>(hidden, d_model, bias, dtype, gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(p, gen));
}

Tensor GPTMLP::forward(const Tensor& x) { return (*dropout)((*c_proj)(gelu((*c_fc)(x)))); }

GPTBlock::GPTBlock(int64_t d_model, int64_t nhead, int64_t hidden, double dropout, bool bias, DType dtype,
                   Generator* gen) {
  const std::vector<int64_t> ns{d_model};
  ln_1 = register_module("ln_1", std::make_shared<LayerNorm>(ns, 1e-5, true, dtype));
  attn = register_module("attn", std::make_shared<CausalSelfAttention>(d_model, nhead, dropout, bias, dtype, gen));
  ln_2 = register_module("ln_2", std::make_shared<LayerNorm>(ns, 1e-5, true, dtype));
  mlp = register_module(
      "mlp", std::make_shared<GPTMLP>(d_model, hidden < 0 ? 4 * d_model : hidden, dropout, bias, dtype, gen));
}

Tensor GPTBlock::forward(const Tensor& x) {
  const int64_t d = ln_1->weight.size(0);
  STRATA_CHECK(x.defined() && x.dim() == 3 && x.size(2) == d, "[GPTBlock] expected input (N, T, ", d, "), got ",
               x.defined() ? x.shape() : Shape{});
  Tensor h = add(x, (*attn)((*ln_1)(x)));
  return add(h, (*mlp)((*ln_2)(h)));
}

}  // namespace strata::nn
