// The doctor's mode_collapse rule: a GAN whose generator covers only part of the data distribution.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "diag/doctor_rules.h"

namespace strata::diag {

namespace {

io::Json num(double v) { return std::isfinite(v) ? io::Json(v) : io::Json(); }

}  // namespace

void rule_mode_collapse(const TrainingRecord& r, const DoctorThresholds& t, std::vector<Finding>& out) {
  if (r.sample_checks.empty()) return;
  const SampleCheck& c = r.sample_checks.back();
  const bool few_modes = c.modes > 0 && c.modes_covered >= 0 &&
                         static_cast<double>(c.modes_covered) <= t.mode_coverage * static_cast<double>(c.modes);
  const bool few_classes = c.classes > 0 && c.classes_covered >= 0 &&
                           static_cast<double>(c.classes_covered) <= t.mode_coverage * static_cast<double>(c.classes);
  const bool low_diversity = std::isfinite(c.diversity_ratio) && c.diversity_ratio < t.diversity_ratio;
  if (!few_modes && !few_classes && !low_diversity) return;
  Finding f;
  f.id = "mode_collapse";
  f.severity = "error";
  f.step = c.step;
  std::ostringstream ev;
  ev << "after epoch " << c.epoch << ", " << c.samples << " generated samples";
  if (c.modes > 0) {
    ev << " cover " << c.modes_covered << " of " << c.modes << " modes (" << format_number(100 * c.high_quality, "%.0f")
       << "% within 3 std of a mode)";
  }
  if (c.classes > 0) ev << " fall in " << c.classes_covered << " of " << c.classes << " classes";
  if (std::isfinite(c.diversity_ratio))
    ev << "; their spread is " << format_number(c.diversity_ratio, "%.2f")
       << "x the real data's (mean pairwise distance)";
  // How the coverage evolved: collapse often sets in after a good start, or hops from mode to mode.
  if (r.sample_checks.size() >= 2) {
    ev << "; per epoch:";
    for (const SampleCheck& s : r.sample_checks) {
      ev << " " << (s.modes > 0 ? s.modes_covered : s.classes > 0 ? s.classes_covered : -1);
    }
    ev << (c.modes > 0 ? " modes" : c.classes > 0 ? " classes" : "");
  }
  f.evidence = ev.str();
  f.cause =
      "the generator maps most of its noise to the few outputs the discriminator currently accepts; the "
      "discriminator then rejects those, and the generator jumps to other few outputs instead of spreading out. "
      "A discriminator that judges each sample alone cannot see that the batch lacks variety";
  f.remedy =
      "let the discriminator see batch statistics (a MinibatchStdDev layer before its last layers), slow it "
      "down (lower its learning rate or d_steps), use one-sided label smoothing (label_smoothing 0.1-0.2), or a "
      "loss that does not saturate (WGAN-GP); check coverage again after a few epochs";
  f.numbers = io::Json::object();
  f.numbers.set("epoch", c.epoch);
  f.numbers.set("samples", c.samples);
  if (c.modes > 0) {
    f.numbers.set("modes", c.modes);
    f.numbers.set("modes_covered", c.modes_covered);
    f.numbers.set("high_quality", num(c.high_quality));
  }
  if (c.classes > 0) {
    f.numbers.set("classes", c.classes);
    f.numbers.set("classes_covered", c.classes_covered);
    io::Json h = io::Json::array();
    for (int64_t v : c.class_histogram) h.push_back(v);
    f.numbers.set("class_histogram", h);
  }
  f.numbers.set("diversity_ratio", num(c.diversity_ratio));
  out.push_back(f);
}

}  // namespace strata::diag
