// diag::lr_find: the exponential sweep, the suggestion on a problem with a known good learning rate, the early
// stop on divergence, and the exact restore of model and optimizer (also after an exception).
#include "strata/diag/lr_find.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/losses.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/linalg.h"
#include "strata/optim/optim.h"

using namespace strata;

namespace {

// Linear regression y = x w + 0.3 on standard-normal features: full-batch gradient descent on the MSE has
// Hessian 2 E[[x 1][x 1]^T] ~ 2 I, so lr = 1/lambda ~ 0.5 converges in about one step and lr > ~1 diverges.
struct Regression {
  Tensor x, y;
  std::shared_ptr<nn::Linear> model;
  nn::MSELoss mse;

  Regression() {
    Generator g(3);
    x = randn({256, 4}, {}, &g);
    y = add(matmul(x, tensor({1.5, -2.0, 0.5, 1.0}).reshape({4, 1})), 0.3);
    model = std::make_shared<nn::Linear>(4, 1, true, kFloat32, &g);
  }
  double step(optim::Optimizer& opt) {
    opt.zero_grad();
    Tensor l = mse(model->forward(x), y);
    const double v = l.item();
    l.backward();
    opt.step();
    return v;
  }
};

std::vector<optim::ParamGroup> two_groups(const nn::Linear& m, double lr0, double lr1) {
  return {optim::ParamGroup{{m.weight}, {{"lr", lr0}}}, optim::ParamGroup{{m.bias}, {{"lr", lr1}}}};
}

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

void expect_bit_equal(const nn::StateDict& a, const nn::StateDict& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, t] : a) EXPECT_EQ(values(t), values(b.at(k))) << k;
}

nn::StateDict copy(const nn::StateDict& s) {
  nn::StateDict out;
  for (const auto& [k, t] : s) out.insert(k, t.clone());
  return out;
}

void expect_same_optimizer_state(const optim::OptimizerState& a, const optim::OptimizerState& b) {
  EXPECT_EQ(a.groups, b.groups);  // options, lr included, compared exactly
  ASSERT_EQ(a.state.size(), b.state.size());
  for (size_t i = 0; i < a.state.size(); ++i) {
    ASSERT_EQ(a.state[i].size(), b.state[i].size()) << i;
    for (const auto& [k, t] : a.state[i]) EXPECT_EQ(values(t), values(b.state[i].at(k))) << i << " " << k;
  }
}

}  // namespace

TEST(LRFind, SuggestsAKnownGoodRateAndStopsOnDivergence) {
  Regression p;
  optim::SGD opt(p.model->parameters(), {.lr = 0.01});
  diag::LRFindOptions o;
  o.min_lr = 1e-5;
  o.max_lr = 100;
  const diag::LRFindResult r = diag::lr_find(
      *p.model, opt, [&] { return p.step(opt); }, o);
  EXPECT_TRUE(r.diverged);
  EXPECT_LT(r.steps_run, o.num_steps);
  EXPECT_EQ(static_cast<int64_t>(r.lrs.size()), r.steps_run);
  EXPECT_EQ(r.losses.size(), r.lrs.size());
  EXPECT_EQ(r.smoothed.size(), r.lrs.size());
  EXPECT_GT(r.lrs.back(), 1.0);  // GD on this problem diverges above lr ~ 1
  // Within an order of magnitude of the good rate 0.5.
  EXPECT_GT(r.suggested_lr, 0.05) << r.reason;
  EXPECT_LT(r.suggested_lr, 5.0) << r.reason;
  EXPECT_NE(r.reason.find("steepest"), std::string::npos) << r.reason;
  EXPECT_GT(r.min_loss_lr, r.suggested_lr);
}

TEST(LRFind, ExponentialScheduleOnEveryGroup) {
  Regression p;
  optim::SGD opt(two_groups(*p.model, 0.1, 0.2));
  std::vector<double> seen;
  diag::LRFindOptions o;
  o.min_lr = 1e-4;
  o.max_lr = 1e-1;
  o.num_steps = 4;
  const auto r = diag::lr_find(
      *p.model, opt,
      [&] {
        EXPECT_EQ(opt.param_groups()[0].lr(), opt.param_groups()[1].lr());
        seen.push_back(opt.param_groups()[0].lr());
        return 1.0 + 0.01 * static_cast<double>(seen.size());  // a rising loss: the suggestion falls back
      },
      o);
  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(seen[i], std::pow(10.0, -4.0 + static_cast<double>(i)), 1e-15) << i;
  EXPECT_EQ(r.lrs, seen);
  EXPECT_FALSE(r.diverged);
  // Bias correction: the first smoothed value is the first loss, the next ones lag behind the rise.
  EXPECT_DOUBLE_EQ(r.smoothed[0], 1.01);
  EXPECT_GT(r.smoothed[1], 1.01);
  EXPECT_LT(r.smoothed[1], 1.02);
  EXPECT_EQ(r.min_loss_lr, 1e-4);
  EXPECT_DOUBLE_EQ(r.suggested_lr, 1e-5);
  EXPECT_NE(r.reason.find("fell back"), std::string::npos) << r.reason;
  // The groups' own rates are back.
  EXPECT_EQ(opt.param_groups()[0].lr(), 0.1);
  EXPECT_EQ(opt.param_groups()[1].lr(), 0.2);
}

