// MultiheadAttention (projections as views into one fused GEMM, heads through the fused
// scaled_dot_product_attention) and the positional encodings.
#include "strata/nn/attention.h"

#include <cmath>
#include <limits>

#include "nn/repr.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/init.h"
#include "strata/ops/attention.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/linalg.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata::nn {

namespace {

Shape shape_or_none(const Tensor& t) { return t.defined() ? t.shape() : Shape{}; }

// bool (true = masked) -> 0 / -inf of dtype; float -> cast to dtype.
Tensor additive(const Tensor& m, DType dtype) {
  if (m.dtype() == kBool) {
    return masked_fill(zeros(m.shape(), TensorOptions(dtype).with_device(m.device())), m, -INFINITY);
  }
  return m.to(dtype);
}

}  // namespace

Tensor merge_attention_masks(const char* layer, const Tensor& key_padding_mask, const Tensor& attn_mask, int64_t N,
                             int64_t H, int64_t L, int64_t S, DType dtype) {
  Tensor merged;
  if (key_padding_mask.defined()) {
    const Tensor& k = key_padding_mask;
    STRATA_CHECK(k.dtype() == kBool || is_floating(k.dtype()), "[", layer,
                 "] key_padding_mask must be bool or float, got ", k.dtype());
    STRATA_CHECK(k.dim() == 2 && k.size(0) == N && k.size(1) == S, "[", layer, "] expected key_padding_mask of shape (",
                 N, ", ", S, "), got ", k.shape());
    merged = additive(k, dtype).view({N, 1, 1, S});
  }
  if (attn_mask.defined()) {
    const Tensor& a = attn_mask;
    STRATA_CHECK(a.dtype() == kBool || is_floating(a.dtype()), "[", layer, "] attn_mask must be bool or float, got ",
                 a.dtype());
    const bool ok2 = a.dim() == 2 && a.size(0) == L && a.size(1) == S;
    const bool ok3 = a.dim() == 3 && a.size(0) == N * H && a.size(1) == L && a.size(2) == S;
    STRATA_CHECK(ok2 || ok3, "[", layer, "] expected attn_mask of shape (", L, ", ", S, ") or (", N * H, ", ", L, ", ",
                 S, "), got ", a.shape());
    Tensor m = ok2 ? additive(a, dtype) : additive(a, dtype).reshape({N, H, L, S});
    merged = merged.defined() ? add(merged, m) : m;
  }
  return merged;
}

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout, bool bias,
                                       bool batch_first, DType dtype, Generator* gen)
    : embed_dim_(embed_dim), num_heads_(num_heads), dropout_(dropout), batch_first_(batch_first), gen_(gen) {
  STRATA_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0,
               "[MultiheadAttention] embed_dim must be a positive multiple of num_heads, got embed_dim=", embed_dim,
               ", num_heads=", num_heads);
  STRATA_CHECK(dropout >= 0 && dropout <= 1, "[MultiheadAttention] dropout must be in [0, 1], got ", dropout);
  STRATA_CHECK(is_floating(dtype), "[MultiheadAttention] dtype must be floating point, got ", dtype);
  const TensorOptions opts(dtype);
  in_proj_weight = register_parameter("in_proj_weight", empty({3 * embed_dim, embed_dim}, opts));
  if (bias) in_proj_bias = register_parameter("in_proj_bias", empty({3 * embed_dim}, opts));
  // PyTorch's order of draws: out_proj's own init, then xavier on in_proj_weight.
  out_proj = register_module("out_proj",
                             std::make_shared<NonDynamicallyQuantizableLinear>(embed_dim, embed_dim, bias, dtype, gen));
  init::xavier_uniform_(in_proj_weight, 1.0, gen);
  if (bias) {
    init::zeros_(in_proj_bias);
    init::zeros_(out_proj->bias);
  }
}

