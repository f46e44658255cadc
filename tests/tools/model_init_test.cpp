// Model-config features for the training doctor's scenarios: "init" (model level and per layer), recurrent
// layers in layer lists, regression losses on class labels, and the examples/doctor configs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/tools/init_spec.h"
#include "strata/tools/model_builder.h"
#include "strata/tools/run_config.h"
#include "test_util.h"

using namespace strata;
using io::Json;
namespace fs = std::filesystem;

namespace {

Json parse(const std::string& text) { return io::parse_json(text, "config.json"); }

std::shared_ptr<nn::Sequential> build(const std::string& model_json, std::vector<int64_t> shape = {1, 28, 28}) {
  Json cfg = parse("{\"model\": " + model_json + "}");
  return tools::build_model(cfg.at("model"), shape);
}

std::string build_error(const std::string& model_json, std::vector<int64_t> shape = {1, 28, 28}) {
  try {
    build(model_json, shape);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct Moments {
  double mean, std, min, max;
};

Moments moments(const Tensor& t) {
  Tensor d = t.to(kFloat64).flatten();
  const double n = static_cast<double>(d.numel());
  const double mean = d.sum().item() / n;
  const double var = ((d - mean) * (d - mean)).sum().item() / n;
  return {mean, std::sqrt(var), d.min().item(), d.max().item()};
}

// A large float64 weight initialised by `spec_json`.
Moments init_moments(const std::string& spec_json, Shape shape = {1000, 500}) {
  tools::InitSpec s = tools::parse_init_spec(parse(spec_json));
  Tensor w = full(shape, 123.0, TensorOptions(kFloat64));  // poisoned: every element must be written
  manual_seed(7);
  tools::init_weight(w, s);
  return moments(w);
}

}  // namespace

TEST(InitSpec, DistributionsHaveTorchsMoments) {
  // 500k samples: the sample mean is within ~5 std / sqrt(n) of the truth.
  const double fan_in = 500, fan_out = 1000;
  Moments m = init_moments(R"({"weight": "normal", "mean": 0.5, "std": 2.0})");
  EXPECT_NEAR(m.mean, 0.5, 0.015);
  EXPECT_NEAR(m.std, 2.0, 0.01);
  m = init_moments(R"({"weight": "uniform", "a": -3, "b": 1})");
  EXPECT_NEAR(m.mean, -1.0, 0.01);
  EXPECT_NEAR(m.std, 4 / std::sqrt(12.0), 0.01);
  EXPECT_GE(m.min, -3.0);
  EXPECT_LE(m.max, 1.0);
  const double xavier = std::sqrt(2.0 / (fan_in + fan_out));
  m = init_moments(R"({"weight": "xavier_normal"})");
  EXPECT_NEAR(m.std, xavier, 0.005 * xavier);
  m = init_moments(R"({"weight": "xavier_uniform", "gain": 2.0})");
  EXPECT_NEAR(m.std, 2 * xavier, 0.005 * 2 * xavier);
  EXPECT_LE(m.max, 2 * xavier * std::sqrt(3.0));
  m = init_moments(R"({"weight": "xavier_normal", "nonlinearity": "tanh"})");
  EXPECT_NEAR(m.std, 5.0 / 3 * xavier, 0.005 * 5.0 / 3 * xavier);
  const double he = std::sqrt(2.0 / fan_in);
  m = init_moments(R"({"weight": "kaiming_normal", "nonlinearity": "relu"})");
  EXPECT_NEAR(m.mean, 0.0, 0.001);
  EXPECT_NEAR(m.std, he, 0.005 * he);
  m = init_moments(R"({"weight": "kaiming_uniform", "nonlinearity": "relu", "mode": "fan_out"})");
  EXPECT_NEAR(m.std, std::sqrt(2.0 / fan_out), 0.005 * std::sqrt(2.0 / fan_out));
  EXPECT_LE(m.max, std::sqrt(6.0 / fan_out));
  // PyTorch's kaiming default: leaky_relu with slope a (0 -> gain sqrt(2)).
  m = init_moments(R"({"weight": "kaiming_normal", "a": 1.0})");
  EXPECT_NEAR(m.std, 1.0 / std::sqrt(fan_in), 0.005 / std::sqrt(fan_in));
  m = init_moments(R"({"weight": "constant", "value": -0.25})");
  EXPECT_EQ(m.min, -0.25);
  EXPECT_EQ(m.max, -0.25);
  m = init_moments(R"({"weight": "zeros"})");
  EXPECT_EQ(m.min, 0.0);
  EXPECT_EQ(m.max, 0.0);
  m = init_moments(R"({"weight": "default"})");  // leaves the tensor as it was
  EXPECT_EQ(m.min, 123.0);
}

TEST(InitSpec, BadKeysAndValuesNameTheKey) {
  auto error = [](const std::string& init) {
    return build_error(R"({"init": )" + init +
                       R"(, "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 3}]})");
  };
  EXPECT_HAS(error(R"({"weight": "he"})"), "key \"model.init.weight\": unknown value \"he\"");
  EXPECT_HAS(error(R"({"weight": "normal", "sd": 1})"), "model.init");
  EXPECT_HAS(error(R"({"weight": "normal", "sd": 1})"), "sd");
  EXPECT_HAS(error(R"({"weight": "normal", "std": -1})"), "key \"model.init.std\": expected a number in [0,");
  EXPECT_HAS(error(R"({"weight": "uniform", "std": 1})"),
             "key \"model.init.std\": does not apply to weight \"uniform\"");
  EXPECT_HAS(error(R"({"weight": "zeros", "gain": 1})"), "key \"model.init.gain\": does not apply");
  EXPECT_HAS(error(R"({"weight": "kaiming_normal", "nonlinearity": "selu"})"), "key \"model.init.nonlinearity\"");
  EXPECT_HAS(error(R"({"weight": "kaiming_normal", "mode": "fan"})"), "key \"model.init.mode\": unknown value");
  EXPECT_HAS(error(R"({"weight": "xavier_normal", "gain": 2, "nonlinearity": "tanh"})"), "not both");
  EXPECT_HAS(error(R"({"weight": "constant"})"), "\"value\" is missing");
  EXPECT_HAS(error(R"({"bias": "normal"})"), "key \"model.init.bias\": unknown value \"normal\"");
  EXPECT_HAS(error(R"({"bias": "constant"})"), "\"bias_value\" is missing");
  EXPECT_HAS(error(R"({"bias_value": 1})"), "key \"model.init.bias_value\": applies only to bias \"constant\"");
  EXPECT_HAS(error(R"("zeros")"), "key \"model.init\": expected an object");
  // Per layer: the path names the layer; a layer without weights has no "init".
  EXPECT_HAS(build_error(R"({"layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 3,
                                         "init": {"weight": "normal", "mean": "x"}}]})"),
             "model.layers[1].init.mean");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "ReLU", "init": {"weight": "zeros"}}]})"), "init");
}