TEST(LRFind, RestoresModelAndOptimizerExactly) {
  Regression p;
  optim::Adam opt(two_groups(*p.model, 0.01, 0.001));
  p.step(opt);
  p.step(opt);  // the optimizer has state (exp_avg, exp_avg_sq, step) now
  const nn::StateDict weights = copy(p.model->state_dict());
  const optim::OptimizerState state = opt.state_dict();
  p.model->eval();
  diag::LRFindOptions o;
  o.num_steps = 30;
  o.max_lr = 1.0;
  const auto r = diag::lr_find(
      *p.model, opt, [&] { return p.step(opt); }, o);
  EXPECT_EQ(r.steps_run, 30);
  expect_bit_equal(p.model->state_dict(), weights);
  expect_same_optimizer_state(opt.state_dict(), state);
  EXPECT_FALSE(p.model->is_training());
  EXPECT_FALSE(p.model->weight.grad().defined());
  // The next step is the step that would have come without the sweep.
  Regression q;
  optim::Adam opt2(two_groups(*q.model, 0.01, 0.001));
  q.step(opt2);
  q.step(opt2);
  EXPECT_EQ(p.step(opt), q.step(opt2));
  expect_bit_equal(p.model->state_dict(), q.model->state_dict());

  // A fresh SGD with momentum: no state before, none after.
  Regression s;
  optim::SGD sgd(s.model->parameters(), {.lr = 0.01, .momentum = 0.9});
  const nn::StateDict before = copy(s.model->state_dict());
  o.num_steps = 5;
  diag::lr_find(
      *s.model, sgd, [&] { return s.step(sgd); }, o);
  expect_bit_equal(s.model->state_dict(), before);
  EXPECT_EQ(sgd.state(s.model->weight), nullptr);
  EXPECT_EQ(sgd.param_groups()[0].lr(), 0.01);
}

TEST(LRFind, RestoresAfterAnException) {
  Regression p;
  optim::SGD opt(p.model->parameters(), {.lr = 0.01, .momentum = 0.9});
  const nn::StateDict weights = copy(p.model->state_dict());
  int calls = 0;
  EXPECT_THROW(diag::lr_find(*p.model, opt,
                             [&] {
                               if (++calls == 5) throw Error("boom");
                               return p.step(opt);
                             }),
               Error);
  EXPECT_EQ(calls, 5);
  expect_bit_equal(p.model->state_dict(), weights);
  EXPECT_EQ(opt.state(p.model->weight), nullptr);
  EXPECT_EQ(opt.param_groups()[0].lr(), 0.01);
}

TEST(LRFind, StopsOnANonFiniteLossAndWritesNull) {
  Regression p;
  optim::SGD opt(p.model->parameters());
  int calls = 0;
  const auto r = diag::lr_find(
      *p.model, opt, [&] { return ++calls == 4 ? std::numeric_limits<double>::quiet_NaN() : 2.0 - 0.1 * calls; });
  EXPECT_TRUE(r.diverged);
  EXPECT_EQ(r.steps_run, 4);
  EXPECT_TRUE(std::isnan(r.smoothed.back()));
  const io::Json j = diag::to_json(r);
  EXPECT_TRUE(j.at("loss").elements().back().is_null());
  EXPECT_TRUE(j.at("smoothed").elements().back().is_null());
  EXPECT_EQ(j.at("lr").size(), 4u);
  EXPECT_TRUE(j.at("diverged").as_bool());
  EXPECT_EQ(j.at("min_loss_lr").as_double(), r.min_loss_lr);
  EXPECT_EQ(j.at("reason").as_string(), r.reason);
  // Writing never fails on the NaN.
  EXPECT_NE(j.dump().find("null"), std::string::npos);
}

TEST(LRFind, RejectsBadOptions) {
  Regression p;
  optim::SGD opt(p.model->parameters());
  auto f = [&] { return 1.0; };
  diag::LRFindOptions o;
  o.min_lr = 0;
  EXPECT_THROW(diag::lr_find(*p.model, opt, f, o), Error);
  o = {};
  o.max_lr = o.min_lr;
  EXPECT_THROW(diag::lr_find(*p.model, opt, f, o), Error);
  o = {};
  o.num_steps = 1;
  EXPECT_THROW(diag::lr_find(*p.model, opt, f, o), Error);
  o = {};
  o.smoothing = 1;
  EXPECT_THROW(diag::lr_find(*p.model, opt, f, o), Error);
}

TEST(LRFind, FlatLossFallsBack) {
  Regression p;
  optim::SGD opt(p.model->parameters());
  diag::LRFindOptions o;
  o.num_steps = 30;
  const auto r = diag::lr_find(
      *p.model, opt, [] { return 0.7; }, o);
  EXPECT_FALSE(r.diverged);
  for (double v : r.smoothed) EXPECT_NEAR(v, 0.7, 1e-12);
  EXPECT_NE(r.reason.find("fell back"), std::string::npos) << r.reason;
  EXPECT_DOUBLE_EQ(r.suggested_lr, r.min_loss_lr / 10);
}
