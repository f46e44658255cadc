// Elementwise losses (mse, l1, binary cross-entropy on probabilities and on logits, kl_div), the
// cross_entropy / nll_loss forwards, and compute_class_weights. mse, l1 and kl_div are composites of
// differentiable ops; the two binary cross-entropies are one autograd node each, so that their backward is
// the short closed form (PyTorch's) instead of a chain of elementwise nodes.
#include "strata/nn/losses.h"

#include <optional>
#include <vector>

#include "nn/loss_common.h"
#include "strata/autograd/grad_mode.h"
#include "strata/autograd/node.h"
#include "strata/core/error.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata::nn {

namespace detail {

void check_pair(const char* op, const Tensor& input, const Tensor& target) {
  STRATA_CHECK(input.defined() && target.defined(), "[", op, "] undefined input or target");
  STRATA_CHECK(is_floating(input.dtype()), "[", op, "] input must be a float tensor, got ", input.dtype(), " of shape ",
               input.shape());
  STRATA_CHECK(input.shape() == target.shape(), "[", op, "] input of shape ", input.shape(), " and target of shape ",
               target.shape(), " differ (they must have the same shape)");
}

void check_broadcasts_to(const char* op, const char* what, const Tensor& t, const Tensor& input) {
  if (!t.defined()) return;
  bool ok = t.dim() <= input.dim();
  for (int64_t i = 1; ok && i <= t.dim(); ++i) {
    const int64_t a = t.size(-i), b = input.size(-i);
    ok = a == b || a == 1;
  }
  STRATA_CHECK(ok, "[", op, "] ", what, " of shape ", t.shape(), " does not broadcast to input of shape ",
               input.shape());
}

Tensor reduce(const Tensor& loss, Reduction r) {
  switch (r) {
    case Reduction::None: return loss;
    case Reduction::Sum: return sum(loss);
    case Reduction::Mean: return mean(loss);
  }
  STRATA_FAIL("[loss] unknown reduction");
}

}  // namespace detail

namespace {

using detail::check_broadcasts_to;
using detail::check_pair;
using detail::reduce;

// The upstream gradient of a reduced elementwise loss, spread back over its n elements (broadcasts).
Tensor spread(const Tensor& g, Reduction r, int64_t n) { return r == Reduction::Mean ? g / static_cast<double>(n) : g; }

// A gradient in the shape and dtype of the tensor it belongs to.
Tensor fit_grad(const Tensor& g, const Shape& shape, DType dtype) {
  Tensor out = g.shape() == shape ? g : sum_to(g, shape);
  return out.dtype() == dtype ? out : to_dtype(out, dtype);
}

// softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|)), finite for every x.
Tensor softplus_neg(const Tensor& x) { return relu(-x) + log1p(exp(-abs(x))); }

}  // namespace

namespace functional {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("mse_loss", input, target);
  return reduce(square(input - target), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("l1_loss", input, target);
  return reduce(abs(input - target), reduction);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  const char* op = "binary_cross_entropy";
  check_pair(op, input, target);
  check_broadcasts_to(op, "weight", weight, input);
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor x = input.detach(), y = target.detach();
    if (x.numel() > 0) {
      const double lo = x.min().item(), hi = x.max().item();
      STRATA_CHECK(lo >= 0.0 && hi <= 1.0, "[", op, "] input of shape ", x.shape(),
                   " must hold probabilities in [0, 1], got values in [", lo, ", ", hi, "]");
    }
    // PyTorch clamps both logs to >= -100, so x = 0 or 1 gives a finite loss.
    Tensor lx = clamp(log(x), -100.0, std::nullopt), l1x = clamp(log1p(-x), -100.0, std::nullopt);
    Tensor l = (y - 1.0) * l1x - y * lx;
    if (weight.defined()) l = l * weight.detach();
    out = reduce(l, reduction);
  }
  if (autograd::needs_grad({&input, &target})) {
    autograd::SavedTensor sx(input, op), sy(target, op), sw(weight, op);
    const Shape shape = input.shape();
    const DType xt = input.dtype(), yt = target.dtype();
    const int64_t n = input.numel();
    autograd::record(op, {input, target}, out,
                     [sx, sy, sw, shape, xt, yt, n, reduction](const TensorList& g, const autograd::NeedsGrad& needs) {
                       Tensor x = sx.get(), y = sy.get(), w = sw.get();
                       Tensor gs = spread(g[0], reduction, n);
                       if (w.defined()) gs = gs * w;
                       TensorList grads(2);
                       // d/dx = w (x - y) / max(x (1 - x), 1e-12)   (PyTorch's epsilon)
                       if (needs[0])
                         grads[0] = fit_grad(gs * (x - y) / clamp(x * (1.0 - x), 1e-12, std::nullopt), shape, xt);
                       // d/dy = w (log(1 - x) - log x), both clamped as in the forward
                       if (needs[1]) {
                         Tensor d = clamp(log1p(-x), -100.0, std::nullopt) - clamp(log(x), -100.0, std::nullopt);
                         grads[1] = fit_grad(gs * d, shape, yt);
                       }
                       return grads;
                     });
  }
  return out;
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        Reduction reduction, const Tensor& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  check_pair(op, input, target);
  check_broadcasts_to(op, "weight", weight, input);
  check_broadcasts_to(op, "pos_weight", pos_weight, input);
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor x = input.detach(), y = target.detach();
    Tensor sp = softplus_neg(x);
    // (1 - y) x + (1 + (p - 1) y) softplus(-x)
    Tensor l = (1.0 - y) * x + (pos_weight.defined() ? (1.0 + (pos_weight.detach() - 1.0) * y) * sp : sp);
    if (weight.defined()) l = l * weight.detach();
    out = reduce(l, reduction);
  }
  if (autograd::needs_grad({&input, &target})) {
    autograd::SavedTensor sx(input, op), sy(target, op), sw(weight, op), sp(pos_weight, op);
    const Shape shape = input.shape();
    const DType xt = input.dtype(), yt = target.dtype();
    const int64_t n = input.numel();
    autograd::record(
        op, {input, target}, out,
        [sx, sy, sw, sp, shape, xt, yt, n, reduction](const TensorList& g, const autograd::NeedsGrad& needs) {
          Tensor x = sx.get(), y = sy.get(), w = sw.get(), p = sp.get();
          Tensor gs = spread(g[0], reduction, n);
          if (w.defined()) gs = gs * w;
          TensorList grads(2);
          if (needs[0]) {  // sigmoid(x) - y, or (1 + (p - 1) y) sigmoid(x) - p y
            Tensor d = p.defined() ? (1.0 + (p - 1.0) * y) * sigmoid(x) - p * y : sigmoid(x) - y;
            grads[0] = fit_grad(gs * d, shape, xt);
          }
          if (needs[1]) {  // -x, or -x + (p - 1) softplus(-x)
            Tensor d = p.defined() ? (p - 1.0) * softplus_neg(x) - x : -x;
            grads[1] = fit_grad(gs * d, shape, yt);
          }
          return grads;
        });
  }
  return out;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight, Reduction reduction,
                     int64_t ignore_index, double label_smoothing) {
  return strata::cross_entropy(logits, target, weight, reduction, ignore_index, label_smoothing);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index) {
  return strata::nll_loss(log_probs, target, weight, reduction, ignore_index);
}

