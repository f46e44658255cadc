// LR schedulers (hand-computed values, composition, state_dict, errors), gradient clipping and the L1 penalty.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "strata/optim/adam.h"
#include "strata/optim/clip_grad.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/optim/sgd.h"
#include "strata/strata.h"

using namespace strata;
using namespace strata::optim;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Tensor param() { return tensor({1.0, 2.0}).requires_grad_(); }

}  // namespace

TEST(LRScheduler, StepLRHalvesEveryThreeEpochs) {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  StepLR s(opt, 3, 0.5);
  std::vector<double> seen;
  for (int i = 0; i < 7; ++i) {
    seen.push_back(s.get_last_lr()[0]);
    s.step();
  }
  EXPECT_EQ(seen, (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.5, 0.25}));
  EXPECT_EQ(s.last_epoch(), 7);
}

TEST(LRScheduler, CosineFollowsTheClosedForm) {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.1});
  CosineAnnealingLR s(opt, 5, 0.01);
  for (int t = 0; t <= 20; ++t) {
    double want = 0.01 + 0.09 * (1 + std::cos(std::numbers::pi * t / 5)) / 2;
    EXPECT_NEAR(opt.param_groups()[0].lr(), want, 1e-12) << "epoch " << t;
    s.step();
  }
}

TEST(LRScheduler, LinearWarmupThenConstant) {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.4});
  LinearLR s(opt, 0.25, 1.0, 3);
  std::vector<double> want{0.1, 0.2, 0.3, 0.4, 0.4, 0.4};
  for (double w : want) {
    EXPECT_NEAR(s.get_last_lr()[0], w, 1e-12);
    s.step();
  }
}

TEST(LRScheduler, WarmupComposesWithCosineAsInPyTorch) {
  // Both schedulers scale the group's current lr; the cosine's amplitude uses the shared initial_lr.
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  LinearLR warm(opt, 0.5, 1.0, 2);
  CosineAnnealingLR cos(opt, 4);
  EXPECT_DOUBLE_EQ(cos.base_lrs()[0], 1.0);
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr(), 0.5);
  warm.step();
  cos.step();
  // LinearLR: 0.5 * (1 + 0.5 / (2 * 0.5)) = 0.75; cosine ratio (1 + cos(pi/4)) / 2.
  EXPECT_NEAR(opt.param_groups()[0].lr(), 0.75 * (1 + std::cos(std::numbers::pi / 4)) / 2, 1e-12);
}

TEST(LRScheduler, OneCycleCyclesLrAndMomentum) {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0, .momentum = 0.9});
  OneCycleLR s(opt, 1.0, {.total_steps = 10, .pct_start = 0.5});
  EXPECT_NEAR(opt.param_groups()[0].lr(), 1.0 / 25, 1e-12);
  EXPECT_NEAR(opt.param_groups()[0].get("momentum"), 0.95, 1e-12);
  for (int i = 0; i < 4; ++i) s.step();  // the peak is at step pct_start * total - 1 = 4
  EXPECT_NEAR(opt.param_groups()[0].lr(), 1.0, 1e-12);
  EXPECT_NEAR(opt.param_groups()[0].get("momentum"), 0.85, 1e-12);
  for (int i = 0; i < 5; ++i) s.step();
  EXPECT_NEAR(opt.param_groups()[0].lr(), 1.0 / 25 / 1e4, 1e-15);
  s.step();  // step 10 of 10 is allowed (PyTorch raises only beyond total_steps)
  EXPECT_THAT(error_of([&] { s.step(); }), HasSubstr("[OneCycleLR] tried to step 12 times; total_steps is 10"));
}

TEST(LRScheduler, ReduceLROnPlateauWaitsPatienceThenCoolsDown) {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  ReduceLROnPlateau s(opt, {.factor = 0.5, .patience = 1, .cooldown = 1, .min_lr = 0.2});
  // A flat metric: two bad epochs reduce (patience 1), the next one is ignored (cooldown), and the lr
  // stops at min_lr.
  std::vector<double> want{1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2};
  for (size_t i = 0; i < want.size(); ++i) {
    s.step(1.0);
    EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr(), want[i]) << "epoch " << i;
  }
  EXPECT_DOUBLE_EQ(s.get_last_lr()[0], 0.2);
}

TEST(LRScheduler, StateDictRestoresTheSchedule) {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  ExponentialLR s(opt, 0.5);
  s.step();
  s.step();
  SchedulerState st = s.state_dict();
  EXPECT_EQ(st.values.at("last_epoch"), 2.0);
  OptimizerState ost = opt.state_dict();
  EXPECT_DOUBLE_EQ(ost.groups[0].at("initial_lr"), 1.0);
  // Rebuild both and resume: the next rate continues the sequence.
  Tensor q = param();
  SGD opt2({q}, {.lr = 1.0});
  ExponentialLR s2(opt2, 0.5);
  opt2.load_state_dict(ost);
  s2.load_state_dict(st);
  s2.step();
  EXPECT_DOUBLE_EQ(opt2.param_groups()[0].lr(), 0.125);
  EXPECT_EQ(s2.last_epoch(), 3);
  StepLR other(opt2, 2);
  EXPECT_THAT(error_of([&] { other.load_state_dict(st); }), HasSubstr("state of a ExponentialLR"));

  ReduceLROnPlateau r(opt, {.patience = 0});
  r.step(1.0);
  r.step(2.0);
  SchedulerState rs = r.state_dict();
  ReduceLROnPlateau r2(opt2);
  r2.load_state_dict(rs);
  EXPECT_DOUBLE_EQ(r2.best(), 1.0);
  EXPECT_EQ(r2.last_epoch(), 2);
}