std::pair<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                      const Tensor& key_padding_mask, bool need_weights,
                                                      const Tensor& attn_mask, bool average_attn_weights,
                                                      bool is_causal) {
  STRATA_CHECK(query.defined() && key.defined() && value.defined(), "[MultiheadAttention] undefined query/key/value");
  const int64_t E = embed_dim_, H = num_heads_, D = E / H;
  const bool batched = query.dim() == 3;
  STRATA_CHECK((query.dim() == 2 || batched) && key.dim() == query.dim() && value.dim() == query.dim(),
               "[MultiheadAttention] expected query, key and value all 3-D (batched) or all 2-D (unbatched), got ",
               query.shape(), ", ", key.shape(), ", ", value.shape());
  STRATA_CHECK(query.size(-1) == E && key.size(-1) == E && value.size(-1) == E,
               "[MultiheadAttention] expected embed_dim ", E, " as the last dim of query, key and value, got ",
               query.shape(), ", ", key.shape(), ", ", value.shape());
  // Work in (d0, d1, E) with batch dim `bd` and sequence dim `sd`.
  const bool bf = batch_first_ || !batched;
  auto lift = [&](const Tensor& t) { return batched ? t : t.unsqueeze(0); };
  const Tensor q_in = lift(query), k_in = lift(key), v_in = lift(value);
  const int64_t bd = bf ? 0 : 1, sd = bf ? 1 : 0;
  const int64_t N = q_in.size(bd), L = q_in.size(sd), S = k_in.size(sd);
  STRATA_CHECK(k_in.size(bd) == N && v_in.size(bd) == N && v_in.size(sd) == S,
               "[MultiheadAttention] query, key and value disagree on batch or key/value length: ", query.shape(), ", ",
               key.shape(), ", ", value.shape(), batch_first_ ? " (batch_first)" : "");

  // (d0, d1, n * E) projection -> n head tensors (N, H, len, D), as views.
  auto heads = [&](const Tensor& proj, int64_t n, int64_t i) {
    Tensor t = proj.view({proj.size(0), proj.size(1), n, H, D}).select(2, i);
    return bf ? t.permute({0, 2, 1, 3}) : t.permute({1, 2, 0, 3});
  };
  auto rows = [&](int64_t start, int64_t count, Tensor* w, Tensor* b) {
    *w = in_proj_weight.narrow(0, start * E, count * E);
    *b = in_proj_bias.defined() ? in_proj_bias.narrow(0, start * E, count * E) : Tensor();
  };
  Tensor q, k, v, w, b;
  if (query.is_same(key) && key.is_same(value)) {
    Tensor qkv = linear(q_in, in_proj_weight, in_proj_bias);
    q = heads(qkv, 3, 0);
    k = heads(qkv, 3, 1);
    v = heads(qkv, 3, 2);
  } else {
    rows(0, 1, &w, &b);
    q = heads(linear(q_in, w, b), 1, 0);
    if (key.is_same(value)) {
      rows(1, 2, &w, &b);
      Tensor kv = linear(k_in, w, b);
      k = heads(kv, 2, 0);
      v = heads(kv, 2, 1);
    } else {
      rows(1, 1, &w, &b);
      k = heads(linear(k_in, w, b), 1, 0);
      rows(2, 1, &w, &b);
      v = heads(linear(v_in, w, b), 1, 0);
    }
  }
  Tensor kpm = key_padding_mask;
  if (kpm.defined() && !batched && kpm.dim() == 1) kpm = kpm.unsqueeze(0);
  Tensor mask = merge_attention_masks("MultiheadAttention", kpm, attn_mask, N, H, L, S, q.dtype());
  const double p = is_training() ? dropout_ : 0.0;
  Tensor o, weights;
  if (need_weights) {
    std::tie(o, weights) = scaled_dot_product_attention_with_weights(q, k, v, mask, p, is_causal, std::nullopt, gen_);
    if (average_attn_weights) weights = weights.mean({1});
    if (!batched) weights = weights.squeeze(0);
  } else {
    o = scaled_dot_product_attention(q, k, v, mask, p, is_causal, std::nullopt, gen_);
  }
  // (N, H, L, D) stored as (N, L, H, D): merging the heads is a view.
  Tensor y = (*out_proj)(o.transpose(1, 2).reshape({N, L, E}));
  if (!batched) return {y.squeeze(0), weights};
  return {bf ? y : y.transpose(0, 1), weights};
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x, Tensor(), false).first; }

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int64_t d_model, int64_t max_len, bool batch_first,
                                                           DType dtype)
    : d_model_(d_model), max_len_(max_len), batch_first_(batch_first) {
  STRATA_CHECK(d_model > 0 && max_len > 0, "[SinusoidalPositionalEncoding] d_model and max_len must be positive, got ",
               d_model, " and ", max_len);
  Tensor t = Tensor::empty({max_len, d_model}, kFloat64);
  double* p = t.data_ptr<double>();
  for (int64_t pos = 0; pos < max_len; ++pos) {
    for (int64_t i = 0; i < d_model; ++i) {
      const double freq = std::exp(-std::log(10000.0) * static_cast<double>(i - i % 2) / static_cast<double>(d_model));
      const double a = static_cast<double>(pos) * freq;
      p[pos * d_model + i] = i % 2 == 0 ? std::sin(a) : std::cos(a);
    }
  }
  pe = register_buffer("pe", t.to(dtype));
}

