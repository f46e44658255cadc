#pragma once
// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay
// (PyTorch 1.13 semantics: the first step sets the momentum buffer to the gradient itself).
//   d = g + weight_decay p;  buf = momentum buf + (1 - dampening) d;  d = nesterov ? d + momentum buf : buf;
//   p -= lr d
#include "strata/optim/optimizer.h"

namespace strata::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // needs momentum > 0 and dampening = 0
  Options to_map() const;
};

class SGD : public Optimizer {
 public:
  explicit SGD(const TensorList& params, const SGDOptions& options = {});
  explicit SGD(const std::vector<ParamGroup>& groups, const SGDOptions& defaults = {});

 protected:
  void validate(const Options& o) const override;
  void update(const ParamGroup& group, Tensor& param, const Tensor& grad, ParamState& state) override;
};

}  // namespace strata::optim
