#pragma once
// Loss functions: functional forms in strata::nn::functional, module forms (holding their options) in
// strata::nn. Names and semantics follow torch.nn.functional / torch.nn (focal losses follow torchvision
// and the RetinaNet paper, since PyTorch's core has none). Elementwise losses require input and target of
// the same shape (PyTorch only warns when they differ and broadcasts; here that is an error naming both shapes).
#include <cstdint>
#include <string>
#include <utility>

#include "strata/core/tensor.h"
#include "strata/ops/softmax.h"  // strata::Reduction

namespace strata::nn {

// kl_div's reductions: PyTorch's "batchmean" (sum / batch size) is the mathematically correct KL divergence.
enum class KLDivReduction { None, Mean, Sum, BatchMean };

namespace functional {

// (x - y)^2 and |x - y|.  input, target: any shape, equal.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

// -w (y log x + (1 - y) log(1 - x)) on probabilities x in [0, 1]; each log is clamped to >= -100 as in PyTorch.
// input, target: any shape, equal.  weight: broadcastable to input, or undefined (no gradient flows to it).
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                            Reduction reduction = Reduction::Mean);

// The same on logits x, computed stably:  -w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))
//   = w ((1 - y) x + (1 + (p - 1) y) softplus(-x)),  p = pos_weight.  Backward: w ((1 + (p - 1) y) sigmoid(x) - p y).
// input, target: any shape, equal.  weight, pos_weight: broadcastable to input (pos_weight is usually (C) for
// the last dim), or undefined; both are constants (no gradient flows to them).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                                        Reduction reduction = Reduction::Mean, const Tensor& pos_weight = Tensor());

// Forward to the fused ops of strata/ops/softmax.h (see there for shapes, weights, ignore_index, smoothing).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                     Reduction reduction = Reduction::Mean, int64_t ignore_index = -100, double label_smoothing = 0.0);
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                Reduction reduction = Reduction::Mean, int64_t ignore_index = -100);

// Binary focal loss on logits, as torchvision.ops.sigmoid_focal_loss (RetinaNet, Lin et al. 2017):
//   ce = bce_with_logits(x, y),  p_t = p y + (1 - p)(1 - y),  loss = alpha_t (1 - p_t)^gamma ce,
//   alpha_t = alpha y + (1 - alpha)(1 - y); alpha < 0 disables the alpha weighting.
// input, target (float in [0, 1]): any shape, equal. The default reduction is torchvision's ("none").
Tensor sigmoid_focal_loss(const Tensor& input, const Tensor& target, double alpha = 0.25, double gamma = 2.0,
                          Reduction reduction = Reduction::None);

// Multi-class focal loss on logits:  loss_i = -alpha[t_i] (1 - p_t)^gamma log p_t,  p_t = softmax(x_i)[t_i].
// logits: (N, C) or (N, C, d1, ...)   target: (N) or (N, d1, ...) int64   alpha: (C) or undefined (all 1).
// Mean divides by the number of non-ignored targets (not by the sum of alpha), so with gamma = 0 and no alpha
// this equals cross_entropy(logits, target) for every reduction.
Tensor softmax_focal_loss(const Tensor& logits, const Tensor& target, const Tensor& alpha = Tensor(),
                          double gamma = 2.0, Reduction reduction = Reduction::Mean, int64_t ignore_index = -100);

// Pointwise KL divergence with input = log q and target = p (or log p when log_target):
//   p (log p - log q), with 0 where p = 0.   input, target: any shape, equal.
Tensor kl_div(const Tensor& input, const Tensor& target, KLDivReduction reduction = KLDivReduction::Mean,
              bool log_target = false);

}  // namespace functional

// "Balanced" class weights n_samples / (num_classes * count_c), as sklearn's compute_class_weight("balanced").
// labels: int64 class indices, any shape.  Returns (num_classes) float32. A label outside [0, num_classes) or
// a class with no samples is an error naming it.
Tensor compute_class_weights(const Tensor& labels, int64_t num_classes);

// Module forms. Each holds its options and is called as loss(input, target); Loss lets the training loop and
// the CLI hold any of them.
class Loss {
 public:
  virtual ~Loss() = default;
  virtual Tensor forward(const Tensor& input, const Tensor& target) const = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) const { return forward(input, target); }
  virtual std::string name() const = 0;  // PyTorch's class name: "CrossEntropyLoss"
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "MSELoss"; }
  Reduction reduction_;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "L1Loss"; }
  Reduction reduction_;
};

class BCELoss : public Loss {
 public:
  explicit BCELoss(Tensor weight = Tensor(), Reduction reduction = Reduction::Mean)
      : weight_(std::move(weight)), reduction_(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "BCELoss"; }
  Tensor weight_;
  Reduction reduction_;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(Tensor weight = Tensor(), Reduction reduction = Reduction::Mean,
                             Tensor pos_weight = Tensor())
      : weight_(std::move(weight)), reduction_(reduction), pos_weight_(std::move(pos_weight)) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "BCEWithLogitsLoss"; }
  Tensor weight_;
  Reduction reduction_;
  Tensor pos_weight_;
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(Tensor weight = Tensor(), int64_t ignore_index = -100,
                            Reduction reduction = Reduction::Mean, double label_smoothing = 0.0)
      : weight_(std::move(weight)),
        ignore_index_(ignore_index),
        reduction_(reduction),
        label_smoothing_(label_smoothing) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "CrossEntropyLoss"; }
  Tensor weight_;
  int64_t ignore_index_;
  Reduction reduction_;
  double label_smoothing_;
};

class NLLLoss : public Loss {
 public:
  explicit NLLLoss(Tensor weight = Tensor(), int64_t ignore_index = -100, Reduction reduction = Reduction::Mean)
      : weight_(std::move(weight)), ignore_index_(ignore_index), reduction_(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "NLLLoss"; }
  Tensor weight_;
  int64_t ignore_index_;
  Reduction reduction_;
};

// Binary or multi-class by the target's dtype: a float target (same shape as the logits) gives
// sigmoid_focal_loss with alpha_binary_; an int64 target of class indices gives softmax_focal_loss with the
// per-class alpha_ (undefined: none). Unlike torchvision's function, the default reduction is Mean.
class FocalLoss : public Loss {
 public:
  explicit FocalLoss(double gamma = 2.0, Tensor alpha = Tensor(), Reduction reduction = Reduction::Mean,
                     double alpha_binary = 0.25, int64_t ignore_index = -100)
      : gamma_(gamma),
        alpha_(std::move(alpha)),
        reduction_(reduction),
        alpha_binary_(alpha_binary),
        ignore_index_(ignore_index) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "FocalLoss"; }
  double gamma_;
  Tensor alpha_;
  Reduction reduction_;
  double alpha_binary_;
  int64_t ignore_index_;
};

class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(KLDivReduction reduction = KLDivReduction::Mean, bool log_target = false)
      : reduction_(reduction), log_target_(log_target) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override;
  std::string name() const override { return "KLDivLoss"; }
  KLDivReduction reduction_;
  bool log_target_;
};

}  // namespace strata::nn
