// ResNet BasicBlock.
#include "strata/nn/resnet.h"

#include "strata/core/error.h"
#include "strata/ops/activation.h"
#include "strata/ops/elementwise.h"

namespace strata::nn {

BasicBlock::BasicBlock(int64_t in_planes, int64_t planes, int64_t stride, DType dtype, Generator* gen, bool shortcut_)
    : shortcut(shortcut_) {
  STRATA_CHECK(stride > 0, "[BasicBlock] stride must be positive, got ", stride);
  // torchvision's _make_layer builds the projection before the block: draw its weights first, so that the
  // same seed gives the same initial weights; register it last (its place in torchvision's module order).
  std::shared_ptr<Sequential> proj;
  if (shortcut && (stride != 1 || in_planes != planes)) {
    proj = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
        std::make_shared<Conv2d>(in_planes, planes, 1, stride, 0, 1, 1, false, dtype, gen),
        std::make_shared<BatchNorm2d>(planes, 1e-5, 0.1, true, true, dtype)});
  }
  conv1 = register_module("conv1", std::make_shared<Conv2d>(in_planes, planes, 3, stride, 1, 1, 1, false, dtype, gen));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes, 1e-5, 0.1, true, true, dtype));
  relu = register_module("relu", std::make_shared<ReLU>());
  conv2 = register_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, 1, 1, 1, 1, false, dtype, gen));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes, 1e-5, 0.1, true, true, dtype));
  if (proj) downsample = register_module("downsample", proj);
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = (*relu)((*bn1)((*conv1)(x)));
  out = (*bn2)((*conv2)(out));
  if (!shortcut) return (*relu)(out);
  Tensor identity = downsample ? (*downsample)(x) : x;
  return (*relu)(add(out, identity));
}

}  // namespace strata::nn
