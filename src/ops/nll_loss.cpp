// nll_loss on log-probabilities and cross_entropy on logits (log_softmax + nll fused, with PyTorch 1.13's
// label smoothing). Mean reduction divides by the sum of the weights of the non-ignored targets.
#include <cmath>

#include "backend/backend.h"
#include "backend/norm.h"
#include "ops/reduce_common.h"
#include "strata/autograd/autocast.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/softmax.h"

namespace strata {

namespace {

struct LossArgs {
  backend::LossShape s;
  Shape pos_shape;  // target's shape: the shape of Reduction::None's result
  Tensor input;     // contiguous, compute dtype
  Tensor target;    // contiguous int64
  Tensor weight;    // contiguous, compute dtype, or undefined
};

// Checks input (N, C, d1, ...) or (C), target (N, d1, ...) or (), weight (C) and every target value.
LossArgs check_loss(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
                    int64_t ignore_index) {
  ops::check_float(input, op);
  STRATA_CHECK(target.defined(), "[", op, "] undefined target");
  STRATA_CHECK(target.dtype() == kInt64, "[", op, "] target must be an int64 tensor of class indices, got ",
               target.dtype());
  STRATA_CHECK(input.dim() >= 1, "[", op, "] input must be (N, C, ...) or (C), got shape ", input.shape());
  Shape expected;
  for (int64_t i = 0; i < input.dim(); ++i) {
    if (i != (input.dim() == 1 ? 0 : 1)) expected.push_back(input.shape()[static_cast<size_t>(i)]);
  }
  STRATA_CHECK(target.shape() == expected, "[", op, "] target of shape ", target.shape(),
               " does not match input of shape ", input.shape(), " (expected target shape ", expected, ")");
  LossArgs a;
  a.s.C = input.dim() == 1 ? input.shape()[0] : input.shape()[1];
  a.s.N = input.dim() == 1 ? 1 : input.shape()[0];
  for (int64_t i = 2; i < input.dim(); ++i) a.s.D *= input.shape()[static_cast<size_t>(i)];
  a.s.ignore_index = ignore_index;
  a.pos_shape = expected;
  const DType t = ops::float_compute_dtype(input.dtype());
  NoGradGuard no_grad;
  a.input = contiguous(ops::cast(input.detach(), t));
  a.target = contiguous(target.detach());
  if (weight.defined()) {
    STRATA_CHECK(weight.dim() == 1 && weight.numel() == a.s.C, "[", op, "] weight must have shape (", a.s.C, ",) for ",
                 a.s.C, " classes, got ", weight.shape());
    a.weight = contiguous(ops::cast(weight.detach(), t));
  }
  // The targets are checked on the host (one copy for a device backend).
  const Tensor host_target = a.target.to(kCPU);
  const int64_t* tp = host_target.data_ptr<int64_t>();
  for (int64_t i = 0; i < a.target.numel(); ++i) {
    const int64_t v = tp[i];
    STRATA_CHECK(v == ignore_index || (v >= 0 && v < a.s.C), "[", op, "] target ", v, " is out of bounds for ", a.s.C,
                 " classes (valid: 0 to ", a.s.C - 1, ", or ignore_index ", ignore_index, ")");
  }
  return a;
}

// The reduced loss from per-position losses (N * D) or their sums.
Tensor reduce_loss(const LossArgs& a, Reduction r, const Tensor& per_pos, const backend::LossTotals& tot) {
  const DType t = a.input.dtype();
  if (r == Reduction::None) return ops::cast(per_pos, t).reshape(a.pos_shape);
  return full({}, r == Reduction::Mean ? tot.total / tot.weight : tot.total,
              TensorOptions(t).with_device(per_pos.device()));
}

// g as the kernels read it: per position (stride 1) for Reduction::None, else one value (stride 0).
Tensor grad_for_kernel(const Tensor& g, DType t, Reduction r, int64_t& stride) {
  stride = r == Reduction::None ? 1 : 0;
  return contiguous(ops::cast(g, t));
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs_in, const Tensor& target, const Tensor& weight_in, Reduction reduction,
                int64_t ignore_index) {
  const profile::Scope prof_scope(profile::Kind::Forward, "nll_loss");
  // Losses are float32-list ops under autocast.
  const Tensor log_probs = autocast::to_float32(log_probs_in), weight = autocast::to_float32(weight_in);
  if (Tensor r =
          ops::via_float32("nll_loss", {&log_probs, &weight},
                           [&](const TensorList& u) { return nll_loss(u[0], target, u[1], reduction, ignore_index); });
      r.defined()) {
    return r;
  }

  Tensor lp_in = log_probs, tg_in = target, w_in = weight;
  const Device dev = backend::place("nll_loss", {&lp_in, &tg_in, &w_in});
  LossArgs a = check_loss("nll_loss", lp_in, tg_in, w_in, ignore_index);
  const int64_t P = a.s.N * a.s.D;
  Tensor per_pos = Tensor::empty({P}, a.input.dtype(), dev);
  const backend::LossTotals tot = backend::norm("nll_loss", dev).nll_forward(a.s, per_pos, a.input, a.target, a.weight);
  Tensor out = reduce_loss(a, reduction, per_pos, tot);
  if (autograd::needs_grad({&log_probs})) {
    autograd::SavedTensor st(a.target, "nll_loss"), sw(a.weight, "nll_loss");
    const Shape in_shape = log_probs.shape();
    const DType in_dtype = log_probs.dtype(), t = a.input.dtype();
    const backend::LossShape s = a.s;
    const double scale = reduction == Reduction::Mean ? 1.0 / tot.weight : 1.0;
    autograd::record(
        "nll_loss", {log_probs}, out,
        [st, sw, in_shape, in_dtype, t, s, scale, reduction](const TensorList& g, const autograd::NeedsGrad&) {
          Tensor tg = st.get(), w = sw.get();
          int64_t gs = 0;
          Tensor gv = grad_for_kernel(g[0], t, reduction, gs);
          Tensor gx = Tensor::empty(in_shape, t, gv.device());
          backend::norm("nll_loss", gv.device()).nll_backward(s, gx, tg, w, gv, gs, scale);
          return TensorList{ops::grad_as(gx, in_dtype)};
        });
  }
  return out;
}

Tensor cross_entropy(const Tensor& logits_in, const Tensor& target, const Tensor& weight_in, Reduction reduction,
                     int64_t ignore_index, double label_smoothing) {
  const profile::Scope prof_scope(profile::Kind::Forward, "cross_entropy");
  const Tensor logits = autocast::to_float32(logits_in), weight = autocast::to_float32(weight_in);
  if (Tensor r = ops::via_float32("cross_entropy", {&logits, &target, &weight},
                                  [&](const TensorList& u) {
                                    return cross_entropy(u[0], u[1], u[2], reduction, ignore_index, label_smoothing);
                                  });
      r.defined()) {
    return r;
  }

  STRATA_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
               "[cross_entropy] label_smoothing must be in [0, 1], got ", label_smoothing);
  Tensor z_in = logits, tg_in = target, w_in = weight;
  const Device dev = backend::place("cross_entropy", {&z_in, &tg_in, &w_in});
  LossArgs a = check_loss("cross_entropy", z_in, tg_in, w_in, ignore_index);
  const int64_t P = a.s.N * a.s.D;
  Tensor lse = Tensor::empty({P}, kFloat64, dev);
  Tensor per_pos = Tensor::empty({P}, kFloat64, dev);
  const backend::LossTotals tot =
      backend::norm("cross_entropy", dev)
          .cross_entropy_forward(a.s, lse, per_pos, a.input, a.target, a.weight, label_smoothing);
  Tensor out = reduce_loss(a, reduction, per_pos, tot);
  if (autograd::needs_grad({&logits})) {
    autograd::SavedTensor sz(a.input, "cross_entropy"), st(a.target, "cross_entropy"), sw(a.weight, "cross_entropy");
    const DType in_dtype = logits.dtype();
    const backend::LossShape s = a.s;
    const double scale = reduction == Reduction::Mean ? 1.0 / tot.weight : 1.0;
    autograd::record("cross_entropy", {logits}, out,
                     [sz, st, sw, lse, in_dtype, s, scale, reduction, label_smoothing](const TensorList& g,
                                                                                       const autograd::NeedsGrad&) {
                       Tensor z = sz.get(), tg = st.get(), w = sw.get();
                       int64_t gs = 0;
                       Tensor gv = grad_for_kernel(g[0], z.dtype(), reduction, gs);
                       Tensor gx = Tensor::empty(z.shape(), z.dtype(), z.device());
                       backend::norm("cross_entropy", z.device())
                           .cross_entropy_backward(s, gx, z, tg, w, label_smoothing, lse, gv, gs, scale);
                       return TensorList{ops::grad_as(gx, in_dtype)};
                     });
  }
  return out;
}

}  // namespace strata
