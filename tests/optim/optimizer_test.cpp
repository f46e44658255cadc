// Optimizer base behaviour: groups, options, zero_grad, skipping, state_dict; hand-computed single steps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "strata/optim/adam.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"
#include "strata/strata.h"

using namespace strata;
using namespace strata::optim;
using ::testing::HasSubstr;

namespace {

Tensor param(std::initializer_list<double> v) { return tensor(v).requires_grad_(); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-6) {
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

}  // namespace

TEST(SGD, PlainStepIsLrTimesGrad) {
  Tensor p = param({1.0, -2.0, 3.0});
  p.set_grad(tensor({0.5, 1.0, -1.5}));
  SGD opt({p}, {.lr = 0.1});
  opt.step();
  expect_values(p, {0.95, -2.1, 3.15});
}

TEST(SGD, MomentumFirstStepUsesGradThenAccumulates) {
  for (bool fused : {true, false}) {
    Tensor p = param({1.0, 2.0});
    SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
    opt.set_fused(fused);
    p.set_grad(tensor({1.0, -1.0}));
    opt.step();  // buf = g (no dampening on the first step)
    expect_values(p, {0.9, 2.1});
    p.set_grad(tensor({1.0, -1.0}));
    opt.step();  // buf = 0.9 * 1 + 0.5 * 1 = 1.4
    expect_values(p, {0.76, 2.24});
    expect_values(opt.state(p)->tensors.at("momentum_buffer"), {1.4, -1.4});
  }
}

TEST(SGD, NesterovAndWeightDecay) {
  for (bool fused : {true, false}) {
    Tensor p = param({1.0});
    SGD opt({p}, {.lr = 0.1, .momentum = 0.5, .weight_decay = 0.1, .nesterov = true});
    opt.set_fused(fused);
    p.set_grad(tensor({1.0}));
    opt.step();  // d = 1 + 0.1 = 1.1; buf = 1.1; step = 1.1 + 0.5 * 1.1 = 1.65
    expect_values(p, {1.0 - 0.165});
  }
}

TEST(Adam, FirstStepMovesByLr) {
  // After one step m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps) ~ lr * sign(g).
  for (bool fused : {true, false}) {
    Tensor p = param({1.0, -1.0, 0.5});
    Adam opt({p}, {.lr = 0.01});
    opt.set_fused(fused);
    p.set_grad(tensor({3.0, -0.2, 1e-3}));
    opt.step();
    expect_values(p, {0.99, -0.99, 0.5 - 0.01 * 1e-3 / (1e-3 + 1e-8)});
    EXPECT_EQ(opt.state(p)->step, 1);
  }
}

TEST(AdamW, DecoupledDecayShrinksFirst) {
  Tensor p = param({2.0});
  AdamW opt({p}, {.lr = 0.1, .weight_decay = 0.5});
  p.set_grad(tensor({1.0}));
  opt.step();  // p = 2 * (1 - 0.05) - 0.1 * 1 / (1 + 1e-8)
  expect_values(p, {1.9 - 0.1});
}

TEST(RMSprop, FirstStep) {
  for (bool fused : {true, false}) {
    Tensor p = param({1.0});
    RMSprop opt({p}, {.lr = 0.01, .alpha = 0.9});
    opt.set_fused(fused);
    p.set_grad(tensor({2.0}));
    opt.step();  // sq = 0.1 * 4 = 0.4; p -= 0.01 * 2 / (sqrt(0.4) + 1e-8)
    expect_values(p, {1.0 - 0.02 / (std::sqrt(0.4) + 1e-8)});
  }
}

TEST(Optimizer, ParameterGroupsHaveTheirOwnOptions) {
  Tensor a = param({1.0}), b = param({1.0});
  SGD opt(std::vector<ParamGroup>{{{a}, {}}, {{b}, {{"lr", 1.0}}}}, {.lr = 0.1});
  ASSERT_EQ(opt.param_groups().size(), 2u);
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr(), 0.1);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].lr(), 1.0);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].get("momentum"), 0.0);
  a.set_grad(tensor({1.0}));
  b.set_grad(tensor({1.0}));
  opt.step();
  expect_values(a, {0.9});
  expect_values(b, {0.0});
  Tensor c = param({5.0});
  opt.add_param_group({c}, {{"lr", 0.5}, {"momentum", 0.9}});
  c.set_grad(tensor({2.0}));
  opt.step();
  expect_values(c, {4.0});
}

