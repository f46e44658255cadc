// nn::Module: registration, dotted keys, state_dict round trip, strict loading errors, freezing,
// train/eval propagation, printout; containers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> keys_of(const std::vector<std::pair<std::string, Tensor>>& v) {
  std::vector<std::string> k;
  for (const auto& [name, _] : v) k.push_back(name);
  return k;
}

std::vector<std::string> keys_of(const StateDict& sd) {
  std::vector<std::string> k;
  for (const auto& [name, _] : sd) k.push_back(name);
  return k;
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A module with its own parameter and buffer plus children (a Sequential, a BatchNorm1d).
class Net : public Module {
 public:
  Net() {
    scale = register_parameter("scale", full({2}, 1.5));
    steps = register_buffer("steps", zeros({1}));
    features = register_module("features", std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
                                               std::make_shared<Linear>(4, 3), std::make_shared<ReLU>(),
                                               std::make_shared<Linear>(3, 2, false)}));
    bn = register_module("bn", std::make_shared<BatchNorm1d>(2));
  }
  std::string type_name() const override { return "Net"; }
  Tensor forward(const Tensor& x) override { return mul(bn->forward(features->forward(x)), scale); }
  Tensor scale, steps;
  std::shared_ptr<Sequential> features;
  std::shared_ptr<BatchNorm1d> bn;
};

