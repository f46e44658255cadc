// The doctor's mode_collapse rule on sample checks: collapsed coverage and low diversity are flagged with their
// numbers; a GAN covering its modes stays clean; the loss-curve rules stay off for GANs.
#include <gtest/gtest.h>

#include "strata/diag/doctor.h"

namespace strata::diag {
namespace {

SampleCheck ring_check(int64_t epoch, int64_t covered, double diversity) {
  SampleCheck c;
  c.epoch = epoch;
  c.step = 100 * epoch;
  c.samples = 2500;
  c.modes = 8;
  c.modes_covered = covered;
  c.high_quality = 0.4;
  c.diversity_ratio = diversity;
  return c;
}

const Finding* find(const std::vector<Finding>& f, const std::string& id) {
  for (const Finding& x : f)
    if (x.id == id) return &x;
  return nullptr;
}

TEST(ModeCollapseRule, FlagsFewModesWithTheHistory) {
  TrainingRecord r;
  r.sample_checks = {ring_check(1, 3, 0.8), ring_check(2, 1, 0.2)};
  DoctorContext ctx;
  ctx.task = "gan";
  const auto findings = diagnose(r, ctx);
  const Finding* f = find(findings, "mode_collapse");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->step, 200);
  EXPECT_NE(f->evidence.find("cover 1 of 8 modes"), std::string::npos) << f->evidence;
  EXPECT_NE(f->evidence.find("per epoch: 3 1 modes"), std::string::npos) << f->evidence;
  EXPECT_NE(f->remedy.find("MinibatchStdDev"), std::string::npos);
  EXPECT_EQ(f->numbers.at("modes_covered").as_int(), 1);
}

TEST(ModeCollapseRule, FlagsClassesAndLowDiversityButNotAHealthyGenerator) {
  TrainingRecord r;
  SampleCheck img;
  img.epoch = 3;
  img.samples = 500;
  img.classes = 10;
  img.classes_covered = 9;
  img.diversity_ratio = 0.9;
  r.sample_checks = {img};
  DoctorContext ctx;
  ctx.task = "gan";
  EXPECT_EQ(find(diagnose(r, ctx), "mode_collapse"), nullptr);
  r.sample_checks[0].classes_covered = 4;  // 4 of 10 classes <= half
  EXPECT_NE(find(diagnose(r, ctx), "mode_collapse"), nullptr);
  r.sample_checks[0].classes_covered = 9;
  r.sample_checks[0].diversity_ratio = 0.2;  // near-copies
  EXPECT_NE(find(diagnose(r, ctx), "mode_collapse"), nullptr);
  r.sample_checks = {ring_check(5, 8, 1.0)};
  EXPECT_EQ(find(diagnose(r, ctx), "mode_collapse"), nullptr);
}

TEST(ModeCollapseRule, LossCurveRulesAreOffForGANs) {
  // A loss that rises 10x looks like lr_too_high for a fitted model; a GAN's generator loss may do that.
  TrainingRecord r;
  for (int i = 0; i < 100; ++i) {
    r.steps.push_back(i + 1);
    r.loss.push_back(0.7 + 0.1 * i);
    r.lr.push_back(1e-3);
  }
  r.steps_run = 100;
  DoctorContext ctx;
  ctx.task = "classification";
  EXPECT_NE(find(diagnose(r, ctx), "lr_too_high"), nullptr);
  ctx.task = "gan";
  EXPECT_EQ(find(diagnose(r, ctx), "lr_too_high"), nullptr);
}

}  // namespace
}  // namespace strata::diag
