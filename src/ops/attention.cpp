// scaled_dot_product_attention: one fused forward (batched GEMM, masked softmax, GEMM) and one fused backward
// (the attention family, backend/attention.h), recorded as a single autograd node that saves q, k, v and the
// probabilities.
#include "strata/ops/attention.h"

#include <cmath>

#include "backend/attention.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/views.h"

namespace strata {

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

// x itself when its last two dims have a unit column stride and a row stride that covers a row, else a
// contiguous copy (not recorded): the form the attention kernels read.
Tensor matrix_operand(const Tensor& x) {
  const int64_t rows = x.size(-2), cols = x.size(-1);
  if ((cols <= 1 || x.stride(-1) == 1) && (rows <= 1 || x.stride(-2) >= cols)) return x;
  NoGradGuard g;
  return contiguous(x);
}

Shape with_tail(const Shape& lead, int64_t a, int64_t b) {
  Shape s = lead;
  s.push_back(a);
  s.push_back(b);
  return s;
}

std::pair<Tensor, Tensor> sdpa(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const Tensor& mask_in,
                               double dropout_p, bool is_causal, std::optional<double> scale_opt, Generator* gen,
                               bool want_weights) {
  STRATA_CHECK(q_in.defined() && k_in.defined() && v_in.defined(), "[", kOp, "] undefined query, key or value");
  Tensor q = q_in, k = k_in, v = v_in, attn_mask = mask_in;
  const Device dev = backend::place(kOp, {&q, &k, &v, &attn_mask});
  if (is_low_float(q.dtype()) || is_low_float(k.dtype()) || is_low_float(v.dtype())) {
    // 16-bit operands: the fused kernel runs in float32 and the results are returned in the query's dtype.
    const DType low = is_low_float(q.dtype()) ? q.dtype() : is_low_float(k.dtype()) ? k.dtype() : v.dtype();
    auto up = [](const Tensor& t) { return t.defined() && is_low_float(t.dtype()) ? to_dtype(t, kFloat32) : t; };
    auto [o, w] = sdpa(up(q), up(k), up(v), up(attn_mask), dropout_p, is_causal, scale_opt, gen, want_weights);
    return {to_dtype(o, low), w.defined() ? to_dtype(w, low) : w};
  }
  STRATA_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), "[", kOp,
               "] expected query (..., L, E), key (..., S, E) and value (..., S, Ev) with the same number of dims, "
               "got ",
               q.shape(), ", ", k.shape(), ", ", v.shape());
  STRATA_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype() && is_floating(q.dtype()), "[", kOp,
               "] query, key and value must share one float dtype, got ", q.dtype(), ", ", k.dtype(), ", ", v.dtype());
  const auto nb = static_cast<size_t>(q.dim() - 2);
  for (size_t d = 0; d < nb; ++d) {
    STRATA_CHECK(q.shape()[d] == k.shape()[d] && q.shape()[d] == v.shape()[d], "[", kOp,
                 "] leading dims of query, key and value differ: ", q.shape(), ", ", k.shape(), ", ", v.shape());
  }
  const Shape lead(q.shape().data(), nb);
  backend::AttnDims dims;
  dims.batch = lead.numel();
  dims.L = q.size(-2);
  dims.S = k.size(-2);
  dims.E = q.size(-1);
  dims.Ev = v.size(-1);
  STRATA_CHECK(k.size(-1) == dims.E, "[", kOp, "] query and key embedding sizes differ: ", q.shape(), " vs ",
               k.shape());
  STRATA_CHECK(v.size(-2) == dims.S, "[", kOp, "] key and value sequence lengths differ: ", k.shape(), " vs ",
               v.shape());
  STRATA_CHECK(dropout_p >= 0 && dropout_p <= 1, "[", kOp, "] dropout_p must be in [0, 1], got ", dropout_p);
  const double scale = scale_opt ? *scale_opt : 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(dims.E, 1)));
  const DType dt = q.dtype();
  const Shape score_shape = with_tail(lead, dims.L, dims.S);

  // The mask, broadcast (stride 0) onto (..., L, S).
  Tensor mask;
  if (attn_mask.defined()) {
    STRATA_CHECK(attn_mask.dtype() == kBool || is_floating(attn_mask.dtype()), "[", kOp,
                 "] attn_mask must be bool or float, got ", attn_mask.dtype());
    bool fits = attn_mask.dim() <= static_cast<int64_t>(score_shape.size());
    for (int64_t i = 1; fits && i <= attn_mask.dim(); ++i) {
      const int64_t m = attn_mask.size(-i), want = score_shape[score_shape.size() - static_cast<size_t>(i)];
      fits = m == want || m == 1;
    }
    STRATA_CHECK(fits, "[", kOp, "] attn_mask ", attn_mask.shape(), " does not broadcast to the scores ", score_shape,
                 " (query ", q.shape(), ", key ", k.shape(), ")");
    mask = attn_mask.dtype() == kBool ? attn_mask : ops::cast(attn_mask, dt);
    mask = Tensor::make_view(mask.storage(), score_shape, ops::broadcast_strides(mask, score_shape), mask.offset(),
                             mask.dtype());
  }

  const Tensor oq = matrix_operand(q), ok = matrix_operand(k), ov = matrix_operand(v);
  const TensorOptions opts = TensorOptions(dt).with_device(dev);
  Tensor probs = Tensor::empty(score_shape, dt, dev);
  Tensor drop, dropped;
  if (dropout_p > 0) {
    NoGradGuard g;
    if (dropout_p >= 1) {
      drop = zeros(score_shape, opts);
    } else {
      drop = bernoulli(score_shape, 1 - dropout_p, opts, gen);
      drop.div_(1 - dropout_p);
    }
    dropped = Tensor::empty(score_shape, dt, dev);
  }
  // A 4-D result (N, H, L, Ev) is stored as (N, L, H, Ev): merging the heads afterwards is a view.
  Tensor out;
  if (nb == 2) {
    const int64_t N = lead[0], H = lead[1];
    Tensor base = Tensor::empty({N, dims.L, H, dims.Ev}, dt, dev);
    out = Tensor::make_view(base.storage(), with_tail(lead, dims.L, dims.Ev),
                            Strides{dims.L * H * dims.Ev, dims.Ev, H * dims.Ev, 1}, base.offset(), dt);
  } else {
    out = Tensor::empty(with_tail(lead, dims.L, dims.Ev), dt, dev);
  }
  backend::attention(kOp, dev).forward(dims, scale, is_causal, out, probs, dropped, oq, ok, ov, mask, drop);
  Tensor weights = want_weights ? (dropped.defined() ? dropped : probs) : Tensor();

  const Tensor grad_mask = attn_mask.defined() && attn_mask.dtype() != kBool ? attn_mask : Tensor();
  if (autograd::needs_grad({&q, &k, &v, &grad_mask})) {
    autograd::SavedTensor sq(oq, kOp), sk(ok, kOp), sv(ov, kOp), sp(probs, kOp), sd(drop, kOp), sdd(dropped, kOp);
    const Shape mask_shape = grad_mask.defined() ? grad_mask.shape() : Shape{};
    const DType mask_dtype = grad_mask.defined() ? grad_mask.dtype() : dt;
    const Shape &qs = q.shape(), &ks = k.shape(), &vs = v.shape();  // copied into the rule by [=]
    TensorList outputs{out};
    if (want_weights) outputs.push_back(weights);
    autograd::record(kOp, {q, k, v, grad_mask}, outputs, [=](const TensorList& g, const autograd::NeedsGrad& needs) {
      const Tensor go = matrix_operand(g[0].defined() ? g[0] : zeros(with_tail(lead, dims.L, dims.Ev), opts));
      Tensor gw = g.size() > 1 && g[1].defined() ? ops::cast(g[1], dt).contiguous() : Tensor();
      Tensor ds = Tensor::empty(score_shape, dt, dev);
      TensorList grads(4);
      if (needs[0]) grads[0] = Tensor::empty(qs, dt, dev);
      if (needs[1]) grads[1] = Tensor::empty(ks, dt, dev);
      if (needs[2]) grads[2] = Tensor::empty(vs, dt, dev);
      backend::attention(kOp, dev).backward(dims, scale, is_causal, grads[0], grads[1], grads[2], ds, sq.get(),
                                            sk.get(), sv.get(), go, gw, sp.get(), sd.get(), sdd.get());
      if (needs[3]) grads[3] = to_dtype(sum_to(ds, mask_shape), mask_dtype);
      return grads;
    });
  }
  return {out, weights};
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale, Generator* gen) {
  const profile::Scope prof_scope(profile::Kind::Forward, "scaled_dot_product_attention");
  return sdpa(q, k, v, attn_mask, dropout_p, is_causal, scale, gen, false).first;
}

std::pair<Tensor, Tensor> scaled_dot_product_attention_with_weights(const Tensor& q, const Tensor& k, const Tensor& v,
                                                                    const Tensor& attn_mask, double dropout_p,
                                                                    bool is_causal, std::optional<double> scale,
                                                                    Generator* gen) {
  const profile::Scope prof_scope(profile::Kind::Forward, "scaled_dot_product_attention");
  return sdpa(q, k, v, attn_mask, dropout_p, is_causal, scale, gen, true);
}

}  // namespace strata
