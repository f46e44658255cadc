#pragma once
// What a run does when training goes non-finite (nan/inf): it keeps the last weights that were all finite, names
// the step (and, with anomaly mode, the op and layer), and says so. The weights are copied at the start and at
// each epoch end whose weights are all finite: one copy of the state_dict per epoch, nothing per step.
#include <optional>
#include <string>

#include "strata/autograd/anomaly.h"
#include "strata/core/error.h"
#include "strata/diag/monitor.h"
#include "strata/io/json.h"
#include "strata/nn/module.h"
#include "strata/train/callbacks.h"
#include "strata/train/fit.h"

namespace strata::tools::detail {

// True when every floating-point tensor of `state` (weights and buffers) holds no nan or inf.
inline bool all_finite(const nn::StateDict& state) {
  for (const auto& [name, t] : state) {
    if (autograd::count_non_finite(t).any()) return false;
  }
  return true;
}

inline nn::StateDict clone_state(const nn::StateDict& state) {
  nn::StateDict out;
  for (const auto& [name, t] : state) out.insert(name, t.clone());
  return out;
}

// Copies the model's state_dict at the start of training and at every epoch end whose weights are all finite.
class FiniteWeightsKeeper : public train::Callback {
 public:
  void on_train_begin(train::TrainState& s) override { keep(*s.model, 0); }
  void on_epoch_end(train::TrainState& s, train::Logs& /*logs*/) override { keep(*s.model, s.epoch + 1); }

  // If `model`'s weights are not all finite, loads the last finite copy into it and returns true.
  bool restore_if_non_finite(nn::Module& model) {
    if (all_finite(model.state_dict()) || !kept_) return false;
    model.load_state_dict(*kept_, /*strict=*/true);
    return true;
  }
  int64_t kept_epoch() const { return kept_epoch_; }  // 0: the initial weights

 private:
  void keep(const nn::Module& model, int64_t epoch) {
    nn::StateDict s = model.state_dict();
    if (!all_finite(s)) return;
    kept_ = clone_state(s);
    kept_epoch_ = epoch;
  }
  std::optional<nn::StateDict> kept_;
  int64_t kept_epoch_ = -1;
};

// Why a run failed when training went non-finite, or "" when it did not: the step, the op and layer when anomaly
// mode saw them, and which weights the run keeps. `restored`: the keeper put back the weights of epoch `epoch`.
inline std::string non_finite_failure(const train::History& h, const diag::TrainingRecord& record, bool restored,
                                      int64_t epoch) {
  const bool stopped_nan = h.stopped_early && h.stop_reason.find("TerminateOnNaN") != std::string::npos;
  if (!record.non_finite && !stopped_nan && !restored) return "";
  std::string msg = "training went non-finite";
  if (record.non_finite) {
    const diag::NonFiniteEvent& e = *record.non_finite;
    msg += strata::detail::concat(": the ", e.what, " became nan/inf at step ", e.step);
    if (!e.op.empty()) {
      msg += strata::detail::concat("; it started in the ", e.phase, " pass of op '", e.op, "'");
      if (!e.layer.empty()) msg += " in layer " + e.layer;
    } else {
      msg += " (run with --diagnose to name the op and layer)";
    }
  } else if (stopped_nan) {
    msg += ": " + h.stop_reason;
  }
  if (restored) {
    msg += epoch == 0 ? "; the weights kept are the initial ones (no epoch ended with finite weights)"
                      : strata::detail::concat("; the weights kept are those of the end of epoch ", epoch,
                                               " (the last all-finite ones)");
  }
  return msg;
}

// A copy of `j` with every non-finite number replaced by null (JSON has no nan or infinity).
inline io::Json finite_json(io::Json j) {
  if (j.type() == io::Json::Type::Double && !std::isfinite(j.as_double())) return io::Json();
  if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) j.at(i) = finite_json(j.at(i));
  } else if (j.is_object()) {
    for (const std::string& k : std::vector<std::string>(j.keys())) j.at(k) = finite_json(j.at(k));
  }
  return j;
}

}  // namespace strata::tools::detail
