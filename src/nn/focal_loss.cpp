// Focal losses (Lin et al., "Focal Loss for Dense Object Detection", 2017): FL(p_t) = -alpha_t (1 - p_t)^gamma
// log p_t. The binary form follows torchvision.ops.sigmoid_focal_loss; the multi-class form scales the fused
// cross_entropy's per-position -log p_t, so gamma = 0 without alpha is cross_entropy itself.
#include <optional>

#include "nn/loss_common.h"
#include "strata/core/error.h"
#include "strata/nn/losses.h"
#include "strata/ops/activation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata::nn {

namespace functional {

Tensor sigmoid_focal_loss(const Tensor& input, const Tensor& target, double alpha, double gamma, Reduction reduction) {
  detail::check_pair("sigmoid_focal_loss", input, target);
  STRATA_CHECK(gamma >= 0.0, "[sigmoid_focal_loss] gamma must be >= 0, got ", gamma);
  Tensor p = sigmoid(input);
  Tensor loss = binary_cross_entropy_with_logits(input, target, Tensor(), Reduction::None);
  if (gamma != 0.0) {
    Tensor p_t = p * target + (1.0 - p) * (1.0 - target);
    loss = loss * pow(1.0 - p_t, gamma);
  }
  if (alpha >= 0.0) loss = (alpha * target + (1.0 - alpha) * (1.0 - target)) * loss;
  return detail::reduce(loss, reduction);
}

Tensor softmax_focal_loss(const Tensor& logits, const Tensor& target, const Tensor& alpha, double gamma,
                          Reduction reduction, int64_t ignore_index) {
  const char* op = "softmax_focal_loss";
  STRATA_CHECK(logits.defined() && target.defined(), "[", op, "] undefined logits or target");
  STRATA_CHECK(gamma >= 0.0, "[", op, "] gamma must be >= 0, got ", gamma);
  STRATA_CHECK(target.dtype() == kInt64, "[", op, "] target must be an int64 tensor of class indices, got ",
               target.dtype(), " of shape ", target.shape());
  STRATA_CHECK(logits.dim() >= 2, "[", op, "] logits must be (N, C) or (N, C, d1, ...), got shape ", logits.shape(),
               " with target of shape ", target.shape());
  Shape expected;
  for (int64_t i = 0; i < logits.dim(); ++i) {
    if (i != 1) expected.push_back(logits.size(i));
  }
  STRATA_CHECK(target.shape() == expected, "[", op, "] target of shape ", target.shape(),
               " does not match logits of shape ", logits.shape(), " (expected target shape ", expected, ")");
  const int64_t C = logits.size(1);
  STRATA_CHECK(!alpha.defined() || (alpha.dim() == 1 && alpha.size(0) == C), "[", op, "] alpha must have shape (", C,
               ",) for ", C, " classes, got ", alpha.shape());
  // -log p_t per position (0 where the target is ignored); cross_entropy also checks every target value.
  Tensor ce = strata::cross_entropy(logits, target, Tensor(), Reduction::None, ignore_index);
  Tensor valid = ne(target, static_cast<double>(ignore_index));
  Tensor loss = ce;
  if (gamma != 0.0) {
    // Ignored positions have p_t = 1; base 1 there keeps pow's gradient finite for gamma < 1.
    Tensor base = where(valid, 1.0 - exp(-ce), 1.0);
    loss = pow(base, gamma) * ce;
  }
  if (alpha.defined()) {
    Tensor idx = masked_fill(target, logical_not(valid), 0.0).reshape({-1});
    Tensor alpha_t = index_select(to_dtype(alpha.detach(), ce.dtype()), 0, idx).reshape(target.shape());
    loss = alpha_t * loss;
  }
  switch (reduction) {
    case Reduction::None: return loss;
    case Reduction::Sum: return sum(loss);
    case Reduction::Mean: return sum(loss) / sum(to_dtype(valid, kFloat64)).item();
  }
  STRATA_FAIL("[", op, "] unknown reduction");
}

}  // namespace functional

Tensor FocalLoss::forward(const Tensor& input, const Tensor& target) const {
  if (target.defined() && target.dtype() == kInt64) {
    return functional::softmax_focal_loss(input, target, alpha_.defined() ? alpha_.to(input.device()) : alpha_, gamma_,
                                          reduction_, ignore_index_);
  }
  return functional::sigmoid_focal_loss(input, target, alpha_binary_, gamma_, reduction_);
}

}  // namespace strata::nn
