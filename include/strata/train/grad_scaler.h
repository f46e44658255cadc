#pragma once
// Dynamic loss scaling for float16 training, with the semantics and defaults of PyTorch's
// torch.cuda.amp.GradScaler, as a callback of the one training step (step.h). The loss is multiplied by
// scale() before backward (train::Stepper reads state.loss_scale), so small gradients do not flush to zero in
// float16. After the group's backward, before clipping (on_after_backward):
//   1. every gradient of the stepping optimizer is multiplied by 1 / (the scale its backward used), in place;
//   2. found_inf = any of them is inf or NaN;
//   3. found_inf: the update is skipped (state.skip_step), scale *= backoff_factor, the clean-step count resets;
//      else after growth_interval consecutive clean steps scale *= growth_factor (kept if finite in float32).
// The new scale applies from the next group on, so it is constant within an accumulation group. Several
// Steppers sharing a TrainState (a GAN's generator and discriminator) share one GradScaler: every optimizer
// step is one update (PyTorch updates once per iteration, after all optimizers stepped; here a GAN's
// iteration of one D and one G step counts twice toward growth_interval).
//
//   auto scaler = std::make_shared<train::GradScaler>();
//   train::Stepper stepper(model, optimizer, {.precision = train::Precision::FP16, .grad_scaler = scaler});
//   ... scaler->scale(), scaler->skipped_steps()
#include <cstdint>

#include "strata/io/json.h"
#include "strata/train/fit.h"
#include "strata/train/resume.h"

namespace strata::train {

struct GradScalerOptions {
  double init_scale = 65536.0;  // 2^16
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  bool enabled = true;  // false: scale 1, gradients untouched, nothing skipped
};

class GradScaler : public Callback, public StatefulCallback {
 public:
  // An error naming the option for init_scale <= 0, growth_factor <= 1, backoff_factor outside (0, 1) or
  // growth_interval < 1.
  explicit GradScaler(GradScalerOptions options = {});

  // Puts the scale into state.loss_scale (fit() calls this before the first step).
  void on_train_begin(TrainState& state) override;
  // Unscales, checks for inf/NaN, skips and updates the scale (see above).
  void on_after_backward(TrainState& state) override;

  bool enabled() const { return options_.enabled; }
  const GradScalerOptions& options() const { return options_; }
  double scale() const { return options_.enabled ? scale_ : 1.0; }  // the scale the next backward uses
  int64_t skipped_steps() const { return skipped_; }                // updates skipped for inf/NaN gradients, in total
  int64_t growth_count() const { return growths_; }                 // times the scale grew
  int64_t growth_tracker() const { return tracker_; }               // consecutive clean updates since the last change
  int64_t consecutive_skipped() const { return consecutive_skipped_; }
  bool found_inf() const { return found_inf_; }  // the last update's gradients held inf/NaN

  // PyTorch's keys: "scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker", plus
  // Strata's counters "skipped_steps" and "growth_count" (optional on loading). load_state_dict restores all of
  // them, the factors and interval included, as PyTorch's does; an error names a missing or mistyped key.
  io::Json state_dict() const;
  void load_state_dict(const io::Json& state);
  // "grad_scaler": state_dict() plus the consecutive-skip count and the last found_inf (resume.h).
  std::string state_key() const override { return "grad_scaler"; }
  void save_state(io::Json& json, nn::StateDict& tensors) const override;
  void load_state(const io::Json& json, const nn::StateDict& tensors) override;

 private:
  GradScalerOptions options_;
  double scale_;
  int64_t tracker_ = 0, skipped_ = 0, growths_ = 0, consecutive_skipped_ = 0;
  bool found_inf_ = false;
};

}  // namespace strata::train
