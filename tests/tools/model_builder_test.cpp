// tools::build_model: layer lists, shape inference, named architectures and error messages naming the key.
#include "strata/tools/model_builder.h"

#include <gtest/gtest.h>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "tools/build_test_util.h"

using namespace strata;
using io::Json;

namespace {

Json parse(const std::string& text) { return strata::testing::parse_config(text); }
using strata::testing::build_error;

}  // namespace

TEST(ModelBuilder, LayerListWithExplicitSizes) {
  Json spec = parse(R"({"layers": [
    {"type": "Conv2d", "in_channels": 1, "out_channels": 6, "kernel_size": 5, "padding": 2},
    {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"},
    {"type": "Linear", "in_features": 1176, "out_features": 10, "bias": false}]})");
  auto m = tools::build_model(spec);
  ASSERT_EQ(m->size(), 5u);
  EXPECT_EQ((*m)[0]->type_name(), "Conv2d");
  EXPECT_EQ((*m)[4]->type_name(), "Linear");
  EXPECT_EQ(m->num_parameters(), 6 * 25 + 6 + 1176 * 10);
  auto sd = m->state_dict();
  EXPECT_TRUE(sd.contains("0.weight"));
  EXPECT_TRUE(sd.contains("0.bias"));
  EXPECT_TRUE(sd.contains("4.weight"));
  EXPECT_FALSE(sd.contains("4.bias"));
  Tensor y = m->forward(randn({2, 1, 28, 28}));
  EXPECT_EQ(y.shape(), Shape({2, 10}));
}

TEST(ModelBuilder, InfersInputSizesFromTheShape) {
  Json spec = parse(R"({"layers": [
    {"type": "Conv2d", "out_channels": 4, "kernel_size": [3, 3], "padding": "same"},
    {"type": "BatchNorm2d"}, {"type": "LeakyReLU", "negative_slope": 0.2},
    {"type": "BasicBlock", "planes": 8, "stride": 2},
    {"type": "AvgPool2d", "kernel_size": 2}, {"type": "Dropout", "p": 0.25},
    {"type": "Flatten"}, {"type": "LayerNorm"}, {"type": "Linear", "out_features": 16},
    {"type": "BatchNorm1d"}, {"type": "GELU", "approximate": "tanh"},
    {"type": "Sequential", "layers": [{"type": "Linear", "out_features": 5}, {"type": "Tanh"}]},
    {"type": "Sigmoid"}, {"type": "LogSoftmax", "dim": 1}]})");
  auto m = tools::build_model(spec, {3, 12, 12});
  // 3x12x12 -> conv 4x12x12 -> block 8x6x6 -> avgpool 8x3x3 -> flatten 72.
  auto ln = std::dynamic_pointer_cast<nn::LayerNorm>((*m)[7]);
  ASSERT_TRUE(ln);
  EXPECT_EQ(ln->weight.shape(), Shape({72}));
  auto lin = std::dynamic_pointer_cast<nn::Linear>((*m)[8]);
  ASSERT_TRUE(lin);
  EXPECT_EQ(lin->in_features(), 72);
  auto bn1 = std::dynamic_pointer_cast<nn::BatchNorm1d>((*m)[9]);
  ASSERT_TRUE(bn1);
  EXPECT_EQ(bn1->num_features(), 16);
  auto bn2 = std::dynamic_pointer_cast<nn::BatchNorm2d>((*m)[1]);
  ASSERT_TRUE(bn2);
  EXPECT_EQ(bn2->num_features(), 4);
  EXPECT_TRUE(m->is_training());
  Tensor y = m->forward(randn({2, 3, 12, 12}));
  EXPECT_EQ(y.shape(), Shape({2, 5}));
  EXPECT_TRUE(m->state_dict().contains("3.downsample.0.weight"));
  EXPECT_TRUE(m->state_dict().contains("11.0.weight"));
}

