// The doctor's loss-scaling rules (fp16_overflow, skipped_steps) and the one-line loss-scaling summary.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "diag/doctor_rules.h"

namespace strata::diag {

namespace {

// "32768 (2^15)" for powers of two, else the number.
std::string scale_text(double s) {
  if (!(s > 0) || !std::isfinite(s)) return format_number(s, "%.3g");
  int e = 0;
  const double m = std::frexp(s, &e);
  return m == 0.5 ? format_number(s, "%.6g") + " (2^" + std::to_string(e - 1) + ")" : format_number(s, "%.6g");
}

struct Skips {
  int64_t total = 0;         // steps skipped
  int64_t leading = 0;       // skipped in the first run of skips from the start (the scale calibrating down)
  int64_t longest = 0;       // the longest run of consecutive skipped steps
  int64_t longest_end = -1;  // the step that run ended at
  int64_t first = -1;        // the first step with a skip
};

Skips skips_of(const TrainingRecord& r) {
  Skips s;
  int64_t prev = 0, run = 0;
  bool leading = true;
  for (size_t i = 0; i < r.skipped.size(); ++i) {
    const int64_t d = r.skipped[i] - prev;
    prev = r.skipped[i];
    if (d > 0) {
      if (s.first < 0) s.first = i < r.steps.size() ? r.steps[i] : -1;
      run += d;
      if (leading) s.leading += d;
      if (run > s.longest) {
        s.longest = run;
        s.longest_end = i < r.steps.size() ? r.steps[i] : -1;
      }
    } else {
      run = 0;
      leading = false;
    }
  }
  s.total = prev;
  return s;
}

}  // namespace

std::string loss_scaling_summary(const TrainingRecord& r) {
  if (!uses_loss_scaling(r) || r.loss_scale.empty()) return "";
  const Skips s = skips_of(r);
  std::ostringstream os;
  os << "loss scaling: scale " << scale_text(r.loss_scale.back()) << " at the end";
  const double lo = *std::min_element(r.loss_scale.begin(), r.loss_scale.end());
  if (lo < r.loss_scale.back()) os << " (lowest " << scale_text(lo) << ")";
  os << "; " << s.total << " of " << r.steps.size() << " steps skipped for inf/NaN gradients";
  if (s.total > 0) os << ", at most " << s.longest << " in a row";
  return os.str();
}

void rule_loss_scale(const TrainingRecord& r, const DoctorThresholds& t, std::vector<Finding>& out) {
  if (!uses_loss_scaling(r) || r.loss_scale.empty() || r.steps.empty()) return;
  const Skips s = skips_of(r);
  const double last = r.loss_scale.back();
  const double lo = *std::min_element(r.loss_scale.begin(), r.loss_scale.end());
  const int64_t steps = static_cast<int64_t>(r.steps.size());
  const bool collapsed = lo < t.min_loss_scale;
  if (collapsed || s.longest >= t.max_consecutive_skipped) {
    Finding f;
    f.id = "fp16_overflow";
    f.severity = "error";
    f.step = s.first;
    f.evidence = "the loss scale fell to " + scale_text(lo) + " (" + scale_text(last) + " at the end); " +
                 std::to_string(s.total) + " of " + std::to_string(steps) + " optimizer steps were skipped for " +
                 "inf/NaN gradients, " + std::to_string(s.longest) + " in a row (up to step " +
                 std::to_string(s.longest_end) + ")";
    f.cause =
        "the gradients are inf or NaN even at a small loss scale, so the scaler keeps halving the scale and skipping "
        "the updates: the overflow is not in the scaled gradients but in the forward pass (activations or logits "
        "beyond float16's maximum 65504), or the loss itself is inf/NaN; the weights no longer change";
    f.remedy =
        "train in bf16 (float32's range; no loss scaling needed), or keep the overflowing part in float32 "
        "(large sums, exp, attention logits); check the loss and the inputs for inf/NaN in fp32; lower the "
        "learning rate if the weights grew before the collapse";
    f.numbers = io::Json::object();
    f.numbers.set("final_scale", last);
    f.numbers.set("min_scale", lo);
    f.numbers.set("skipped_steps", s.total);
    f.numbers.set("steps", steps);
    f.numbers.set("max_consecutive_skipped", s.longest);
    out.push_back(std::move(f));
    return;
  }
  const int64_t later = s.total - s.leading;
  if (later > 0 && static_cast<double>(later) > t.skipped_fraction * static_cast<double>(steps)) {
    Finding f;
    f.id = "skipped_steps";
    f.severity = "warning";
    f.step = s.first;
    f.evidence = std::to_string(s.total) + " of " + std::to_string(steps) + " optimizer steps were skipped for " +
                 "inf/NaN gradients (" + std::to_string(later) + " after the first calibration of the scale, " +
                 format_number(100.0 * static_cast<double>(later) / static_cast<double>(steps), "%.0f") +
                 "%); loss scale " + scale_text(last) + " at the end";
    f.cause =
        "the scaled gradients overflow float16 again and again: the scale grows every growth_interval clean steps "
        "and overflows back, or occasional gradient spikes overflow; every skipped step is a batch lost";
    f.remedy =
        "a longer growth_interval (fewer growth attempts), gradient clipping or a lower learning rate against "
        "spikes, or bf16, which needs no loss scaling";
    f.numbers = io::Json::object();
    f.numbers.set("final_scale", last);
    f.numbers.set("skipped_steps", s.total);
    f.numbers.set("skipped_after_calibration", later);
    f.numbers.set("steps", steps);
    out.push_back(std::move(f));
  }
}

}  // namespace strata::diag
