// Optimizers on ref against cpu: the same tiny model trained 5 steps on each device. cpu runs the fused updates
// of the optim family; ref has none, so its optimizers take the unfused path written with ops (PyTorch's
// single-tensor implementations). Both must give the same parameters, and the state must live beside them.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "backend_check.h"

namespace strata {
namespace {

using MakeOpt = std::function<std::unique_ptr<optim::Optimizer>(const TensorList&)>;

// Parameters w (3, 4), b (4) and 5 steps on loss = sum(tanh(w * c + b)^2) + 0.1 sum(w^3).
TensorList train(Device d, const MakeOpt& make) {
  Generator g(42);
  Tensor w = randn({3, 4}, TensorOptions(kFloat64), &g).to(d).requires_grad_(true);
  Tensor b = randn({4}, TensorOptions(kFloat64), &g).to(d).requires_grad_(true);
  Tensor c = randn({3, 4}, TensorOptions(kFloat64), &g).to(d);
  auto opt = make({w, b});
  for (int step = 0; step < 5; ++step) {
    opt->zero_grad();
    Tensor h = (w * c + b).tanh();
    Tensor loss = (h * h).sum() + (w * w * w).sum() * 0.1;
    loss.backward();
    opt->step();
  }
  for (const Tensor& p : {w, b}) {
    const optim::ParamState* st = opt->state(p);
    EXPECT_NE(st, nullptr);
    if (st == nullptr) continue;
    for (const auto& [key, t] : st->tensors) EXPECT_EQ(t.device(), d) << "state " << key << " lives on " << t.device();
  }
  return {w.detach(), b.detach()};
}

void expect_same_training(const std::string& name, const MakeOpt& make) {
  SCOPED_TRACE(name);
  const int64_t fused_before = backend::call_count(DeviceType::CPU, backend::Family::Optim);
  TensorList want = train(kCPU, make);
  EXPECT_GE(backend::call_count(DeviceType::CPU, backend::Family::Optim), fused_before + 10)
      << "the cpu optimizer did not take its fused path";
  TensorList got = train(kRef, make);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].device(), kRef);
    testing::expect_close_across(name + " param " + std::to_string(i), got[i], want[i], 1e-10, 0.0);
  }
}

TEST(OptimBackends, SgdMomentumWeightDecay) {
  expect_same_training("SGD", [](const TensorList& ps) {
    return std::make_unique<optim::SGD>(ps, optim::SGDOptions{0.05, 0.9, 0.1, 0.01, false});
  });
  expect_same_training("SGD nesterov", [](const TensorList& ps) {
    return std::make_unique<optim::SGD>(ps, optim::SGDOptions{0.05, 0.9, 0.0, 0.01, true});
  });
}

TEST(OptimBackends, Adam) {
  for (bool amsgrad : {false, true}) {
    expect_same_training(amsgrad ? "Adam amsgrad" : "Adam", [amsgrad](const TensorList& ps) {
      optim::AdamOptions o;
      o.lr = 0.05;
      o.weight_decay = 0.01;
      o.amsgrad = amsgrad;
      return std::make_unique<optim::Adam>(ps, o);
    });
  }
  expect_same_training("AdamW", [](const TensorList& ps) {
    optim::AdamWOptions o;
    o.lr = 0.05;
    o.weight_decay = 0.1;
    return std::make_unique<optim::AdamW>(ps, o);
  });
}

TEST(OptimBackends, Rmsprop) {
  for (bool centered : {false, true}) {
    expect_same_training(centered ? "RMSprop centered" : "RMSprop", [centered](const TensorList& ps) {
      optim::RMSpropOptions o;
      o.lr = 0.01;
      o.weight_decay = 0.01;
      o.momentum = 0.5;
      o.centered = centered;
      return std::make_unique<optim::RMSprop>(ps, o);
    });
  }
}

TEST(OptimBackends, LoadedStateMovesToTheParameter) {
  Tensor w = ones({2}, TensorOptions(kFloat64)).requires_grad_(true);
  optim::SGD cpu_opt({w}, optim::SGDOptions{0.1, 0.9});
  w.sum().backward();
  cpu_opt.step();
  Tensor r = ones({2}, TensorOptions(kFloat64).with_device(kRef)).requires_grad_(true);
  optim::SGD ref_opt({r}, optim::SGDOptions{0.1, 0.9});
  ref_opt.load_state_dict(cpu_opt.state_dict());
  ASSERT_NE(ref_opt.state(r), nullptr);
  EXPECT_EQ(ref_opt.state(r)->tensors.at("momentum_buffer").device(), kRef);
}

}  // namespace
}  // namespace strata
