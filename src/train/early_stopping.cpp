// EarlyStopping: Keras's rule (wait counts epochs since the last improvement; never stops after the first
// epoch), with an optional copy of the best weights loaded back at the end of training.
#include <cmath>
#include <limits>

#include "monitor.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/train/callbacks.h"

namespace strata::train {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : o_(std::move(options)) {
  max_ = monitor_mode_is_max(o_.mode, o_.monitor, "EarlyStopping");
  STRATA_CHECK(o_.patience >= 0, "[EarlyStopping] patience must be >= 0, got ", o_.patience);
  STRATA_CHECK(std::isfinite(o_.min_delta), "[EarlyStopping] min_delta must be finite, got ", o_.min_delta);
}

void EarlyStopping::on_train_begin(TrainState&) {
  best_ = max_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_epoch_ = -1;
  wait_ = 0;
  stopped_epoch_ = -1;
  best_state_.clear();
}

void EarlyStopping::on_epoch_end(TrainState& state, Logs& epoch_logs) {
  if (state.epoch < o_.start_from_epoch) return;
  const double v = internal::monitored_value(epoch_logs, o_.monitor, "EarlyStopping");
  const double delta = std::fabs(o_.min_delta);
  auto improves = [&](double value, double reference) {
    return max_ ? value - delta > reference : value + delta < reference;
  };
  ++wait_;
  if (improves(v, best_)) {
    best_ = v;
    best_epoch_ = state.epoch;
    if (o_.restore_best_weights) {
      NoGradGuard no_grad;
      const nn::StateDict sd = state.model->state_dict();
      if (reclone_ || best_state_.size() != sd.size()) {
        reclone_ = false;
        best_state_.clear();
        for (const auto& [key, t] : sd) best_state_.emplace_back(key, t.detach().clone());
      } else {
        size_t i = 0;
        for (const auto& [key, t] : sd) best_state_[i++].second.copy_(t);
      }
    }
    if (!o_.baseline || improves(v, *o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && state.epoch > 0) {
    stopped_epoch_ = state.epoch;
    state.stop_training = true;
    state.stop_reason =
        strata::detail::concat("EarlyStopping: ", o_.monitor, " did not improve for ", wait_,
                               wait_ == 1 ? " epoch" : " epochs", " (best ", internal::format_double(best_),
                               best_epoch_ >= 0 ? strata::detail::concat(" at epoch ", best_epoch_ + 1) : "", ")");
  }
}

void EarlyStopping::save_state(io::Json& json, nn::StateDict& tensors) const {
  json.set("best", detail::exact_number(best_));
  json.set("best_epoch", best_epoch_);
  json.set("wait", wait_);
  json.set("stopped_epoch", stopped_epoch_);
  for (const auto& [key, t] : best_state_) tensors.insert(key, t);
}

void EarlyStopping::load_state(const io::Json& json, const nn::StateDict& tensors) {
  best_ = detail::read_exact_number(json.at("best"));
  best_epoch_ = json.at("best_epoch").as_int();
  wait_ = json.at("wait").as_int();
  stopped_epoch_ = json.at("stopped_epoch").as_int();
  best_state_.clear();
  for (const auto& [key, t] : tensors) best_state_.emplace_back(key, t.detach().clone());
  reclone_ = true;
}

void EarlyStopping::on_train_end(TrainState& state) {
  if (!o_.restore_best_weights || best_state_.empty()) return;
  nn::StateDict sd;
  for (const auto& [key, t] : best_state_) sd.insert(key, t);
  state.model->load_state_dict(sd);
}

}  // namespace strata::train
