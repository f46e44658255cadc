// Conv2d, pooling and BasicBlock forward/backward against PyTorch (tests/golden/nn/conv_layers.bin, from
// tests/golden/make_golden_nn.py) and float64 gradchecks. Needs the conv family's ops (strata::conv2d,
// max_pool2d, avg_pool2d, adaptive_avg_pool2d): enable by renaming to conv_layers_test.cpp once it is merged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "nn/golden_layers.h"
#include "ops/golden_io.h"
#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

void replay(const std::string& name, Module& m) { testing::replay_golden_layer("conv_layers.bin", name, m); }

TEST(GoldenConvLayers, Conv2d) {
  Conv2d a(3, 4, 3, 2, 1);
  replay("conv2d", a);
  Conv2d b(2, 3, {4, 3}, 1, "same", 1, 1, false);  // total padding 3 rows: 1 above, 2 below
  replay("conv2d.same_asym", b);
  Conv2d c(2, 2, 3, 1, "same", {2, 1});
  replay("conv2d.same_dilated", c);
  Conv2d d(4, 6, {3, 2}, {1, 2}, {1, 0}, 2, 2);
  replay("conv2d.groups", d);
  EXPECT_EQ(b(randn({1, 2, 6, 5})).shape(), Shape({1, 3, 6, 5}));
}

TEST(GoldenConvLayers, Pooling) {
  MaxPool2d a(2);
  replay("maxpool2d", a);
  MaxPool2d b(3, 2, 1);
  replay("maxpool2d.pad_stride", b);
  AvgPool2d c(2);
  replay("avgpool2d", c);
  AvgPool2d d(3, 2, 1);
  replay("avgpool2d.pad", d);
  AdaptiveAvgPool2d e(1);
  replay("adaptive_avgpool2d.global", e);
  AdaptiveAvgPool2d f({3, 2});
  replay("adaptive_avgpool2d.3x2", f);
}

TEST(GoldenConvLayers, BasicBlock) {
  BasicBlock a(4, 4, 1);
  replay("basicblock.identity", a);
  BasicBlock b(4, 6, 2);
  replay("basicblock.projection", b);
  EXPECT_EQ(b.bn1->num_batches_tracked.item(), 1.0);
}

void check_module(Module& m, Tensor x) {
  TensorList inputs{x.requires_grad_(true)};
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  GradcheckReport rep = gradcheck([&](const TensorList& in) { return m.forward(in[0]); }, inputs, 1e-6, 1e-6, 1e-4);
  EXPECT_TRUE(rep.passed) << m.type_name() << ": " << rep.message;
}

TEST(ConvLayerGradcheck, EveryLayer) {
  Generator g(9);
  auto x = [&](const Shape& s) { return randn(s, TensorOptions(kFloat64), &g); };
  Conv2d a(2, 3, 3, 2, 1, 1, 1, true, kFloat64, &g);
  check_module(a, x({2, 2, 5, 4}));
  Conv2d b(2, 2, {2, 3}, 1, "same", 1, 2, true, kFloat64, &g);
  check_module(b, x({1, 2, 4, 5}));
  MaxPool2d mp(2, 1);
  check_module(mp, x({1, 2, 4, 4}));
  AvgPool2d ap(3, 2, 1);
  check_module(ap, x({1, 2, 5, 5}));
  AdaptiveAvgPool2d aap({2, 3});
  check_module(aap, x({1, 2, 5, 7}));
  BasicBlock bb(2, 3, 2, kFloat64, &g);
  check_module(bb, x({2, 2, 4, 4}));
}

}  // namespace
}  // namespace strata::nn
