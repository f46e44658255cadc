#pragma once
// ResNet's BasicBlock, named as torchvision names it (conv1, bn1, relu, conv2, bn2, downsample.0/1), so
// torchvision weights load by key.
#include <memory>
#include <string>

#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/conv.h"
#include "strata/nn/normalization.h"

namespace strata::nn {

// y = relu(bn2(conv2(relu(bn1(conv1(x))))) + skip(x)); conv1 is 3x3 with `stride`, conv2 3x3 stride 1,
// both without bias. skip is the identity, or a 1x1 conv (stride `stride`, no bias) + BatchNorm2d when the
// stride is not 1 or the channel count changes. shortcut = false builds the block without the skip connection
// (y = relu(bn2(conv2(relu(bn1(conv1(x))))))), as the plain nets that Li et al. (NeurIPS 2018) compare with
// ResNets; no downsample is registered then.
class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in_planes, int64_t planes, int64_t stride = 1, DType dtype = kFloat32, Generator* gen = nullptr,
             bool shortcut = true);
  std::string type_name() const override { return "BasicBlock"; }
  std::string extra_repr() const override { return shortcut ? "" : "shortcut=False"; }
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  std::shared_ptr<ReLU> relu;
  std::shared_ptr<Sequential> downsample;  // null when the skip is the identity or there is no skip
  bool shortcut = true;
};

}  // namespace strata::nn
