#pragma once
// Layers of the generative models (GAN discriminators).
#include <string>

#include "strata/nn/module.h"

namespace strata::nn {

// ProGAN's minibatch standard deviation (Karras et al. 2018): the std of every feature over the batch
// (biased, sqrt(var + eps)), averaged over all features (and positions) into one number, appended as one extra
// feature / channel to every example, so that the discriminator can see a batch lacking variety (mode collapse).
// (N, F) -> (N, F + 1); (N, C, H, W) -> (N, C + 1, H, W). The group is the whole batch.
class MinibatchStdDev : public Module {
 public:
  explicit MinibatchStdDev(double eps = 1e-8) : eps_(eps) {}
  std::string type_name() const override { return "MinibatchStdDev"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;

 private:
  double eps_;
};

}  // namespace strata::nn