TEST(ModelBuilder, InputShapeFromTheSpec) {
  Json spec = parse(R"({"input_shape": [8], "layers": [{"type": "Linear", "out_features": 2}]})");
  auto m = tools::build_model(spec);
  EXPECT_EQ(m->num_parameters(), 18);
  EXPECT_HAS(build_error(R"({"input_shape": [8], "layers": []})", {1, 28, 28}), "disagrees");
}

TEST(ModelBuilder, ArchitecturesMatchTheBaselines) {
  // Parameter counts of the baseline models (the PyTorch twins in bench/torch_bench.py have the same).
  EXPECT_EQ(tools::build_model(parse(R"({"architecture": "mlp"})"), {1, 28, 28})->num_parameters(), 535818);
  EXPECT_EQ(tools::build_model(parse(R"({"architecture": "lenet5"})"), {1, 28, 28})->num_parameters(), 61706);
  auto r = tools::build_model(parse(R"({"architecture": "resnet_small"})"), {1, 28, 28});
  EXPECT_EQ(r->num_parameters(), 95850);
  EXPECT_EQ(r->forward(randn({2, 1, 28, 28})).shape(), Shape({2, 10}));
  auto mlp =
      tools::build_model(parse(R"({"architecture": "mlp", "hidden": [32], "num_classes": 3, "dropout": 0.1})"), {5});
  EXPECT_EQ(mlp->num_parameters(), 5 * 32 + 32 + 32 * 3 + 3);
  EXPECT_EQ((*mlp)[3]->type_name(), "Dropout");
  auto wide =
      tools::build_model(parse(R"({"architecture": "lenet5", "channels": [32, 64], "hidden": [256]})"), {1, 28, 28});
  EXPECT_EQ(wide->forward(randn({1, 1, 28, 28})).shape(), Shape({1, 10}));
}

TEST(ModelBuilder, SameSeedSameWeights) {
  manual_seed(7);
  auto a = tools::build_model(parse(R"({"architecture": "lenet5"})"), {1, 28, 28});
  manual_seed(7);
  auto b = tools::build_model(parse(R"({"architecture": "lenet5"})"), {1, 28, 28});
  auto sa = a->state_dict(), sb = b->state_dict();
  for (const auto& [k, t] : sa) EXPECT_TRUE(allclose(t, sb.at(k), 0.0, 0.0)) << k;
}

TEST(ModelBuilder, ErrorsNameTheKeyAndItsPath) {
  const std::string base = R"({"type": "ReLU"}, {"type": "ReLU"}, {"type": "ReLU"}, )";
  std::string e = build_error(R"({"layers": [)" + base + R"({"type": "MaxPool2d", "kernel_sise": 2}]})");
  EXPECT_HAS(e, "config.json");
  EXPECT_HAS(e, "model.layers[3].kernel_sise");
  EXPECT_HAS(e, "unknown key");
  e = build_error(R"({"layers": [)" + base + R"({"type": "MaxPool2d", "kernel_size": -2}]})");
  EXPECT_HAS(e, "model.layers[3].kernel_size");
  e = build_error(R"({"layers": [)" + base + R"({"type": "MaxPool2d", "kernel_size": "two"}]})");
  EXPECT_HAS(e, "model.layers[3].kernel_size");
  EXPECT_HAS(e, "expected");
  e = build_error(R"({"layers": [{"type": "Linear", "in_features": 4}]})");
  EXPECT_HAS(e, "model.layers[0].out_features");
  EXPECT_HAS(e, "missing");
  e = build_error(R"({"layers": [{"type": "Linear", "out_features": 4}]})", {});
  EXPECT_HAS(e, "model.layers[0].in_features");
  e = build_error(R"({"layers": [{"type": "Conv3d"}]})");
  EXPECT_HAS(e, "model.layers[0].type");
  EXPECT_HAS(e, "Conv3d");
  e = build_error(R"({"layers": [{"type": "Dropout", "p": 1.5}]})");
  EXPECT_HAS(e, "model.layers[0].p");
  e = build_error(R"({"layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "padding": "full"}]})");
  EXPECT_HAS(e, "model.layers[0].padding");
  e = build_error(R"({"layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": [3, 3, 3]}]})");
  EXPECT_HAS(e, "model.layers[0].kernel_size");
  e = build_error(R"({"layers": [{"type": "Sequential", "layers": [{"type": "ReLU", "inplace": true}]}]})");
  EXPECT_HAS(e, "model.layers[0].layers[0].inplace");
  // A layer that does not accept what flows into it: named with its path and the shape.
  e = build_error(R"({"layers": [{"type": "Flatten"}, {"type": "Linear", "in_features": 100, "out_features": 2}]})");
  EXPECT_HAS(e, "model.layers[1]");
  EXPECT_HAS(e, "(784,)");
  e = build_error(R"({"architecture": "vgg"})");
  EXPECT_HAS(e, "model.architecture");
  EXPECT_HAS(e, "vgg");
  e = build_error(R"({"architecture": "mlp", "hiden": [10]})");
  EXPECT_HAS(e, "model.hiden");
  e = build_error(R"({"architecture": "mlp", "hidden": [10, 0]})");
  EXPECT_HAS(e, "model.hidden[1]");
  e = build_error(R"({"layer": []})");
  EXPECT_HAS(e, "model.layer");
  e = build_error(R"({"layers": {"type": "ReLU"}})");
  EXPECT_HAS(e, "model.layers");
}

