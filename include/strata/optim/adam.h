#pragma once
// Adam and AdamW (PyTorch 1.13 single-tensor semantics). With t the step count:
//   Adam:  g += weight_decay p (L2);   AdamW: p *= 1 - lr weight_decay (decoupled), g unchanged
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  amsgrad: vmax = max(vmax, v), use vmax for v
//   p -= (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The options' "beta1"/"beta2" are PyTorch's betas tuple.
#include "strata/optim/optimizer.h"

namespace strata::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  Options to_map() const;
};

// AdamW's options: Adam's, with PyTorch's default weight_decay of 1e-2.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  AdamOptions as_adam() const { return {lr, beta1, beta2, eps, weight_decay, amsgrad}; }
  Options to_map() const { return as_adam().to_map(); }
};

class Adam : public Optimizer {
 public:
  explicit Adam(const TensorList& params, const AdamOptions& options = {});
  explicit Adam(const std::vector<ParamGroup>& groups, const AdamOptions& defaults = {});

 protected:
  Adam(std::string name, bool decoupled, const AdamOptions& defaults);
  void validate(const Options& o) const override;
  void update(const ParamGroup& group, Tensor& param, const Tensor& grad, ParamState& state) override;

 private:
  bool decoupled_ = false;
};

class AdamW : public Adam {
 public:
  explicit AdamW(const TensorList& params, const AdamWOptions& options = {});
  explicit AdamW(const std::vector<ParamGroup>& groups, const AdamWOptions& defaults = {});
};

}  // namespace strata::optim
