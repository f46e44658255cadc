// train::Stepper / train::step: the one training step, its callback points, clipping, accumulation and
// skipped updates.
#include <gtest/gtest.h>

#include "train_test_util.h"

namespace strata::train {
namespace {

using testing::make_linear;
using testing::max_abs_diff;

struct Recorder : Callback {
  std::vector<std::string> events;
  std::vector<double> norms_seen;
  bool skip = false;
  void on_after_backward(TrainState& s) override {
    events.push_back("after_backward");
    double sq = 0;
    for (const Tensor& p : s.model->parameters()) {
      if (p.grad().defined()) sq += p.grad().pow(2.0).sum().item();
    }
    norms_seen.push_back(std::sqrt(sq));
    if (skip) s.skip_step = true;
  }
  void on_before_step(TrainState& s) override {
    events.push_back("before_step");
    double sq = 0;
    for (const Tensor& p : s.model->parameters()) {
      if (p.grad().defined()) sq += p.grad().pow(2.0).sum().item();
    }
    norms_seen.push_back(std::sqrt(sq));
  }
};

TEST(Step, MatchesAHandWrittenStep) {
  Generator gen(1);
  Tensor x = randn({8, 4}, kFloat64, &gen), y = randn({8, 3}, kFloat64, &gen);
  auto a = make_linear(4, 3, 7), b = make_linear(4, 3, 7);
  optim::SGD oa(a->parameters(), {.lr = 0.1, .momentum = 0.9}), ob(b->parameters(), {.lr = 0.1, .momentum = 0.9});
  Stepper stepper(*a, oa);
  for (int i = 0; i < 3; ++i) {
    StepResult r = stepper([&] { return nn::functional::mse_loss((*a)(x), y); });
    ob.zero_grad();
    Tensor l = nn::functional::mse_loss(b->forward(x), y);
    l.backward();
    ob.step();
    EXPECT_EQ(r.loss, l.item());
    EXPECT_TRUE(r.stepped);
  }
  EXPECT_EQ(max_abs_diff(a->weight, b->weight), 0.0);
  EXPECT_EQ(stepper.state().global_step, 3);
}

TEST(Step, CallbacksRunBetweenBackwardAndUpdateAroundClipping) {
  Generator gen(2);
  Tensor x = randn({8, 4}, kFloat64, &gen).mul_(10.0), y = randn({8, 3}, kFloat64, &gen);
  auto m = make_linear(4, 3, 3);
  optim::SGD opt(m->parameters(), {.lr = 0.01});
  auto rec = std::make_shared<Recorder>();
  Stepper stepper(*m, opt, {.clip_grad_norm = 0.5, .callbacks = {rec}});
  StepResult r = stepper([&] { return nn::functional::mse_loss((*m)(x), y); });
  EXPECT_EQ(rec->events, (std::vector<std::string>{"after_backward", "before_step"}));
  ASSERT_TRUE(r.grad_norm.has_value());
  EXPECT_NEAR(rec->norms_seen[0], *r.grad_norm, 1e-9);  // before clipping
  EXPECT_GT(rec->norms_seen[0], 0.5);
  EXPECT_NEAR(rec->norms_seen[1], 0.5, 1e-6);  // after clipping
}

TEST(Step, SkipStepLeavesWeightsUnchanged) {
  Generator gen(4);
  Tensor x = randn({8, 4}, kFloat64, &gen), y = randn({8, 3}, kFloat64, &gen);
  auto m = make_linear(4, 3, 5);
  const Tensor w0 = m->weight.detach().clone();
  optim::Adam opt(m->parameters(), {.lr = 0.1});
  auto rec = std::make_shared<Recorder>();
  rec->skip = true;
  Stepper stepper(*m, opt, {.callbacks = {rec}});
  StepResult r = stepper([&] { return nn::functional::mse_loss((*m)(x), y); });
  EXPECT_FALSE(r.stepped);
  EXPECT_EQ(max_abs_diff(m->weight, w0), 0.0);
  EXPECT_EQ(rec->events, (std::vector<std::string>{"after_backward"}));
}

TEST(Step, AccumulationEqualsOneLargeBatch) {
  Generator gen(6);
  Tensor x = randn({8, 4}, kFloat64, &gen), y = randn({8, 3}, kFloat64, &gen);
  auto a = make_linear(4, 3, 9), b = make_linear(4, 3, 9);
  optim::SGD oa(a->parameters(), {.lr = 0.1}), ob(b->parameters(), {.lr = 0.1});
  Stepper sa(*a, oa), sb(*b, ob);
  for (int64_t h = 0; h < 2; ++h) {
    sa.accumulate([&] { return nn::functional::mse_loss((*a)(x.narrow(0, 4 * h, 4)), y.narrow(0, 4 * h, 4)); }, 2);
  }
  sa.step();
  sb([&] { return nn::functional::mse_loss((*b)(x), y); });
  EXPECT_LT(max_abs_diff(a->weight, b->weight), 1e-15);
}

TEST(Step, LossScaleScalesTheGradients) {
  Generator gen(8);
  Tensor x = randn({4, 4}, kFloat64, &gen), y = randn({4, 3}, kFloat64, &gen);
  auto m = make_linear(4, 3, 11);
  optim::SGD opt(m->parameters(), {.lr = 0.0});
  Stepper s(*m, opt);
  s([&] { return nn::functional::mse_loss((*m)(x), y); });
  const Tensor g1 = m->weight.grad().clone();
  s.state().loss_scale = 1024.0;
  s([&] { return nn::functional::mse_loss((*m)(x), y); });
  EXPECT_LT(max_abs_diff(m->weight.grad(), g1 * 1024.0), 1e-9);
}

TEST(Step, Errors) {
  auto m = make_linear(4, 3, 1);
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  Stepper s(*m, opt);
  EXPECT_THROW(s.step(), Error);                                          // nothing accumulated
  EXPECT_THROW(s([&] { return (*m)(randn({2, 4}, kFloat64)); }), Error);  // not a scalar
  EXPECT_THROW(Stepper(*m, opt, {.clip_grad_norm = -1.0}), Error);
  EXPECT_THROW(step(*m, opt, [] { return Tensor(); }), Error);
}

}  // namespace
}  // namespace strata::train