TEST(ModelInit, ZerosModelLevelAndLayerOverride) {
  auto m = build(R"({"init": {"weight": "zeros", "bias": "zeros"}, "layers": [
      {"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "ReLU"}, {"type": "Flatten"},
      {"type": "Linear", "out_features": 5}, {"type": "ReLU"},
      {"type": "Linear", "out_features": 3, "init": {"weight": "constant", "value": 0.5, "bias": "constant",
                                                     "bias_value": -1}}]})");
  auto sd = m->state_dict();
  for (const char* k : {"0.weight", "0.bias", "3.weight", "3.bias"}) {
    Moments mo = moments(sd.at(k));
    EXPECT_EQ(mo.min, 0.0) << k;
    EXPECT_EQ(mo.max, 0.0) << k;
  }
  EXPECT_EQ(moments(sd.at("5.weight")).min, 0.5);
  EXPECT_EQ(moments(sd.at("5.weight")).max, 0.5);
  EXPECT_EQ(moments(sd.at("5.bias")).max, -1.0);
  // "default" weight with a zero bias keeps PyTorch's default weight.
  auto d = build(R"({"layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 64,
                                 "init": {"bias": "zeros"}}]})");
  Moments w = moments(d->state_dict().at("1.weight"));
  EXPECT_GT(w.std, 0.01);
  EXPECT_LE(w.max, 1 / std::sqrt(784.0) + 1e-6);  // kaiming_uniform(a = sqrt(5)): bound 1 / sqrt(fan_in)
  EXPECT_EQ(moments(d->state_dict().at("1.bias")).max, 0.0);
}

