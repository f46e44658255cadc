// Mixed-precision diagnostics: the fp16 flush counts, the loss-scaling rules (fp16_overflow, skipped_steps) and
// summary line, and the monitor's record of the scale and skipped steps in a run with a GradScaler.
#include "strata/diag/precision.h"

#include <gtest/gtest.h>

#include "strata/diag/doctor.h"
#include "strata/strata.h"
#include "strata/train/grad_scaler.h"

namespace strata::diag {
namespace {

// A record of `n` steps with the given scale after each step and cumulative skipped counts.
TrainingRecord scaled_record(const std::vector<double>& scale, const std::vector<int64_t>& skipped) {
  TrainingRecord r;
  for (size_t i = 0; i < scale.size(); ++i) {
    r.steps.push_back(static_cast<int64_t>(i) + 1);
    r.loss.push_back(1.0 / static_cast<double>(i + 1));
    r.lr.push_back(0.1);
  }
  r.loss_scale = scale;
  r.skipped = skipped;
  r.steps_run = static_cast<int64_t>(scale.size());
  return r;
}

bool has(const std::vector<Finding>& f, const std::string& id) {
  for (const Finding& x : f)
    if (x.id == id) return true;
  return false;
}

TEST(Fp16Flush, CountsHandMadeGradients) {
  nn::Sequential m({std::make_shared<nn::Linear>(2, 2), std::make_shared<nn::Linear>(2, 1)});
  auto params = m.named_parameters();
  ASSERT_EQ(params.size(), 4u);
  // 0.weight: one entry below 2^-24 (flushed), one between 2^-24 and 2^-14 (subnormal), one normal, one zero.
  params[0].second.set_grad(from_vector<float>({1e-8f, 1e-6f, 0.5f, 0.0f}, {2, 2}));
  params[1].second.set_grad(from_vector<float>({1e-9f, -1e-9f}, {2}));
  params[2].second.set_grad(from_vector<float>({1e-3f, -2e-5f}, {1, 2}));
  // 1.bias has no gradient: left out.
  const std::vector<FlushCount> p = fp16_flush_by_parameter(m);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "0.weight");
  EXPECT_EQ(p[0].numel, 4);
  EXPECT_EQ(p[0].nonzero, 3);
  EXPECT_EQ(p[0].flushed, 1);
  EXPECT_EQ(p[0].subnormal, 2);
  EXPECT_DOUBLE_EQ(p[0].flushed_fraction, 1.0 / 3.0);
  EXPECT_EQ(p[1].flushed, 2);  // both signs
  EXPECT_EQ(p[2].flushed, 0);
  EXPECT_EQ(p[2].subnormal, 1);
  const std::vector<FlushCount> l = fp16_flush_by_layer(m);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].name, "0");
  EXPECT_EQ(l[0].nonzero, 5);
  EXPECT_EQ(l[0].flushed, 3);
  EXPECT_DOUBLE_EQ(l[0].flushed_fraction, 0.6);
  EXPECT_EQ(l[1].name, "1");
  const FlushCount t = fp16_flush_total(l);
  EXPECT_EQ(t.nonzero, 7);
  EXPECT_EQ(t.flushed, 3);
  EXPECT_EQ(t.subnormal, 5);
  // Scaled by 2^16, as loss scaling does: nothing flushes, 1e-9 * 65536 = 6.6e-5 is even normal.
  const FlushCount s = fp16_flush_total(fp16_flush_by_layer(m, 65536.0));
  EXPECT_EQ(s.flushed, 0);
  EXPECT_EQ(s.subnormal, 0);
  EXPECT_EQ(to_json(l).size(), 2u);
  EXPECT_THROW(fp16_flush_by_parameter(m, 0.0), Error);
}

TEST(LossScaleRules, CollapseIsFp16Overflow) {
  // Clean start, then every step skipped from step 4 on: the scale halves 25 times.
  std::vector<double> scale;
  std::vector<int64_t> skipped;
  double s = 65536;
  for (int i = 0; i < 30; ++i) {
    if (i >= 3) s *= 0.5;
    scale.push_back(s);
    skipped.push_back(i >= 3 ? i - 2 : 0);
  }
  const std::vector<Finding> f = diagnose(scaled_record(scale, skipped), {});
  ASSERT_TRUE(has(f, "fp16_overflow")) << format_findings(f);
  EXPECT_FALSE(has(f, "skipped_steps"));
  for (const Finding& x : f) {
    if (x.id != "fp16_overflow") continue;
    EXPECT_EQ(x.severity, "error");
    EXPECT_EQ(x.step, 4);
    EXPECT_EQ(x.numbers.at("max_consecutive_skipped").as_int(), 27);
    EXPECT_NE(x.remedy.find("bf16"), std::string::npos);
  }
}