Tensor kl_div(const Tensor& input, const Tensor& target, KLDivReduction reduction, bool log_target) {
  check_pair("kl_div", input, target);
  Tensor l;
  if (log_target) {
    l = exp(target) * (target - input);
  } else {
    // p log p is 0 at p = 0 (xlogy); log(where(p > 0, p, 1)) keeps the gradient finite there too.
    l = target * (log(where(target > 0.0, target, 1.0)) - input);
  }
  switch (reduction) {
    case KLDivReduction::None: return l;
    case KLDivReduction::Sum: return sum(l);
    case KLDivReduction::Mean: return mean(l);
    case KLDivReduction::BatchMean: return input.dim() == 0 ? sum(l) : sum(l) / static_cast<double>(input.size(0));
  }
  STRATA_FAIL("[kl_div] unknown reduction");
}

}  // namespace functional

Tensor compute_class_weights(const Tensor& labels, int64_t num_classes) {
  STRATA_CHECK(labels.defined(), "[compute_class_weights] undefined labels");
  STRATA_CHECK(labels.dtype() == kInt64, "[compute_class_weights] labels must be int64 class indices, got ",
               labels.dtype(), " of shape ", labels.shape());
  STRATA_CHECK(num_classes > 0, "[compute_class_weights] num_classes must be positive, got ", num_classes);
  std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
  const std::vector<int64_t> v = contiguous(labels).to_vector<int64_t>();
  for (int64_t c : v) {
    STRATA_CHECK(c >= 0 && c < num_classes, "[compute_class_weights] label ", c, " is out of range for ", num_classes,
                 " classes (valid: 0 to ", num_classes - 1, ")");
    ++counts[static_cast<size_t>(c)];
  }
  std::vector<float> w(static_cast<size_t>(num_classes));
  for (int64_t c = 0; c < num_classes; ++c) {
    const int64_t k = counts[static_cast<size_t>(c)];
    STRATA_CHECK(k > 0, "[compute_class_weights] class ", c, " has no samples among the ", v.size(),
                 " labels, so its balanced weight is undefined");
    w[static_cast<size_t>(c)] =
        static_cast<float>(static_cast<double>(v.size()) / (static_cast<double>(num_classes) * static_cast<double>(k)));
  }
  return from_vector<float>(w, {num_classes});
}

// ---- module forms ----

namespace {
// A loss's own tensor (class weights) on the input's device: a loss built on the CPU works for a model anywhere.
Tensor on(const Tensor& t, const Tensor& input) { return t.defined() ? t.to(input.device()) : t; }
}  // namespace

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) const {
  return functional::mse_loss(input, target, reduction_);
}
Tensor L1Loss::forward(const Tensor& input, const Tensor& target) const {
  return functional::l1_loss(input, target, reduction_);
}
Tensor BCELoss::forward(const Tensor& input, const Tensor& target) const {
  return functional::binary_cross_entropy(input, target, on(weight_, input), reduction_);
}
Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) const {
  return functional::binary_cross_entropy_with_logits(input, target, on(weight_, input), reduction_,
                                                      on(pos_weight_, input));
}
Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) const {
  return functional::cross_entropy(input, target, on(weight_, input), reduction_, ignore_index_, label_smoothing_);
}
Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) const {
  return functional::nll_loss(input, target, on(weight_, input), reduction_, ignore_index_);
}
Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) const {
  return functional::kl_div(input, target, reduction_, log_target_);
}

}  // namespace strata::nn
