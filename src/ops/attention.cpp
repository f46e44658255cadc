// scaled_dot_product_attention: one fused forward (batched GEMM, masked softmax, GEMM) and one fused backward
// (kernels/cpu/attention.h), recorded as a single autograd node that saves q, k, v and the probabilities.
#include "strata/ops/attention.h"

#include <cmath>
#include <vector>

#include "kernels/cpu/attention.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/views.h"

namespace strata {

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

// Element offsets of the `nb` leading (batch) dims of a layout, enumerated row-major.
std::vector<int64_t> batch_offsets(const Shape& shape, const Strides& strides, size_t nb) {
  int64_t batch = 1;
  for (size_t d = 0; d < nb; ++d) batch *= shape[d];
  std::vector<int64_t> off(static_cast<size_t>(batch));
  std::vector<int64_t> idx(nb, 0);
  int64_t cur = 0;
  for (int64_t i = 0; i < batch; ++i) {
    off[static_cast<size_t>(i)] = cur;
    for (size_t d = nb; d-- > 0;) {
      cur += strides[d];
      if (++idx[d] < shape[d]) break;
      cur -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return off;
}

// A matrix operand for the kernel: unit column stride and a row stride that covers a row; copies (not
// recorded) anything else.
struct Operand {
  Tensor t;
  std::vector<int64_t> off;
  int64_t ld = 0;
};

Operand operand(const Tensor& x, size_t nb) {
  Operand o{x, {}, 0};
  const int64_t rows = x.size(-2), cols = x.size(-1);
  const bool ok = (cols <= 1 || x.stride(-1) == 1) && (rows <= 1 || x.stride(-2) >= cols);
  if (!ok) {
    NoGradGuard g;
    o.t = contiguous(x);
  }
  o.ld = rows <= 1 ? std::max<int64_t>(cols, 1) : o.t.stride(-2);
  o.off = batch_offsets(o.t.shape(), o.t.strides(), nb);
  return o;
}

template <class T>
kernels::cpu::AttnOperand<T> view_of(const Operand& o) {
  return {o.t.data_ptr<T>(), o.off.data(), o.ld};
}

Shape with_tail(const Shape& lead, int64_t a, int64_t b) {
  Shape s = lead;
  s.push_back(a);
  s.push_back(b);
  return s;
}

std::pair<Tensor, Tensor> sdpa(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                               double dropout_p, bool is_causal, std::optional<double> scale_opt, Generator* gen,
                               bool want_weights) {
  STRATA_CHECK(q.defined() && k.defined() && v.defined(), "[", kOp, "] undefined query, key or value");
  if (is_low_float(q.dtype()) || is_low_float(k.dtype()) || is_low_float(v.dtype())) {
    // 16-bit operands: the fused kernel runs in float32 and the results are returned in the query's dtype.
    const DType low = is_low_float(q.dtype()) ? q.dtype() : is_low_float(k.dtype()) ? k.dtype() : v.dtype();
    auto up = [](const Tensor& t) { return t.defined() && is_low_float(t.dtype()) ? to_dtype(t, kFloat32) : t; };
    auto [o, w] = sdpa(up(q), up(k), up(v), up(attn_mask), dropout_p, is_causal, scale_opt, gen, want_weights);
    return {to_dtype(o, low), w.defined() ? to_dtype(w, low) : w};
  }
  check_cpu(kOp, q.device());
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
  kernels::cpu::AttnDims dims;
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
  std::vector<int64_t> mask_off;
  int64_t mask_rs = 0, mask_cs = 0;
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
    const Strides ms = ops::broadcast_strides(mask, score_shape);
    mask_off = batch_offsets(score_shape, ms, nb);
    mask_rs = ms[nb];
    mask_cs = ms[nb + 1];
  }

  const Operand oq = operand(q, nb), ok = operand(k, nb), ov = operand(v, nb);
  Tensor probs = Tensor::empty(score_shape, dt);
  Tensor drop, dropped;
  if (dropout_p > 0) {
    NoGradGuard g;
    if (dropout_p >= 1) {
      drop = zeros(score_shape, TensorOptions(dt));
    } else {
      drop = bernoulli(score_shape, 1 - dropout_p, TensorOptions(dt), gen);
      drop.div_(1 - dropout_p);
    }
    dropped = Tensor::empty(score_shape, dt);
  }
  // A 4-D result (N, H, L, Ev) is stored as (N, L, H, Ev): merging the heads afterwards is a view.
  Tensor out;
  std::vector<int64_t> out_off(static_cast<size_t>(dims.batch));
  int64_t ldo = dims.Ev;
  if (nb == 2) {
    const int64_t N = lead[0], H = lead[1];
    Tensor base = Tensor::empty({N, dims.L, H, dims.Ev}, dt);
    out = Tensor::make_view(base.storage(), with_tail(lead, dims.L, dims.Ev),
                            Strides{dims.L * H * dims.Ev, dims.Ev, H * dims.Ev, 1}, base.offset(), dt);
    ldo = H * dims.Ev;
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t h = 0; h < H; ++h) out_off[static_cast<size_t>(n * H + h)] = n * dims.L * H * dims.Ev + h * dims.Ev;
    }
  } else {
    out = Tensor::empty(with_tail(lead, dims.L, dims.Ev), dt);
    for (int64_t b = 0; b < dims.batch; ++b) out_off[static_cast<size_t>(b)] = b * dims.L * dims.Ev;
  }