TEST(LossScaleRules, RepeatedSkipsWarnAndCalibrationStaysClean) {
  // Healthy fp16: 3 skips at the start while the scale calibrates, then 40 clean steps.
  std::vector<double> scale;
  std::vector<int64_t> skipped;
  for (int i = 0; i < 43; ++i) {
    scale.push_back(i < 3 ? 65536.0 / (2 << i) : 8192.0);
    skipped.push_back(std::min(i + 1, 3));
  }
  const TrainingRecord healthy = scaled_record(scale, skipped);
  const std::vector<Finding> none = diagnose(healthy, {});
  EXPECT_FALSE(has(none, "fp16_overflow") || has(none, "skipped_steps")) << format_findings(none);
  const std::string line = loss_scaling_summary(healthy);
  EXPECT_NE(line.find("8192 (2^13) at the end"), std::string::npos) << line;
  EXPECT_NE(line.find("3 of 43 steps skipped"), std::string::npos) << line;
  EXPECT_NE(healthy_summary(healthy).find("loss scaling:"), std::string::npos);

  // The same with a skip every 5th step later on: 20% of the steps lost.
  std::vector<int64_t> spiky = skipped;
  for (size_t i = 5; i < spiky.size(); ++i) spiky[i] = spiky[i - 1] + (i % 5 == 0 ? 1 : 0);
  const std::vector<Finding> f = diagnose(scaled_record(scale, spiky), {});
  EXPECT_TRUE(has(f, "skipped_steps")) << format_findings(f);
  EXPECT_FALSE(has(f, "fp16_overflow"));

  // Without loss scaling: no line, no finding.
  const TrainingRecord plain = scaled_record(std::vector<double>(10, 1.0), std::vector<int64_t>(10, 0));
  EXPECT_EQ(loss_scaling_summary(plain), "");
  EXPECT_FALSE(uses_loss_scaling(plain));
  EXPECT_FALSE(to_json(plain).at("steps").contains("loss_scale"));
}

TEST(LossScaleRules, MonitorRecordsScaleAndSkipsWithoutANonFiniteEvent) {
  // A run whose gradients overflow at scale 2^16 (float32, |target| 1e35): every step skips until the scale
  // is small enough; the doctor's monitor records the scale and the skips, and no non_finite event.
  Generator gen(1);
  auto m = std::make_shared<nn::Linear>(3, 2, true, kFloat32, &gen);
  Tensor x = randn({4, 3}, kFloat32, &gen), z = randn({4, 2}, kFloat32, &gen).mul_(1e35);
  optim::SGD opt(m->parameters(), {.lr = 0.0});
  DoctorOptions dopt;
  dopt.monitor.period = 1;
  dopt.out = nullptr;
  auto doctor = std::make_shared<Doctor>(dopt);
  auto scaler = std::make_shared<train::GradScaler>();
  train::TrainState st;
  st.model = m.get();
  st.optimizer = &opt;
  train::Stepper stepper(st, {.callbacks = {doctor}, .grad_scaler = scaler});
  doctor->on_train_begin(st);
  for (int i = 0; i < 12; ++i) {
    doctor->on_batch_begin(st);
    stepper([&] { return ((*m)(x)*z).sum(); });
    st.optimizer_stepped = true;
    doctor->on_batch_end(st, {{"batch_loss", 1.0}, {"lr", 0.0}});
  }
  doctor->on_train_end(st);
  const TrainingRecord& r = doctor->monitor().record();
  ASSERT_EQ(r.loss_scale.size(), 12u);
  EXPECT_GT(scaler->skipped_steps(), 0);
  EXPECT_LT(scaler->skipped_steps(), 12);
  EXPECT_EQ(r.skipped.back(), scaler->skipped_steps());
  EXPECT_EQ(r.loss_scale.back(), scaler->scale());
  EXPECT_FALSE(r.non_finite.has_value());
  EXPECT_TRUE(to_json(r).at("steps").contains("loss_scale"));
  // The gradient norms the monitor recorded are unscaled (finite, the size of the float32 gradients).
  for (const LayerRecord& l : r.layers)
    for (double g : l.grad_norm)
      if (std::isfinite(g)) {
        EXPECT_LT(g, 1e37);
      }
}

}  // namespace
}  // namespace strata::diag
