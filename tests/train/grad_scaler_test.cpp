// train::GradScaler (dynamic loss scaling in the training step) and train::Precision (autocast in the step).
#include "strata/train/grad_scaler.h"

#include <gtest/gtest.h>

#include <cmath>

#include "strata/autograd/autocast.h"
#include "strata/train/precision.h"
#include "train_test_util.h"

namespace strata::train {
namespace {

using testing::make_linear;
using testing::max_abs_diff;
using testing::snapshot;

// sum(model(x) * z): with |z| = 1e35 the float32 gradients are finite unscaled and overflow to inf when the
// loss is scaled by 2^16 (the fp16 overflow case, in float32).
struct Problem {
  Tensor x, z;
  explicit Problem(double z_scale, DType dtype = kFloat32, uint64_t seed = 3) {
    Generator gen(seed);
    x = randn({4, 3}, dtype, &gen);
    z = randn({4, 2}, dtype, &gen).mul_(z_scale);
  }
  LossFn loss(nn::Linear& m) const {
    return [this, &m] { return (m(x) * z).sum(); };
  }
};

// Records the gradients and the state's grad_scale as the callbacks after the scaler see them.
struct GradSpy : Callback {
  std::vector<Tensor> grads;
  double grad_scale = -1;
  void on_after_backward(TrainState& s) override {
    grads.clear();
    for (const Tensor& p : s.model->parameters()) grads.push_back(p.grad().clone());
    grad_scale = s.grad_scale;
  }
};

TEST(GradScaler, PyTorchDefaults) {
  GradScaler s;
  EXPECT_EQ(s.scale(), 65536.0);
  EXPECT_EQ(s.options().growth_factor, 2.0);
  EXPECT_EQ(s.options().backoff_factor, 0.5);
  EXPECT_EQ(s.options().growth_interval, 2000);
  EXPECT_TRUE(s.enabled());
  EXPECT_EQ(GradScaler({.enabled = false}).scale(), 1.0);
  EXPECT_THROW(GradScaler({.growth_factor = 1.0}), Error);
  EXPECT_THROW(GradScaler({.backoff_factor = 1.0}), Error);
  EXPECT_THROW(GradScaler({.growth_interval = 0}), Error);
  EXPECT_THROW(GradScaler({.init_scale = 0}), Error);
}

TEST(GradScaler, GrowsAfterGrowthIntervalCleanSteps) {
  Problem pb(1.0);
  auto m = make_linear(3, 2, 1, kFloat32);
  optim::SGD opt(m->parameters(), {.lr = 0.0});
  auto scaler = std::make_shared<GradScaler>(GradScalerOptions{.init_scale = 8.0, .growth_interval = 3});
  Stepper st(*m, opt, {.grad_scaler = scaler});
  EXPECT_EQ(st.state().loss_scale, 8.0);
  std::vector<double> scales;
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(st(pb.loss(*m)).stepped);
    scales.push_back(st.state().loss_scale);
  }
  EXPECT_EQ(scales, (std::vector<double>{8, 8, 16, 16, 16, 32, 32}));
  EXPECT_EQ(scaler->scale(), 32.0);
  EXPECT_EQ(scaler->growth_count(), 2);
  EXPECT_EQ(scaler->growth_tracker(), 1);
  EXPECT_EQ(scaler->skipped_steps(), 0);
  EXPECT_EQ(st.state().skipped_steps, 0);
}

TEST(GradScaler, BacksOffAndSkipsTheUpdateOnInfGradients) {
  Problem clean(1.0), overflow(1e35);
  auto m = make_linear(3, 2, 1, kFloat32);
  optim::Adam opt(m->parameters(), {.lr = 0.1});
  auto scaler = std::make_shared<GradScaler>(GradScalerOptions{.growth_interval = 2});
  Stepper st(*m, opt, {.grad_scaler = scaler});
  ASSERT_TRUE(st(clean.loss(*m)).stepped);  // creates Adam's state
  const std::vector<Tensor> w = snapshot(*m);
  const optim::OptimizerState before = opt.state_dict();

  const StepResult r = st(overflow.loss(*m));
  EXPECT_FALSE(r.stepped);
  EXPECT_TRUE(scaler->found_inf());
  EXPECT_EQ(scaler->scale(), 32768.0);
  EXPECT_EQ(st.state().loss_scale, 32768.0);
  EXPECT_EQ(scaler->skipped_steps(), 1);
  EXPECT_EQ(scaler->growth_tracker(), 0);  // the clean step before no longer counts toward growth
  EXPECT_EQ(st.state().skipped_steps, 1);
  EXPECT_EQ(st.state().global_step, 2);
  const std::vector<Tensor> after = snapshot(*m);
  for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(max_abs_diff(w[i], after[i]), 0.0);
  const optim::OptimizerState now = opt.state_dict();
  ASSERT_EQ(now.state.size(), before.state.size());
  for (size_t i = 0; i < now.state.size(); ++i) {
    ASSERT_EQ(now.state[i].size(), before.state[i].size());
    for (const auto& [k, t] : before.state[i]) EXPECT_EQ(max_abs_diff(t, now.state[i].at(k)), 0.0) << k;
  }
  // The overflow gone, updates resume at the lower scale.
  EXPECT_TRUE(st(clean.loss(*m)).stepped);
  EXPECT_FALSE(scaler->found_inf());
  EXPECT_EQ(scaler->consecutive_skipped(), 0);
}

TEST(GradScaler, UnscaledGradientsEqualTheUnscaledRun) {
  Problem pb(1.0, kFloat64);
  auto a = make_linear(3, 2, 5), b = make_linear(3, 2, 5);
  optim::SGD oa(a->parameters(), {.lr = 0.1}), ob(b->parameters(), {.lr = 0.1});
  auto spy_a = std::make_shared<GradSpy>(), spy_b = std::make_shared<GradSpy>();
  auto scaler = std::make_shared<GradScaler>(GradScalerOptions{.init_scale = 1000.0});
  Stepper sa(*a, oa, {.clip_grad_norm = 0.5, .callbacks = {spy_a}, .grad_scaler = scaler});
  Stepper sb(*b, ob, {.clip_grad_norm = 0.5, .callbacks = {spy_b}});
  for (int i = 0; i < 3; ++i) {
    const StepResult ra = sa(pb.loss(*a)), rb = sb(pb.loss(*b));
    EXPECT_EQ(spy_a->grad_scale, 1.0);
    ASSERT_EQ(spy_a->grads.size(), spy_b->grads.size());
    for (size_t k = 0; k < spy_a->grads.size(); ++k) EXPECT_LT(max_abs_diff(spy_a->grads[k], spy_b->grads[k]), 1e-12);
    ASSERT_TRUE(ra.grad_norm && rb.grad_norm);
    EXPECT_NEAR(*ra.grad_norm, *rb.grad_norm, 1e-12);  // clipping sees unscaled gradients
    EXPECT_LT(max_abs_diff(a->weight, b->weight), 1e-12);
  }
}

TEST(GradScaler, AccumulationKeepsTheScaleWithinAGroup) {
  Problem p1(1.0, kFloat64, 1), p2(1.0, kFloat64, 2), p3(1.0, kFloat64, 3);
  auto a = make_linear(3, 2, 5), b = make_linear(3, 2, 5);
  optim::SGD oa(a->parameters(), {.lr = 0.1}), ob(b->parameters(), {.lr = 0.1});
  auto spy_a = std::make_shared<GradSpy>(), spy_b = std::make_shared<GradSpy>();
  // growth_interval 1: the scale doubles after every step, never inside a group.
  auto scaler = std::make_shared<GradScaler>(GradScalerOptions{.init_scale = 4.0, .growth_interval = 1});
  Stepper sa(*a, oa, {.callbacks = {spy_a}, .grad_scaler = scaler});
  Stepper sb(*b, ob, {.callbacks = {spy_b}});
  for (int step = 0; step < 2; ++step) {
    std::vector<double> seen;
    for (const Problem* p : {&p1, &p2, &p3}) {
      sa.accumulate(
          [&] {
            seen.push_back(sa.state().loss_scale);
            return p->loss(*a)();
          },
          3);
      sb.accumulate(p->loss(*b), 3);
    }
    EXPECT_EQ(seen, std::vector<double>(3, 4.0 * std::pow(2.0, step)));
    sa.step();
    sb.step();
    for (size_t k = 0; k < spy_a->grads.size(); ++k) EXPECT_LT(max_abs_diff(spy_a->grads[k], spy_b->grads[k]), 1e-12);
  }
  EXPECT_EQ(scaler->scale(), 16.0);
}

TEST(GradScaler, SharedByTwoSteppersOfOneState) {
  // A GAN's layout: two optimizers, one TrainState, one scaler. The first stepper overflows and skips; the
  // second steps at the halved scale with correctly unscaled gradients.
  Problem clean(1.0), overflow(1e35);
  auto m1 = make_linear(3, 2, 1, kFloat32), m2 = make_linear(3, 2, 2, kFloat32), ref = make_linear(3, 2, 2, kFloat32);
  optim::SGD o1(m1->parameters(), {.lr = 0.1}), o2(m2->parameters(), {.lr = 0.1}), oref(ref->parameters(), {.lr = 0.1});
  TrainState state;
  state.model = m1.get();
  state.optimizer = &o1;
  auto scaler = std::make_shared<GradScaler>();
  StepOptions so{.grad_scaler = scaler};
  Stepper s1(state, o1, so), s2(state, o2, so);
  const std::vector<Tensor> w1 = snapshot(*m1);
  EXPECT_FALSE(s1(overflow.loss(*m1)).stepped);
  EXPECT_EQ(state.loss_scale, 32768.0);
  EXPECT_TRUE(s2(clean.loss(*m2)).stepped);
  step(*ref, oref, clean.loss(*ref));
  EXPECT_LT(max_abs_diff(m2->weight, ref->weight), 1e-6);
  EXPECT_EQ(max_abs_diff(m1->weight, w1[0]), 0.0);
  EXPECT_EQ(state.skipped_steps, 1);
  EXPECT_EQ(state.global_step, 2);
  EXPECT_EQ(scaler->skipped_steps(), 1);
  EXPECT_EQ(scaler->growth_tracker(), 1);
}

TEST(GradScaler, StateDictRoundTrip) {
  Problem overflow(1e35);
  auto m = make_linear(3, 2, 1, kFloat32);
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  auto scaler = std::make_shared<GradScaler>(GradScalerOptions{.growth_interval = 7});
  Stepper st(*m, opt, {.grad_scaler = scaler});
  st(overflow.loss(*m));
  const io::Json j = scaler->state_dict();
  EXPECT_EQ(j.at("scale").as_double(), 32768.0);
  EXPECT_EQ(j.at("growth_interval").as_int(), 7);
  EXPECT_EQ(j.at("_growth_tracker").as_int(), 0);
  EXPECT_EQ(j.at("skipped_steps").as_int(), 1);
  GradScaler restored;
  restored.load_state_dict(io::parse_json(j.dump()));
  EXPECT_EQ(restored.scale(), 32768.0);
  EXPECT_EQ(restored.options().growth_interval, 7);
  EXPECT_EQ(restored.skipped_steps(), 1);
  io::Json bad = j;
  bad.set("scale", "big");
  EXPECT_THROW(restored.load_state_dict(bad), Error);
  EXPECT_THROW(restored.load_state_dict(io::Json::object()), Error);
}

TEST(GradScaler, DisabledLeavesGradientsAlone) {
  Problem overflow(1e35);
  auto m = make_linear(3, 2, 1, kFloat32);
  optim::SGD opt(m->parameters(), {.lr = 0.0});
  auto scaler = std::make_shared<GradScaler>(GradScalerOptions{.enabled = false});
  Stepper st(*m, opt, {.grad_scaler = scaler});
  EXPECT_TRUE(st(overflow.loss(*m)).stepped);  // unscaled, the gradients are finite
  EXPECT_EQ(st.state().loss_scale, 1.0);
  EXPECT_EQ(scaler->skipped_steps(), 0);
}

TEST(Precision, ParseAndName) {
  EXPECT_EQ(parse_precision("fp32"), Precision::FP32);
  EXPECT_EQ(parse_precision("bf16"), Precision::BF16);
  EXPECT_EQ(parse_precision("fp16"), Precision::FP16);
  for (Precision p : {Precision::FP32, Precision::BF16, Precision::FP16})
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  EXPECT_EQ(autocast_dtype(Precision::BF16), kBFloat16);
  EXPECT_EQ(autocast_dtype(Precision::FP16), kFloat16);
  EXPECT_THROW(autocast_dtype(Precision::FP32), Error);
  try {
    parse_precision("float8", "--precision");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--precision"), std::string::npos) << msg;
    EXPECT_NE(msg.find("float8"), std::string::npos) << msg;
    EXPECT_NE(msg.find("\"bf16\""), std::string::npos) << msg;
  }
}

TEST(Precision, StepperRunsTheLossUnderAutocast) {
  Problem pb(1.0);
  auto m = make_linear(3, 2, 1, kFloat32);
  optim::SGD opt(m->parameters(), {.lr = 0.0});
  struct Case {
    Precision p;
    bool loss_scaling;
    bool has_scaler;
  };
  for (const Case c : {Case{Precision::FP32, true, false}, Case{Precision::BF16, true, false},
                       Case{Precision::FP16, true, true}, Case{Precision::FP16, false, false}}) {
    Stepper st(*m, opt, {.precision = c.p, .loss_scaling = c.loss_scaling});
    EXPECT_EQ(st.grad_scaler() != nullptr, c.has_scaler) << precision_name(c.p);
    bool enabled = false;
    DType dtype = kFloat32;
    st([&] {
      enabled = autocast::is_enabled();
      dtype = autocast::dtype();
      return pb.loss(*m)();
    });
    EXPECT_EQ(enabled, c.p != Precision::FP32) << precision_name(c.p);
    if (enabled) {
      EXPECT_EQ(dtype, autocast_dtype(c.p));
    }
    EXPECT_FALSE(autocast::is_enabled());  // backward and the callbacks run outside the guard
    if (c.has_scaler) {                    // 2^16, halved once per step float16 overflowed at that scale
      EXPECT_EQ(st.state().loss_scale, 65536.0 * std::pow(0.5, static_cast<double>(st.grad_scaler()->skipped_steps())));
    }
  }
}

TEST(Precision, FitInstallsOneScalerForFp16AndReportsIt) {
  auto ds = testing::make_blobs(64, 1);
  data::DataLoaderOptions lo;
  lo.batch_size = 16;
  data::DataLoader loader(ds, lo);
  auto m = make_linear(2, 3, 1, kFloat32);
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  FitOptions o;
  o.epochs = 2;
  o.precision = Precision::FP16;
  History h = fit(*m, nn::CrossEntropyLoss(), opt, loader, o);
  EXPECT_EQ(h.global_step, 8);
  // 8 steps: no growth (interval 2000); every skip (an fp16 overflow, once the ops run in fp16) halves it.
  EXPECT_EQ(h.loss_scale, 65536.0 * std::pow(0.5, static_cast<double>(h.skipped_steps)));
  EXPECT_LE(h.skipped_steps, 2);
  // A caller's scaler is used, and its counters stay readable.
  auto scaler = std::make_shared<GradScaler>(GradScalerOptions{.init_scale = 2.0, .growth_interval = 2});
  o.grad_scaler = scaler;
  h = fit(*m, nn::CrossEntropyLoss(), opt, loader, o);
  EXPECT_EQ(scaler->growth_count(), 4);
  EXPECT_EQ(h.loss_scale, 32.0);
  EXPECT_EQ(scaler->scale(), 32.0);
}

}  // namespace
}  // namespace strata::train
