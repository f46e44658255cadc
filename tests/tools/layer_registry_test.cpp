// tools::LayerRegistry: the generative layers build through build_model / build_layers with inferred sizes, the
// registry is the one list of layer types, and a program's own entry builds like a built-in.
#include "strata/tools/layer_registry.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "strata/core/error.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/tools/model_builder.h"
#include "tools/build_test_util.h"

using namespace strata;
using io::Json;

namespace {

Json parse(const std::string& text) { return strata::testing::parse_config(text); }
using strata::testing::build_error;

TEST(LayerRegistry, DcganGeneratorWithInferredChannels) {
  // z (16) -> Linear -> (64, 7, 7) -> (32, 14, 14) -> (1, 28, 28).
  Json spec = parse(R"({"layers": [
    {"type": "Linear", "out_features": 3136}, {"type": "Unflatten", "dim": 1, "unflattened_size": [64, 7, 7]},
    {"type": "ConvTranspose2d", "out_channels": 32, "kernel_size": 4, "stride": 2, "padding": 1},
    {"type": "BatchNorm2d"}, {"type": "ReLU"},
    {"type": "ConvTranspose2d", "out_channels": 1, "kernel_size": 4, "stride": 2, "padding": 1}, {"type": "Tanh"}]})");
  auto g = tools::build_model(spec, {16});
  auto* ct = dynamic_cast<nn::ConvTranspose2d*>(g->named_children()[2].second.get());
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(ct->weight.shape(), Shape({64, 32, 4, 4}));  // in_channels 64 inferred from (64, 7, 7)
  EXPECT_EQ((*g)(randn({5, 16})).shape(), Shape({5, 1, 28, 28}));
  EXPECT_EQ(ct->extra_repr(), "64, 32, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)");
}

TEST(LayerRegistry, DiscriminatorWithUpsampleAndMinibatchStdDev) {
  std::vector<int64_t> shape{1, 14, 14};
  auto d = tools::build_layers(parse(R"([
    {"type": "Upsample", "scale_factor": 2, "mode": "bilinear", "align_corners": true},
    {"type": "Conv2d", "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1},
    {"type": "MinibatchStdDev"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 1}])"),
                               shape);
  EXPECT_EQ(shape, std::vector<int64_t>({1}));
  auto* lin = dynamic_cast<nn::Linear*>(d->named_children()[4].second.get());
  ASSERT_NE(lin, nullptr);
  EXPECT_EQ(lin->in_features(), 5 * 14 * 14);  // 4 channels + the stddev channel
  // Unknown shape stays unknown; sizes must then be given.
  std::vector<int64_t> none;
  auto e = tools::build_layers(parse(R"([{"type": "Upsample", "size": [5, 6]}])"), none);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ((*e)(randn({1, 2, 3, 3})).shape(), Shape({1, 2, 5, 6}));
}

TEST(LayerRegistry, NewLayersReportBadArguments) {
  EXPECT_HAS(build_error(R"({"layers": [{"type": "ConvTranspose2d", "out_channels": 2, "kernel_size": 3}]})", {}),
             "model.layers[0].in_channels\" is missing");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "ConvTranspose2d", "out_channels": 2, "kernel_size": 3,
                                         "output_padding": 1}]})",
                         {1, 4, 4}),
             "output_padding must be smaller than either stride or dilation");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Upsample", "scale_factor": 2, "size": 3}]})", {1, 4, 4}),
             "exactly one of \"size\" and \"scale_factor\"");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Upsample", "scale_factor": 2, "mode": "bicubic"}]})", {1, 4, 4}),
             "model.layers[0].mode");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Upsample", "scale_factor": 2, "align_corners": true}]})", {1, 4, 4}),
             "align_corners can only be set with mode \"bilinear\"");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Unflatten", "dim": 1, "unflattened_size": [3, 5]}]})", {16}),
             "(Unflatten): does not accept an input of shape (16,)");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Unflatten", "unflattened_size": [4, 0]}]})", {16}),
             "model.layers[0].unflattened_size[1]");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "MinibatchStdDev", "group": 4}]})", {16}), "model.layers[0].group");
}

TEST(LayerRegistry, UnknownTypeListsEveryRegisteredType) {
  const std::string e = build_error(R"({"layers": [{"type": "Deconv"}]})", {1, 28, 28});
  EXPECT_HAS(e, "unknown layer type \"Deconv\"");
  for (const std::string& t : tools::layer_types()) EXPECT_HAS(e, t);
  for (const char* t : {"ConvTranspose2d", "Upsample", "Unflatten", "MinibatchStdDev", "Linear", "GRU", "Sequential"}) {
    const auto names = tools::layer_types();
    EXPECT_NE(std::find(names.begin(), names.end(), t), names.end()) << t;
  }
}

TEST(LayerRegistry, ProgramsAddTheirOwnLayers) {
  tools::LayerRegistry::add({"Scale2",
                             {"type", "features"},
                             {{"features", tools::infer::last_dim}},
                             [](const tools::LayerArgs& a) -> nn::ModulePtr {
                               return std::make_shared<nn::Linear>(a.size("features"), 2 * a.size("features"));
                             }});
  EXPECT_THROW(tools::LayerRegistry::add(
                   {"Linear",
                    {"type"},
                    {},
                    [](const tools::LayerArgs&) -> nn::ModulePtr { return std::make_shared<nn::ReLU>(); }}),
               Error);
  auto m = tools::build_model(parse(R"({"layers": [{"type": "Scale2"}]})"), {3});
  EXPECT_EQ((*m)(randn({2, 3})).shape(), Shape({2, 6}));
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Scale2", "bias": 1}]})", {3}), "model.layers[0].bias");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Scale2"}]})", {}), "or give the input shape");
}

TEST(LayerRegistry, InitAppliesToConvTranspose2d) {
  auto m = tools::build_model(parse(R"({"layers": [{"type": "ConvTranspose2d", "out_channels": 2, "kernel_size": 2,
                            "init": {"weight": "constant", "value": 0.5, "bias": "zeros"}}]})"),
                              {3, 2, 2});
  auto* ct = dynamic_cast<nn::ConvTranspose2d*>(m->named_children()[0].second.get());
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(ct->weight.min().item(), 0.5);
  EXPECT_EQ(ct->weight.max().item(), 0.5);
  EXPECT_EQ(ct->bias.min().item(), 0.0);
  EXPECT_EQ(ct->bias.max().item(), 0.0);
}

}  // namespace