TEST(ModelInit, ArchitecturesAndBlocksAndRecurrentLayers) {
  auto m = build(R"({"architecture": "resnet_small", "width": 4, "init": {"weight": "kaiming_normal",
                     "nonlinearity": "relu", "mode": "fan_out", "bias": "zeros"}})");
  auto sd = m->state_dict();
  // Convolutions inside the BasicBlocks are reached too; BatchNorm keeps weight 1.
  EXPECT_EQ(moments(sd.at("8.bias")).max, 0.0);
  EXPECT_EQ(moments(sd.at("8.bias")).min, 0.0);
  EXPECT_EQ(moments(sd.at("1.weight")).min, 1.0);
  // He fan_out (std sqrt(2 / 36)) reaches past PyTorch's default bound 1 / sqrt(fan_in = 36) among 144 weights.
  Moments c = moments(sd.at("3.conv1.weight"));
  EXPECT_GT(std::max(c.max, -c.min), 1 / 6.0);
  auto big = build(R"({"architecture": "mlp", "hidden": [256], "init": {"weight": "normal", "std": 1.0}})");
  EXPECT_NEAR(moments(big->state_dict().at("1.weight")).std, 1.0, 0.01);

  auto r = build(R"({"init": {"weight": "constant", "value": 0.125, "bias": "zeros"}, "layers": [
      {"type": "Flatten", "start_dim": 1, "end_dim": 2},
      {"type": "LSTM", "hidden_size": 4, "num_layers": 2, "bidirectional": true}]})");
  int n = 0;
  for (const auto& [k, t] : r->state_dict()) {
    Moments mo = moments(t);
    EXPECT_EQ(mo.max, k.find("weight") != std::string::npos ? 0.125 : 0.0) << k;
    EXPECT_EQ(mo.min, mo.max) << k;
    ++n;
  }
  EXPECT_EQ(n, 16);
}

TEST(ModelInit, DrawsFromTheSeededDefaultGenerator) {
  const std::string spec = R"({"init": {"weight": "xavier_uniform"}, "layers": [{"type": "Flatten"},
                               {"type": "Linear", "out_features": 8}]})";
  manual_seed(1);
  Tensor a = build(spec)->state_dict().at("1.weight");
  manual_seed(1);
  Tensor b = build(spec)->state_dict().at("1.weight");
  manual_seed(2);
  Tensor c = build(spec)->state_dict().at("1.weight");
  EXPECT_EQ(moments(a - b).max, 0.0);
  EXPECT_GT(moments(a - c).max, 0.0);
}

TEST(RecurrentLayers, BuildFromLayerLists) {
  auto m = build(R"({"layers": [{"type": "Flatten", "start_dim": 1, "end_dim": 2},
      {"type": "GRU", "hidden_size": 16}, {"type": "Linear", "out_features": 10}]})");
  EXPECT_EQ((*m)[1]->type_name(), "GRU");
  auto sd = m->state_dict();
  EXPECT_EQ(sd.at("1.weight_ih_l0").shape(), Shape({48, 28}));  // input_size inferred from (28, 28)
  EXPECT_EQ(m->forward(randn({2, 1, 28, 28})).shape(), Shape({2, 10}));

  auto s = build(R"({"layers": [{"type": "RNN", "input_size": 6, "hidden_size": 5, "nonlinearity": "relu",
      "num_layers": 2, "dropout": 0.1, "bidirectional": true, "bias": false, "return_sequences": true},
      {"type": "LSTM", "hidden_size": 3}]})",
                 {7, 6});
  EXPECT_EQ(s->num_parameters(), 5 * 6 * 2 + 5 * 5 * 2 + 5 * 10 * 2 + 5 * 5 * 2 + 4 * 3 * (10 + 3) + 2 * 4 * 3);
  EXPECT_EQ(s->forward(randn({4, 7, 6})).shape(), Shape({4, 3}));
  EXPECT_NE(s->to_string().find("nonlinearity=relu"), std::string::npos);
}