  auto fwd = [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::AttnMask<T> m;
    m.causal = is_causal;
    if (mask.defined()) {
      if (mask.dtype() == kBool) {
        m.keep = mask.data_ptr<bool>();
      } else {
        m.add = mask.data_ptr<T>();
      }
      m.off = mask_off.data();
      m.rs = mask_rs;
      m.cs = mask_cs;
    }
    kernels::cpu::attention_forward<T>(dims, static_cast<T>(scale), view_of<T>(oq), view_of<T>(ok), view_of<T>(ov), m,
                                       drop.defined() ? drop.data_ptr<T>() : nullptr, probs.data_ptr<T>(),
                                       dropped.defined() ? dropped.data_ptr<T>() : nullptr, out.data_ptr<T>(),
                                       out_off.data(), ldo);
  };
  dispatch_float(dt, kOp, fwd);
  Tensor weights = want_weights ? (dropped.defined() ? dropped : probs) : Tensor();

  const Tensor grad_mask = attn_mask.defined() && attn_mask.dtype() != kBool ? attn_mask : Tensor();
  if (autograd::needs_grad({&q, &k, &v, &grad_mask})) {
    autograd::SavedTensor sq(oq.t, kOp), sk(ok.t, kOp), sv(ov.t, kOp), sp(probs, kOp), sd(drop, kOp), sdd(dropped, kOp);
    const Shape mask_shape = grad_mask.defined() ? grad_mask.shape() : Shape{};
    const DType mask_dtype = grad_mask.defined() ? grad_mask.dtype() : dt;
    const Shape &qs = q.shape(), &ks = k.shape(), &vs = v.shape();  // copied into the rule by [=]
    const std::vector<int64_t> qoff = oq.off, koff = ok.off, voff = ov.off;
    const int64_t qld = oq.ld, kld = ok.ld, vld = ov.ld;
    TensorList outputs{out};
    if (want_weights) outputs.push_back(weights);
    autograd::record(kOp, {q, k, v, grad_mask}, outputs, [=](const TensorList& g, const autograd::NeedsGrad& needs) {
      const Operand bq{sq.get(), qoff, qld}, bk{sk.get(), koff, kld}, bv{sv.get(), voff, vld};
      const Operand go =
          operand(g[0].defined() ? g[0] : zeros(with_tail(lead, dims.L, dims.Ev), TensorOptions(dt)), nb);
      Tensor gw = g.size() > 1 && g[1].defined() ? ops::cast(g[1], dt).contiguous() : Tensor();
      Tensor p = sp.get(), dmask = sd.get(), pd = sdd.get();
      Tensor ds = Tensor::empty(score_shape, dt);
      TensorList grads(4);
      if (needs[0]) grads[0] = Tensor::empty(qs, dt);
      if (needs[1]) grads[1] = Tensor::empty(ks, dt);
      if (needs[2]) grads[2] = Tensor::empty(vs, dt);
      dispatch_float(dt, kOp, [&](auto tag) {
        using T = typename decltype(tag)::type;
        auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; };
        kernels::cpu::attention_backward<T>(dims, static_cast<T>(scale), view_of<T>(bq), view_of<T>(bk), view_of<T>(bv),
                                            view_of<T>(go), ptr(gw), ptr(p), ptr(dmask), ptr(pd), ptr(ds),
                                            ptr(grads[0]), ptr(grads[1]), ptr(grads[2]), is_causal);
      });
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