TEST(ModelBuilder, ListsEveryLayerType) {
  for (const std::string& t : tools::layer_types()) {
    if (t == "Sequential") continue;
    EXPECT_EQ(build_error(R"({"layers": [{"type": ")" + t + R"("}]})").find("unknown layer type"), std::string::npos)
        << t;
  }
}

TEST(ModelBuilder, MlpEqualsTheHandBuiltModelForTheSameSeed) {
  manual_seed(0);
  auto built = tools::build_model(parse(R"({"architecture": "mlp"})"), {1, 28, 28});
  manual_seed(0);
  nn::Sequential hand{std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 512),
                      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(512, 256),
                      std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(256, 10)};
  auto a = built->state_dict(), b = hand.state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, t] : a) EXPECT_TRUE(allclose(t, b.at(k), 0.0, 0.0)) << k;
}

TEST(ModelBuilder, ShortcutSwitch) {
  manual_seed(1);
  auto plain = tools::build_model(parse(R"({"architecture": "resnet_small", "shortcut": false})"), {1, 28, 28});
  manual_seed(1);
  auto res = tools::build_model(parse(R"({"architecture": "resnet_small", "shortcut": true})"), {1, 28, 28});
  EXPECT_EQ(res->num_parameters(), 95850);
  EXPECT_EQ(plain->num_parameters(), 95850 - 32 * 64 - 2 * 64);  // no 1x1 projection + BN in the third block
  for (size_t i = 3; i < 6; ++i) {
    EXPECT_TRUE(dynamic_cast<nn::BasicBlock&>(*(*res)[i]).shortcut) << i;
    EXPECT_FALSE(dynamic_cast<nn::BasicBlock&>(*(*plain)[i]).shortcut) << i;
  }
  EXPECT_TRUE(res->state_dict().contains("5.downsample.0.weight"));
  EXPECT_FALSE(plain->state_dict().contains("5.downsample.0.weight"));
  EXPECT_EQ(plain->forward(randn({2, 1, 28, 28})).shape(), Shape({2, 10}));
  auto layer = tools::build_model(
      parse(R"({"layers": [{"type": "BasicBlock", "in_planes": 1, "planes": 4, "shortcut": false}]})"), {1, 6, 6});
  EXPECT_FALSE(dynamic_cast<nn::BasicBlock&>(*(*layer)[0]).shortcut);
  EXPECT_HAS(build_error(R"({"architecture": "resnet_small", "shortcut": 2})"), "shortcut");
}