std::string SinusoidalPositionalEncoding::extra_repr() const {
  return "d_model=" + std::to_string(d_model_) + ", max_len=" + std::to_string(max_len_) +
         ", batch_first=" + detail::py_bool(batch_first_);
}

namespace {
// x + table[:L] for x (L, N, d), (N, L, d) with batch_first, or (L, d).
Tensor add_positions(const char* layer, const Tensor& x, const Tensor& table, bool batch_first) {
  const int64_t max_len = table.size(0), d = table.size(1);
  STRATA_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 3) && x.size(-1) == d, "[", layer, "] expected input (L, N, ",
               d, ")", batch_first ? " (batch_first: (N, L, d))" : "", " or (L, ", d, "), got ", shape_or_none(x));
  const int64_t sd = x.dim() == 3 && batch_first ? 1 : 0;
  const int64_t L = x.size(sd);
  STRATA_CHECK(L <= max_len, "[", layer, "] sequence length ", L, " exceeds max_len ", max_len, " (input ", x.shape(),
               ")");
  Tensor pos = table.narrow(0, 0, L);
  if (x.dim() == 3 && !batch_first) pos = pos.unsqueeze(1);
  return add(x, pos);
}
}  // namespace

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x) {
  return add_positions("SinusoidalPositionalEncoding", x, pe, batch_first_);
}

LearnedPositionalEncoding::LearnedPositionalEncoding(int64_t max_len, int64_t d_model, bool batch_first, DType dtype,
                                                     Generator* gen)
    : max_len_(max_len), d_model_(d_model), batch_first_(batch_first) {
  STRATA_CHECK(d_model > 0 && max_len > 0, "[LearnedPositionalEncoding] d_model and max_len must be positive, got ",
               d_model, " and ", max_len);
  weight = register_parameter("weight", empty({max_len, d_model}, TensorOptions(dtype)));
  init::normal_(weight, 0.0, 1.0, gen);
}

std::string LearnedPositionalEncoding::extra_repr() const {
  return std::to_string(max_len_) + ", " + std::to_string(d_model_) + ", batch_first=" + detail::py_bool(batch_first_);
}

Tensor LearnedPositionalEncoding::forward(const Tensor& x) {
  return add_positions("LearnedPositionalEncoding", x, weight, batch_first_);
}

Tensor LearnedPositionalEncoding::positions(int64_t L) const {
  STRATA_CHECK(L >= 0 && L <= max_len_, "[LearnedPositionalEncoding] sequence length ", L, " exceeds max_len ",
               max_len_);
  return weight.narrow(0, 0, L);
}

}  // namespace strata::nn