TEST(Module, NamedParametersUseDottedKeysInRegistrationOrder) {
  Net net;
  EXPECT_THAT(keys_of(net.named_parameters()), ElementsAre("scale", "features.0.weight", "features.0.bias",
                                                           "features.2.weight", "bn.weight", "bn.bias"));
  EXPECT_THAT(keys_of(net.named_parameters(false)), ElementsAre("scale"));
  EXPECT_THAT(keys_of(net.named_buffers()),
              ElementsAre("steps", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"));
  EXPECT_EQ(net.parameters().size(), 6u);
  EXPECT_EQ(net.buffers().size(), 4u);
  EXPECT_EQ(net.num_parameters(), 2 + 12 + 3 + 6 + 2 + 2);
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
  std::vector<std::string> mods;
  for (const auto& [name, m] : net.named_modules()) mods.push_back(name + ":" + m->type_name());
  EXPECT_THAT(mods, ElementsAre(":Net", "features:Sequential", "features.0:Linear", "features.1:ReLU",
                                "features.2:Linear", "bn:BatchNorm1d"));
  std::vector<std::string> children;
  for (const auto& [name, _] : net.named_children()) children.push_back(name);
  EXPECT_THAT(children, ElementsAre("features", "bn"));
}

TEST(Module, StateDictHasParametersThenBuffersPerModule) {
  Net net;
  EXPECT_THAT(keys_of(net.state_dict()),
              ElementsAre("scale", "steps", "features.0.weight", "features.0.bias", "features.2.weight", "bn.weight",
                          "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"));
  EXPECT_EQ(net.state_dict().at("bn.num_batches_tracked").dtype(), kInt64);
  EXPECT_FALSE(net.state_dict().at("scale").requires_grad());
}

TEST(Module, RegistrationErrors) {
  Net net;
  EXPECT_THAT(error_of([&] { net.register_parameter("scale", zeros({1})); }), HasSubstr("'scale'"));
  EXPECT_THAT(error_of([&] { net.register_buffer("features", zeros({1})); }), HasSubstr("'features'"));
  EXPECT_THAT(error_of([&] { net.register_parameter("a.b", zeros({1})); }), HasSubstr("'a.b'"));
  EXPECT_THAT(error_of([&] { net.register_module("", std::make_shared<ReLU>()); }), HasSubstr("empty"));
  EXPECT_THAT(error_of([&] { net.param("nope"); }), HasSubstr("'nope'"));
  EXPECT_THAT(error_of([&] { net.buffer("nope"); }), HasSubstr("'nope'"));
  EXPECT_THAT(error_of([&] { net.child("nope"); }), HasSubstr("'nope'"));
  EXPECT_THAT(error_of([&] { ReLU().forward(zeros({1})).numel(); }), HasSubstr("(no error)"));
  EXPECT_THAT(error_of([&] { ModuleList().forward(zeros({1})); }), HasSubstr("ModuleList"));
  EXPECT_TRUE(net.param("scale").is_same(net.scale));
  EXPECT_TRUE(net.buffer("steps").is_same(net.steps));
  EXPECT_EQ(net.child("bn").get(), net.bn.get());
}

TEST(Module, StateDictRoundTripCopiesIntoExistingTensors) {
  manual_seed(1);
  Net a;
  manual_seed(2);
  Net b;
  {
    NoGradGuard g;
    a.bn->running_mean.copy_(tensor({0.25, -0.5}));
    a.bn->num_batches_tracked.fill_(7);
  }
  Tensor w_before = b.features->operator[](0)->param("weight");
  const void* data_before = w_before.raw_data();
  EXPECT_NE(b.state_dict().at("features.0.weight").to_vector<float>(),
            a.state_dict().at("features.0.weight").to_vector<float>());
  b.load_state_dict(a.state_dict());
  for (const auto& [key, t] : a.state_dict()) {
    EXPECT_EQ(b.state_dict().at(key).to_vector<double>(), t.to_vector<double>()) << key;
  }
  // Same tensors as before (an optimizer holding them sees the new values), still trainable leaves.
  EXPECT_TRUE(b.features->operator[](0)->param("weight").is_same(w_before));
  EXPECT_EQ(w_before.raw_data(), data_before);
  EXPECT_TRUE(w_before.requires_grad());
  EXPECT_TRUE(w_before.is_leaf());
  EXPECT_EQ(b.bn->num_batches_tracked.item(), 7.0);
  // And the outputs agree.
  Tensor x = randn({5, 4});
  a.eval();
  b.eval();
  EXPECT_EQ(a(x).to_vector<float>(), b(x).to_vector<float>());
}

TEST(Module, StrictLoadErrorsNameTheKey) {
  Net net;
  StateDict sd = net.state_dict();
  StateDict missing;
  for (const auto& [k, t] : sd) {
    if (k != "bn.running_var") missing.insert(k, t);
  }
  EXPECT_THAT(error_of([&] { net.load_state_dict(missing); }), HasSubstr("missing key 'bn.running_var'"));
  StateDict extra = sd;
  extra.insert("head.weight", zeros({2}));
  EXPECT_THAT(error_of([&] { net.load_state_dict(extra); }), HasSubstr("unexpected key 'head.weight'"));
  StateDict bad = sd;
  bad.insert("features.0.weight", zeros({3, 5}));  // replaces in place
  EXPECT_EQ(bad.size(), sd.size());
  const std::string msg = error_of([&] { net.load_state_dict(bad); });
  EXPECT_THAT(msg, HasSubstr("shape mismatch for 'features.0.weight'"));
  EXPECT_THAT(msg, HasSubstr("(3, 5)"));
  EXPECT_THAT(msg, HasSubstr("(3, 4)"));
  // Non-strict: missing and unexpected keys are skipped, the rest is loaded; shapes are still checked.
  Tensor old_var = net.bn->running_var.clone();
  StateDict partial;
  partial.insert("scale", tensor({-1.0, 2.0}));
  partial.insert("not.a.key", zeros({1}));
  net.load_state_dict(partial, false);
  EXPECT_EQ(net.scale.to_vector<float>(), (std::vector<float>{-1.0f, 2.0f}));
  EXPECT_EQ(net.bn->running_var.to_vector<float>(), old_var.to_vector<float>());
  EXPECT_THAT(error_of([&] { net.load_state_dict(bad, false); }), HasSubstr("'features.0.weight'"));
  EXPECT_THAT(error_of([&] { sd.at("nope"); }), HasSubstr("'nope'"));
}

TEST(Module, StrictLoadErrorsNameEveryKey) {
  Net net;
  StateDict sd = net.state_dict();
  StateDict two_missing;
  for (const auto& [k, t] : sd) {
    if (k != "features.0.bias" && k != "bn.num_batches_tracked") two_missing.insert(k, t);
  }
  EXPECT_THAT(error_of([&] { net.load_state_dict(two_missing); }),
              HasSubstr("missing keys 'features.0.bias', 'bn.num_batches_tracked' for Net"));
  StateDict two_extra = sd;
  two_extra.insert("head.weight", zeros({2}));
  two_extra.insert("features.5.bias", zeros({2}));
  EXPECT_THAT(error_of([&] { net.load_state_dict(two_extra); }),
              HasSubstr("unexpected keys 'head.weight', 'features.5.bias' for Net"));
}

TEST(Module, NonStrictLoadReturnsMissingAndUnexpectedKeys) {
  manual_seed(3);
  Net src;
  Net net;
  StateDict partial;
  partial.insert("not.a.key", zeros({1}));
  for (const auto& [k, t] : src.state_dict()) {
    if (k.rfind("features.", 0) == 0) partial.insert(k, t);  // the nested Sequential only
  }
  partial.insert("bn.extra", zeros({2}));
  const Tensor old_scale = net.scale.clone();
  const IncompatibleKeys r = net.load_state_dict(partial, /*strict=*/false);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.missing_keys, ElementsAre("scale", "steps", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                                          "bn.num_batches_tracked"));
  EXPECT_THAT(r.unexpected_keys, ElementsAre("not.a.key", "bn.extra"));
  // The matching nested keys were loaded, the missing ones kept their values.
  EXPECT_EQ(net.features->operator[](2)->param("weight").to_vector<float>(),
            src.features->operator[](2)->param("weight").to_vector<float>());
  EXPECT_EQ(net.scale.to_vector<float>(), old_scale.to_vector<float>());
  // Only unexpected keys: nothing missing.
  StateDict extra = src.state_dict();
  extra.insert("head.weight", zeros({2}));
  const IncompatibleKeys only_extra = net.load_state_dict(extra, false);
  EXPECT_TRUE(only_extra.missing_keys.empty());
  EXPECT_THAT(only_extra.unexpected_keys, ElementsAre("head.weight"));
  // A full match reports nothing, strict or not.
  const IncompatibleKeys full = net.load_state_dict(src.state_dict(), false);
  EXPECT_TRUE(full.ok());
  EXPECT_TRUE(full.missing_keys.empty());
  EXPECT_TRUE(full.unexpected_keys.empty());
  EXPECT_TRUE(net.load_state_dict(src.state_dict()).ok());
  // A shape mismatch is still an error when non-strict, and nothing is copied.
  Net fresh;
  StateDict bad = partial;
  bad.insert("features.0.weight", zeros({3, 5}));
  const std::vector<float> before = fresh.features->operator[](2)->param("weight").to_vector<float>();
  ASSERT_NE(before, src.features->operator[](2)->param("weight").to_vector<float>());
  EXPECT_THAT(error_of([&] { fresh.load_state_dict(bad, false); }),
              HasSubstr("shape mismatch for 'features.0.weight'"));
  EXPECT_EQ(fresh.features->operator[](2)->param("weight").to_vector<float>(), before);
}

TEST(Module, FailedLoadLeavesTheModuleUnchanged) {
  Net net;
  Tensor before = net.scale.clone();
  StateDict sd = net.state_dict();
  sd.insert("scale", tensor({9.0, 9.0}));
  sd.insert("bn.bias", zeros({3}));  // wrong shape, later in the order
  EXPECT_THROW(net.load_state_dict(sd), Error);
  EXPECT_EQ(net.scale.to_vector<float>(), before.to_vector<float>());
}

TEST(Module, RequiresGradFreezesAndUnfreezes) {
  Net net;
  net.features->requires_grad_(false);
  EXPECT_EQ(net.num_parameters(true), 2 + 2 + 2);
  EXPECT_FALSE(net.features->operator[](0)->param("weight").requires_grad());
  EXPECT_TRUE(net.scale.requires_grad());
  Tensor x = randn({4, 4});
  net(x).sum().backward();
  EXPECT_FALSE(net.features->operator[](0)->param("weight").grad().defined());
  EXPECT_TRUE(net.scale.grad().defined());
  EXPECT_TRUE(net.bn->weight.grad().defined());
  net.requires_grad_(true);
  EXPECT_EQ(net.num_parameters(true), net.num_parameters());
}

TEST(Module, ZeroGrad) {
  Net net;
  net(randn({4, 4})).sum().backward();
  net.zero_grad(false);
  EXPECT_TRUE(net.scale.grad().defined());
  EXPECT_EQ(net.scale.grad().abs().sum().item(), 0.0);
  net.zero_grad();
  for (const Tensor& p : net.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Module, TrainEvalPropagatesAndApplyVisitsEveryModule) {
  Net net;
  EXPECT_TRUE(net.is_training());
  net.eval();
  for (const auto& [name, m] : net.named_modules()) EXPECT_FALSE(m->is_training()) << name;
  net.train();
  for (const auto& [name, m] : net.named_modules()) EXPECT_TRUE(m->is_training()) << name;
  std::vector<std::string> seen;
  net.apply([&](Module& m) { seen.push_back(m.type_name()); });
  EXPECT_THAT(seen, ElementsAre("Linear", "ReLU", "Linear", "Sequential", "BatchNorm1d", "Net"));
}

TEST(Module, SharedParameterAppearsOnce) {
  auto lin = std::make_shared<Linear>(2, 2);
  Sequential s{lin, lin};
  EXPECT_THAT(keys_of(s.named_parameters()), ElementsAre("0.weight", "0.bias"));
  EXPECT_EQ(s.named_modules().size(), 2u);
}

TEST(Module, PrintoutMatchesPyTorch) {
  Sequential mlp{std::make_shared<Linear>(784, 512), std::make_shared<ReLU>(), std::make_shared<Linear>(512, 10)};
  EXPECT_EQ(mlp.to_string(),
            "Sequential(\n"
            "  (0): Linear(in_features=784, out_features=512, bias=True)\n"
            "  (1): ReLU()\n"
            "  (2): Linear(in_features=512, out_features=10, bias=True)\n"
            ")");
  Sequential m{std::make_shared<Conv2d>(1, 6, 5, 1, 2),
               std::make_shared<MaxPool2d>(2),
               std::make_shared<Conv2d>(6, 16, 5, 1, "same", 2, 2),
               std::make_shared<AvgPool2d>(2),
               std::make_shared<AdaptiveAvgPool2d>(1),
               std::make_shared<Flatten>(),
               std::make_shared<Dropout>(0.25),
               std::make_shared<LayerNorm>(std::vector<int64_t>{16}),
               std::make_shared<BatchNorm1d>(16, 1e-5, std::nullopt),
               std::make_shared<LeakyReLU>(),
               std::make_shared<GELU>(),
               std::make_shared<LogSoftmax>(1)};
  // Printed by torch 1.13 for the same modules.
  EXPECT_EQ(m.to_string(),
            "Sequential(\n"
            "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
            "  (1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
            "  (2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1), padding=same, dilation=(2, 2), groups=2)\n"
            "  (3): AvgPool2d(kernel_size=2, stride=2, padding=0)\n"
            "  (4): AdaptiveAvgPool2d(output_size=1)\n"
            "  (5): Flatten(start_dim=1, end_dim=-1)\n"
            "  (6): Dropout(p=0.25, inplace=False)\n"
            "  (7): LayerNorm((16,), eps=1e-05, elementwise_affine=True)\n"
            "  (8): BatchNorm1d(16, eps=1e-05, momentum=None, affine=True, track_running_stats=True)\n"
            "  (9): LeakyReLU(negative_slope=0.01)\n"
            "  (10): GELU(approximate='none')\n"
            "  (11): LogSoftmax(dim=1)\n"
            ")");
  std::ostringstream os;
  os << Tanh();
  EXPECT_EQ(os.str(), "Tanh()");
}

TEST(Module, NestedPrintoutIndents) {
  BasicBlock b(16, 32, 2);
  // torch 1.13 prints the same, except torchvision's ReLU says "ReLU(inplace=True)".
  EXPECT_EQ(b.to_string(),
            "BasicBlock(\n"
            "  (conv1): Conv2d(16, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)\n"
            "  (bn1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "  (relu): ReLU()\n"
            "  (conv2): Conv2d(32, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
            "  (bn2): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "  (downsample): Sequential(\n"
            "    (0): Conv2d(16, 32, kernel_size=(1, 1), stride=(2, 2), bias=False)\n"
            "    (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "  )\n"
            ")");
}

TEST(Module, BasicBlockKeysMatchTorchvision) {
  BasicBlock b(16, 32, 2);
  EXPECT_THAT(keys_of(b.state_dict()),
              ElementsAre("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                          "bn1.num_batches_tracked", "conv2.weight", "bn2.weight", "bn2.bias", "bn2.running_mean",
                          "bn2.running_var", "bn2.num_batches_tracked", "downsample.0.weight", "downsample.1.weight",
                          "downsample.1.bias", "downsample.1.running_mean", "downsample.1.running_var",
                          "downsample.1.num_batches_tracked"));
  EXPECT_EQ(b.conv1->weight.shape(), Shape({32, 16, 3, 3}));
  EXPECT_EQ(b.downsample->operator[](0)->param("weight").shape(), Shape({32, 16, 1, 1}));
  BasicBlock same(8, 8, 1);
  EXPECT_EQ(same.downsample, nullptr);
  EXPECT_EQ(same.state_dict().size(), 12u);
}

TEST(Containers, SequentialChainsAndIndexes) {
  auto l1 = std::make_shared<Linear>(3, 4);
  auto l2 = std::make_shared<Linear>(4, 2);
  Sequential s;
  EXPECT_TRUE(s.empty());
  s.push_back(l1);
  s.push_back(std::make_shared<Tanh>());
  s.push_back(l2);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2].get(), l2.get());
  Tensor x = randn({5, 3});
  Tensor want = linear(tanh(linear(x, l1->weight, l1->bias)), l2->weight, l2->bias);
  EXPECT_EQ(s(x).to_vector<float>(), want.to_vector<float>());
  EXPECT_THAT(error_of([&] { s[3]; }), HasSubstr("index 3 out of range"));
  EXPECT_THAT(error_of([&] { s.push_back(nullptr); }), HasSubstr("null"));
  Sequential from_vec(std::vector<ModulePtr>{l1});
  EXPECT_EQ(from_vec.size(), 1u);
}

