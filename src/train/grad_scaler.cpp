// train::GradScaler: dynamic loss scaling (PyTorch's GradScaler update rule) in the training step's hooks.
#include "strata/train/grad_scaler.h"

#include <cfloat>
#include <cmath>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/reduction.h"

namespace strata::train {

namespace {

// True when every element of `g` is finite (the reduction runs on g's device; one bool comes back).
bool is_all_finite(const Tensor& g) { return all_finite(g).to(kCPU).item() != 0.0; }

}  // namespace

GradScaler::GradScaler(GradScalerOptions options) : options_(options), scale_(options.init_scale) {
  STRATA_CHECK(options_.init_scale > 0 && std::isfinite(options_.init_scale),
               "[GradScaler] init_scale must be a positive number, got ", options_.init_scale);
  STRATA_CHECK(options_.growth_factor > 1.0, "[GradScaler] growth_factor must be > 1, got ", options_.growth_factor);
  STRATA_CHECK(options_.backoff_factor > 0 && options_.backoff_factor < 1.0,
               "[GradScaler] backoff_factor must be in (0, 1), got ", options_.backoff_factor);
  STRATA_CHECK(options_.growth_interval >= 1, "[GradScaler] growth_interval must be >= 1, got ",
               options_.growth_interval);
}

void GradScaler::on_train_begin(TrainState& state) { state.loss_scale = scale(); }

void GradScaler::on_after_backward(TrainState& state) {
  if (!options_.enabled) return;
  STRATA_CHECK(state.optimizer != nullptr, "[GradScaler] the training state has no optimizer");
  // Unscale by the factor the gradients carry (the scale of this group's backward), not by scale_, which a
  // checkpoint load may have changed since.
  const double carried = state.grad_scale;
  bool found_inf = false;
  {
    NoGradGuard no_grad;
    const double inv = carried != 0 ? 1.0 / carried : 1.0;
    for (const auto& group : state.optimizer->param_groups()) {
      for (const Tensor& p : group.params) {
        Tensor g = p.grad();
        if (!g.defined()) continue;
        if (inv != 1.0) g.mul_(inv);
        if (!found_inf && !is_all_finite(g)) found_inf = true;
      }
    }
  }
  state.grad_scale = 1.0;
  found_inf_ = found_inf;
  // PyTorch's _amp_update_scale_: back off on inf/NaN; grow after growth_interval clean updates in a row, unless
  // the grown scale would overflow float32 (the dtype PyTorch keeps the scale in).
  if (found_inf) {
    state.skip_step = true;
    scale_ *= options_.backoff_factor;
    tracker_ = 0;
    ++skipped_;
    ++consecutive_skipped_;
  } else {
    consecutive_skipped_ = 0;
    if (++tracker_ == options_.growth_interval) {
      const double grown = scale_ * options_.growth_factor;
      if (grown <= FLT_MAX) {
        scale_ = grown;
        ++growths_;
      }
      tracker_ = 0;
    }
  }
  state.loss_scale = scale_;
}

io::Json GradScaler::state_dict() const {
  io::Json j = io::Json::object();
  j.set("scale", scale_);
  j.set("growth_factor", options_.growth_factor);
  j.set("backoff_factor", options_.backoff_factor);
  j.set("growth_interval", options_.growth_interval);
  j.set("_growth_tracker", tracker_);
  j.set("skipped_steps", skipped_);
  j.set("growth_count", growths_);
  return j;
}

void GradScaler::load_state_dict(const io::Json& state) {
  STRATA_CHECK(state.is_object(), "[GradScaler::load_state_dict] expected an object, got ", state.type_name());
  auto number = [&](const char* key) {
    const io::Json* v = state.find(key);
    STRATA_CHECK(v != nullptr && v->is_number(), "[GradScaler::load_state_dict] missing or non-numeric \"", key, "\"");
    return v;
  };
  GradScalerOptions o = options_;
  o.init_scale = number("scale")->as_double();
  o.growth_factor = number("growth_factor")->as_double();
  o.backoff_factor = number("backoff_factor")->as_double();
  o.growth_interval = number("growth_interval")->as_int();
  const int64_t tracker = number("_growth_tracker")->as_int();
  GradScaler checked(o);  // the same checks as the constructor
  options_.growth_factor = o.growth_factor;
  options_.backoff_factor = o.backoff_factor;
  options_.growth_interval = o.growth_interval;
  scale_ = o.init_scale;
  tracker_ = tracker;
  if (const io::Json* v = state.find("skipped_steps")) skipped_ = v->as_int();
  if (const io::Json* v = state.find("growth_count")) growths_ = v->as_int();
  consecutive_skipped_ = 0;
}

void GradScaler::save_state(io::Json& json, nn::StateDict& /*tensors*/) const {
  json = state_dict();
  json.set("consecutive_skipped", consecutive_skipped_);
  json.set("found_inf", found_inf_);
}

void GradScaler::load_state(const io::Json& json, const nn::StateDict& /*tensors*/) {
  load_state_dict(json);
  consecutive_skipped_ = json.at("consecutive_skipped").as_int();
  found_inf_ = json.at("found_inf").as_bool();
}

}  // namespace strata::train