TEST(Optimizer, SkipsParametersWithoutGradAndZeroGrad) {
  Tensor a = param({1.0}), b = param({2.0});
  Adam opt({a, b});
  a.set_grad(tensor({1.0}));
  opt.step();
  expect_values(b, {2.0});
  EXPECT_EQ(opt.state(b), nullptr);
  ASSERT_NE(opt.state(a), nullptr);
  opt.zero_grad(false);
  ASSERT_TRUE(a.grad().defined());
  expect_values(a.grad(), {0.0});
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Optimizer, ErrorsNameTheOptionOrParameter) {
  Tensor a = param({1.0});
  EXPECT_THAT(error_of([&] { SGD({a}, {.lr = -1.0}); }), HasSubstr("[SGD] invalid lr -1"));
  EXPECT_THAT(error_of([&] { SGD({a}, {.lr = 0.1, .nesterov = true}); }), HasSubstr("nesterov"));
  EXPECT_THAT(error_of([&] { Adam({a}, {.beta1 = 1.0}); }), HasSubstr("[Adam] invalid beta1 1"));
  EXPECT_THAT(error_of([&] {
                SGD(std::vector<ParamGroup>{{{a}, {{"betas", 0.5}}}});
              }),
              HasSubstr("unknown option 'betas'"));
  EXPECT_THAT(error_of([&] { SGD({a, a}); }), HasSubstr("more than one parameter group"));
  EXPECT_THAT(error_of([&] { SGD(TensorList{}); }), HasSubstr("has no parameters"));
  Tensor nonleaf = mul(a, 2.0);
  EXPECT_THAT(error_of([&] { SGD({nonleaf}); }), HasSubstr("not a leaf"));
  EXPECT_THAT(error_of([&] { SGD({arange(3.0, TensorOptions(kInt64))}); }), HasSubstr("floating point"));
}

TEST(Optimizer, StateDictRoundTripContinuesIdentically) {
  auto make = [] { return std::vector<Tensor>{param({1.0, -1.0}), param({0.5})}; };
  auto grads = [](int k) { return std::vector<Tensor>{tensor({0.3 * k, -0.1}), tensor({0.2 - 0.05 * k})}; };
  auto ps = make();
  Adam a(std::vector<ParamGroup>{{{ps[0]}, {}}, {{ps[1]}, {{"lr", 0.05}, {"amsgrad", 1.0}}}});
  for (int k = 0; k < 3; ++k) {
    auto g = grads(k);
    ps[0].set_grad(g[0]);
    ps[1].set_grad(g[1]);
    a.step();
  }
  OptimizerState s = a.state_dict();
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.name, "Adam");
  EXPECT_DOUBLE_EQ(s.groups[1].at("lr"), 0.05);
  EXPECT_DOUBLE_EQ(s.groups[1].at("params"), 1.0);
  ASSERT_EQ(s.state.size(), 2u);
  EXPECT_DOUBLE_EQ(s.state[0].at("step").item(), 3.0);
  EXPECT_TRUE(s.state[1].count("max_exp_avg_sq"));
  // A fresh optimizer on copies of the parameters, loaded from the state, continues exactly alike.
  std::vector<Tensor> qs{ps[0].detach().clone().requires_grad_(), ps[1].detach().clone().requires_grad_()};
  Adam b(std::vector<ParamGroup>{{{qs[0]}, {}}, {{qs[1]}, {}}});
  b.load_state_dict(s);
  EXPECT_DOUBLE_EQ(b.param_groups()[1].lr(), 0.05);
  for (int k = 3; k < 6; ++k) {
    auto g = grads(k);
    for (int i = 0; i < 2; ++i) {
      ps[i].set_grad(g[i]);
      qs[i].set_grad(g[i].clone());
    }
    a.step();
    b.step();
  }
  for (int i = 0; i < 2; ++i) EXPECT_EQ(ps[i].to_vector<double>(), qs[i].to_vector<double>());
  // Mismatches are errors.
  SGD sgd({qs[0]});
  EXPECT_THAT(error_of([&] { sgd.load_state_dict(s); }), HasSubstr("state of a Adam"));
  Adam one({qs[0], qs[1]});
  EXPECT_THAT(error_of([&] { one.load_state_dict(s); }), HasSubstr("2 parameter groups"));
  OptimizerState bad = s;
  bad.state[0]["exp_avg"] = zeros({3});
  EXPECT_THAT(error_of([&] { b.load_state_dict(bad); }), HasSubstr("state 'exp_avg' of parameter 0 has shape (3,)"));
}

TEST(Optimizer, StepRunsWithoutGradAndIsNotRecorded) {
  Tensor p = param({1.0, 2.0});
  SGD opt({p}, {.lr = 0.5});
  Tensor loss = sum(mul(p, p));
  loss.backward();
  opt.step();  // grad mode is on here: step must use NoGradGuard itself
  expect_values(p, {0.0, 0.0});
  EXPECT_TRUE(p.is_leaf());
  EXPECT_TRUE(p.requires_grad());
}