TEST(RecurrentLayers, ErrorsNameTheKey) {
  EXPECT_HAS(build_error(R"({"layers": [{"type": "GRU", "hidden_size": 4}]})", {}),
             "key \"model.layers[0].input_size\" is missing");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "GRU", "input_size": 4}]})", {}),
             "key \"model.layers[0].hidden_size\" is missing");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "GRU", "hidden_size": 4, "nonlinearity": "relu"}]})", {3, 4}),
             "nonlinearity");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "RNN", "hidden_size": 4, "nonlinearity": "gelu"}]})", {3, 4}),
             "key \"model.layers[0].nonlinearity\": expected \"tanh\" or \"relu\"");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "LSTM", "hidden_size": 4, "dropout": 1.5}]})", {3, 4}),
             "key \"model.layers[0].dropout\"");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "LSTM", "hidden_size": 0}]})", {3, 4}),
             "key \"model.layers[0].hidden_size\"");
  EXPECT_HAS(build_error(R"({"layers": [{"type": "LSTM", "hidden_size": 2, "return_sequences": 1}]})", {3, 4}),
             "model.layers[0].return_sequences");
  // A (C, H, W) image does not go into a GRU without the Flatten.
  EXPECT_HAS(build_error(R"({"layers": [{"type": "GRU", "input_size": 28, "hidden_size": 4}]})"), "model.layers[0]");
}

TEST(OneHotTargetLoss, MSEAndL1OnClassLabels) {
  Tensor labels = from_vector<int64_t>({2, 0}, {2});
  auto mse = tools::build_loss(Json("mse"), labels, 3);
  EXPECT_EQ(mse->name(), "MSELoss");
  EXPECT_NE(dynamic_cast<tools::OneHotTargetLoss*>(mse.get()), nullptr);
  Tensor out = from_vector<float>({0.f, 0.5f, 1.f, 1.f, 0.f, 0.f}, {2, 3});
  // Row 0 matches one_hot(2) except 0.5 at column 1; row 1 matches one_hot(0) exactly: mean of 0.25 over 6.
  EXPECT_NEAR(mse->forward(out, labels).item(), 0.25 / 6, 1e-7);
  auto l1 = tools::build_loss(Json("l1"), labels, 3);
  EXPECT_EQ(l1->name(), "L1Loss");
  EXPECT_NEAR(l1->forward(out, labels).item(), 0.5 / 6, 1e-7);
  // Gradients reach the model's output.
  Tensor o = out.clone().requires_grad_(true);
  mse->forward(o, labels).backward();
  EXPECT_NEAR(o.grad().to(kFloat64).abs().sum().item(), 2 * 0.5 / 6, 1e-6);
  // Regression (num_classes 0) keeps the plain loss; a wrong output width is an error naming both.
  EXPECT_EQ(dynamic_cast<tools::OneHotTargetLoss*>(tools::build_loss(Json("mse"), Tensor(), 0).get()), nullptr);
  try {
    mse->forward(zeros({2, 4}), labels);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_HAS(e.what(), "(N, 3)");
    EXPECT_HAS(e.what(), "MSELoss");
  }
}

TEST(DoctorConfigs, ParseAndBuild) {
  const fs::path dir = fs::path(STRATA_TEST_DATA_DIR) / ".." / "examples" / "doctor";
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    tools::RunConfig c = tools::load_run_config(entry.path().string());
    const std::vector<int64_t> shape =
        c.data.dataset == "fashion_mnist" ? std::vector<int64_t>{1, 28, 28} : std::vector<int64_t>{10};
    manual_seed(c.seed);
    auto model = tools::build_model(c.model, shape);
    EXPECT_GT(model->num_parameters(), 0);
    ++n;
  }
  EXPECT_GE(n, 16);
}