TEST(Containers, ModuleListAndDict) {
  ModuleList list{std::make_shared<Linear>(2, 3), std::make_shared<Linear>(3, 1)};
  list.push_back(std::make_shared<ReLU>());
  EXPECT_EQ(list.size(), 3u);
  EXPECT_THAT(keys_of(list.named_parameters()), ElementsAre("0.weight", "0.bias", "1.weight", "1.bias"));
  EXPECT_EQ(list[2]->type_name(), "ReLU");
  EXPECT_THAT(error_of([&] { list[5]; }), HasSubstr("out of range"));

  ModuleDict dict{{"enc", std::make_shared<Linear>(2, 2)}, {"act", std::make_shared<GELU>()}};
  dict.insert("dec", std::make_shared<Linear>(2, 1, false));
  EXPECT_THAT(dict.keys(), ElementsAre("enc", "act", "dec"));
  EXPECT_TRUE(dict.contains("act"));
  EXPECT_FALSE(dict.contains("x"));
  EXPECT_EQ(dict["dec"]->type_name(), "Linear");
  EXPECT_THAT(keys_of(dict.named_parameters()), ElementsAre("enc.weight", "enc.bias", "dec.weight"));
  EXPECT_THAT(error_of([&] { dict.insert("enc", std::make_shared<ReLU>()); }), HasSubstr("'enc'"));
  EXPECT_THAT(dict.to_string(), HasSubstr("  (act): GELU(approximate='none')\n"));
}

}  // namespace
}  // namespace strata::nn
