#pragma once
// RMSprop (PyTorch 1.13 semantics):
//   g += weight_decay p;  sq = alpha sq + (1 - alpha) g^2;  centered: ga = alpha ga + (1 - alpha) g,
//   avg = sqrt(sq - ga^2) + eps, else sqrt(sq) + eps;
//   momentum > 0: buf = momentum buf + g / avg, p -= lr buf;  else p -= lr g / avg
#include "strata/optim/optimizer.h"

namespace strata::optim {

struct RMSpropOptions {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
  Options to_map() const;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(const TensorList& params, const RMSpropOptions& options = {});
  explicit RMSprop(const std::vector<ParamGroup>& groups, const RMSpropOptions& defaults = {});

 protected:
  void validate(const Options& o) const override;
  void update(const ParamGroup& group, Tensor& param, const Tensor& grad, ParamState& state) override;
};

}  // namespace strata::optim
