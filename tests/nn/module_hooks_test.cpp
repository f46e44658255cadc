// Module hooks: forward pre/post hooks, output-gradient hooks, removable handles, composites calling their
// children through operator().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata::nn {
namespace {

std::shared_ptr<Sequential> small_mlp() {
  manual_seed(3);
  return std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Linear>(4, 5), std::make_shared<ReLU>(), std::make_shared<Linear>(5, 2)});
}

TEST(ModuleHooks, ForwardHooksSeeEveryChildOfASequential) {
  auto model = small_mlp();
  std::vector<std::string> calls;
  std::vector<HookHandle> handles;
  for (auto& [name, m] : model->named_modules()) {
    const std::string n = name.empty() ? "root" : name;
    handles.push_back(m->register_forward_pre_hook([&calls, n](Module&, const Tensor&) -> Tensor {
      calls.push_back("pre " + n);
      return {};
    }));
    handles.push_back(m->register_forward_hook([&calls, n](Module& mod, const Tensor&, const Tensor& y) -> Tensor {
      calls.push_back("post " + n + " " + mod.type_name() + " " + y.shape().str());
      return {};
    }));
  }
  (*model)(randn({3, 4}));
  const std::vector<std::string> expect = {
      "pre root",           "pre 0", "post 0 Linear (3, 5)", "pre 1",
      "post 1 ReLU (3, 5)", "pre 2", "post 2 Linear (3, 2)", "post root Sequential (3, 2)"};
  EXPECT_EQ(calls, expect);
  // Removed hooks no longer run; removing twice is harmless.
  for (auto& h : handles) {
    EXPECT_TRUE(h.active());
    h.remove();
    h.remove();
    EXPECT_FALSE(h.active());
  }
  calls.clear();
  (*model)(randn({3, 4}));
  EXPECT_TRUE(calls.empty());
  EXPECT_FALSE(model->has_hooks());
}

TEST(ModuleHooks, HooksCanReplaceInputAndOutput) {
  auto relu = std::make_shared<ReLU>();
  auto h1 = relu->register_forward_pre_hook([](Module&, const Tensor& x) -> Tensor { return x * -1.0; });
  auto h2 = relu->register_forward_hook([](Module&, const Tensor&, const Tensor& y) -> Tensor { return y + 10.0; });
  Tensor x = from_vector(std::vector<float>{1.f, -2.f, 3.f}, {3});
  EXPECT_EQ((*relu)(x).to_vector<float>(), (std::vector<float>{10.f, 12.f, 10.f}));
  // forward() itself runs no hooks.
  EXPECT_EQ(relu->forward(x).to_vector<float>(), (std::vector<float>{1.f, 0.f, 3.f}));
  h1.remove();
  h2.remove();
  EXPECT_EQ((*relu)(x).to_vector<float>(), (std::vector<float>{1.f, 0.f, 3.f}));
}

TEST(ModuleHooks, OutputGradHookSeesTheGradientOfTheOutput) {
  auto model = small_mlp();
  auto last = (*model)[2];
  Tensor seen;
  auto h = last->register_output_grad_hook([&seen](Module&, const Tensor& g) { seen = g.detach().clone(); });
  Tensor y = (*model)(randn({3, 4}));
  (y * 2.0).sum().backward();
  ASSERT_TRUE(seen.defined());
  EXPECT_EQ(seen.shape(), Shape({3, 2}));
  for (float v : seen.to_vector<float>()) EXPECT_EQ(v, 2.0f);
  h.remove();
}

TEST(ModuleHooks, BasicBlockCallsItsChildrenThroughHooks) {
  manual_seed(0);
  auto block = std::make_shared<BasicBlock>(4, 8, 2);
  std::vector<std::string> seen;
  std::vector<HookHandle> hs;
  for (auto& [name, m] : block->named_modules()) {
    if (name.empty()) continue;
    hs.push_back(m->register_forward_hook([&seen, name](Module&, const Tensor&, const Tensor&) -> Tensor {
      seen.push_back(name);
      return {};
    }));
  }
  block->eval();
  (*block)(randn({2, 4, 8, 8}));
  // relu runs twice; the projection's children run inside downsample.
  const std::vector<std::string> expect = {"conv1",        "bn1",          "relu",       "conv2", "bn2",
                                           "downsample.0", "downsample.1", "downsample", "relu"};
  EXPECT_EQ(seen, expect);
}

TEST(ModuleHooks, HandleOutlivesModule) {
  HookHandle h;
  {
    auto relu = std::make_shared<ReLU>();
    h = relu->register_forward_hook([](Module&, const Tensor&, const Tensor&) -> Tensor { return {}; });
    EXPECT_TRUE(h.active());
  }
  EXPECT_FALSE(h.active());
  h.remove();
}

TEST(ModuleHooks, EmptyHookIsAnError) {
  ReLU relu;
  EXPECT_THROW(relu.register_forward_hook(nullptr), Error);
}

}  // namespace
}  // namespace strata::nn