TEST(LRScheduler, ErrorsNameTheScheduler) {
  Tensor p = param();
  SGD opt({p});
  EXPECT_THAT(error_of([&] { StepLR(opt, 0); }), HasSubstr("[StepLR] step_size must be positive"));
  EXPECT_THAT(error_of([&] { CosineAnnealingLR(opt, 0); }), HasSubstr("[CosineAnnealingLR] T_max"));
  EXPECT_THAT(error_of([&] { LinearLR(opt, 1.5); }), HasSubstr("[LinearLR] start_factor"));
  EXPECT_THAT(error_of([&] { OneCycleLR(opt, 1.0, {}); }), HasSubstr("[OneCycleLR] total_steps"));
  EXPECT_THAT(error_of([&] {
                OneCycleLR(opt, std::vector<double>{1.0, 2.0}, {.total_steps = 5});
              }),
              HasSubstr("got 2 max_lr values for 1 parameter groups"));
  EXPECT_THAT(error_of([&] { ReduceLROnPlateau(opt, {.mode = "lowest"}); }), HasSubstr("mode must be"));
  EXPECT_THAT(error_of([&] { ReduceLROnPlateau(opt, {.factor = 1.0}); }), HasSubstr("factor must be < 1"));
  Tensor q = param();
  Adam adam({q});
  OneCycleLR ok(adam, 0.01, {.total_steps = 5});  // Adam cycles beta1
  EXPECT_NEAR(adam.param_groups()[0].get("beta1"), 0.95, 1e-12);
}

TEST(ClipGrad, NormScalesAllGradientsJointly) {
  Tensor a = param(), b = tensor({0.0}).requires_grad_(), c = param();
  a.set_grad(tensor({3.0, 0.0}));
  b.set_grad(tensor({4.0}));  // joint 2-norm 5; c has no gradient and is ignored
  double total = clip_grad_norm_({a, b, c}, 1.0);
  EXPECT_DOUBLE_EQ(total, 5.0);
  const double coef = 1.0 / (5.0 + 1e-6);
  EXPECT_NEAR(a.grad().at({0}), 3.0 * coef, 1e-6);
  EXPECT_NEAR(b.grad().at({0}), 4.0 * coef, 1e-6);
  EXPECT_FALSE(c.grad().defined());
  // Below the limit nothing changes; the norm is still returned.
  a.set_grad(tensor({0.3, -0.4}));
  EXPECT_NEAR(clip_grad_norm_({a}, 1.0), 0.5, 1e-7);
  EXPECT_NEAR(a.grad().at({1}), -0.4, 1e-7);
}

TEST(ClipGrad, InfAndOneNorms) {
  Tensor a = param(), b = param();
  a.set_grad(tensor({-6.0, 2.0}));
  b.set_grad(tensor({1.0, 3.0}));
  EXPECT_DOUBLE_EQ(clip_grad_norm_({a, b}, 3.0, kInfNorm), 6.0);
  EXPECT_NEAR(a.grad().at({0}), -3.0, 1e-5);
  EXPECT_NEAR(b.grad().at({1}), 1.5, 1e-5);
  a.set_grad(tensor({-1.0, 2.0}));
  b.set_grad(tensor({1.0, -4.0}));
  EXPECT_NEAR(clip_grad_norm_({a, b}, 100.0, 1.0), 8.0, 1e-6);
  EXPECT_EQ(clip_grad_norm_({param()}, 1.0), 0.0);  // no gradients at all
}

TEST(ClipGrad, NonFiniteAndErrors) {
  Tensor a = param();
  a.set_grad(tensor({std::nan(""), 1.0}));
  EXPECT_THAT(error_of([&] { clip_grad_norm_({a}, 1.0, 2.0, true); }), HasSubstr("error_if_nonfinite"));
  EXPECT_TRUE(std::isnan(clip_grad_norm_({a}, 1.0)));
  EXPECT_THAT(error_of([&] { clip_grad_norm_({a}, 1.0, 0.5); }), HasSubstr("[clip_grad_norm_] norm_type"));
  EXPECT_THAT(error_of([&] { clip_grad_value_({a}, -1.0); }), HasSubstr("[clip_grad_value_]"));
}

TEST(ClipGrad, ValueClampsEachElement) {
  Tensor a = param();
  a.set_grad(tensor({-3.0, 0.25}));
  clip_grad_value_({a}, 0.5);
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{-0.5, 0.25}));
}

TEST(L1Penalty, SumsAbsoluteValuesAndIsDifferentiable) {
  Tensor a = tensor({-1.5, 2.0}).requires_grad_(), b = tensor({{0.5, -0.25}}).requires_grad_();
  Tensor pen = l1_penalty({a, b});
  EXPECT_NEAR(pen.item(), 4.25, 1e-6);
  mul(pen, 0.1).backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{-0.1f, 0.1f}));
  EXPECT_NEAR(b.grad().at({0, 1}), -0.1, 1e-7);
  EXPECT_EQ(l1_penalty({}).item(), 0.0);
}
