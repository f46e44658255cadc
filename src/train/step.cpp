// train::Stepper: the one training step (loss closure, backward, callbacks, clipping, optimizer update).
#include "strata/train/step.h"

#include <optional>

#include "strata/autograd/autocast.h"
#include "strata/core/error.h"
#include "strata/core/profile.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/clip_grad.h"

namespace strata::train {

Stepper::Stepper(nn::Module& model, optim::Optimizer& optimizer, StepOptions options)
    : state_(&own_state_), options_(std::move(options)) {
  own_state_.model = &model;
  own_state_.optimizer = &optimizer;
  init();
}

Stepper::Stepper(TrainState& state, StepOptions options) : state_(&state), options_(std::move(options)) {
  STRATA_CHECK(state.model != nullptr && state.optimizer != nullptr,
               "[train::Stepper] the TrainState has no model or optimizer");
  init();
}

Stepper::Stepper(TrainState& state, optim::Optimizer& optimizer, StepOptions options)
    : state_(&state), optimizer_(&optimizer), options_(std::move(options)) {
  STRATA_CHECK(state.model != nullptr, "[train::Stepper] the TrainState has no model");
  init();
}

void Stepper::init() {
  STRATA_CHECK(!options_.clip_grad_norm || *options_.clip_grad_norm > 0,
               "[train::step] clip_grad_norm must be > 0, got ", options_.clip_grad_norm.value_or(0));
  STRATA_CHECK(!options_.clip_grad_value || *options_.clip_grad_value > 0,
               "[train::step] clip_grad_value must be > 0, got ", options_.clip_grad_value.value_or(0));
  for (const CallbackPtr& cb : options_.callbacks) STRATA_CHECK(cb != nullptr, "[train::step] a callback is null");
  bool scaler_in_callbacks = false;
  for (const CallbackPtr& cb : options_.callbacks) {
    STRATA_CHECK(cb != options_.grad_scaler || cb == nullptr,
                 "[train::step] the grad_scaler is also in the callbacks (it would unscale twice)");
    scaler_in_callbacks = scaler_in_callbacks || dynamic_cast<const GradScaler*>(cb.get()) != nullptr;
  }
  if (options_.precision == Precision::FP16 && options_.loss_scaling && options_.grad_scaler == nullptr &&
      !scaler_in_callbacks)
    options_.grad_scaler = std::make_shared<GradScaler>();
  if (options_.grad_scaler) state_->loss_scale = options_.grad_scaler->scale();
  if (options_.clip_grad_norm || options_.clip_grad_value) {
    if (optimizer_ != nullptr) {
      for (const auto& g : optimizer_->param_groups())
        for (const Tensor& p : g.params)
          if (p.requires_grad()) params_.push_back(p);
    } else {
      for (const Tensor& p : state_->model->parameters())
        if (p.requires_grad()) params_.push_back(p);
    }
  }
}

void Stepper::add_callback(CallbackPtr cb) {
  STRATA_CHECK(cb != nullptr, "[train::step] a callback is null");
  options_.callbacks.push_back(std::move(cb));
}

double Stepper::accumulate(const LossFn& loss_fn, int64_t group_size) {
  STRATA_CHECK(group_size >= 1, "[train::step] group_size must be >= 1, got ", group_size);
  TrainState& st = *state_;
  if (in_group_ == 0) {
    const profile::Scope prof(profile::Kind::Phase, "zero_grad");
    (optimizer_ != nullptr ? optimizer_ : st.optimizer)->zero_grad();
    group_size_ = group_size;
    // The scale is fixed for the group: another Stepper's update between micro-batches must not mix scales.
    if (options_.grad_scaler) st.loss_scale = options_.grad_scaler->scale();
    group_scale_ = st.loss_scale;
  }
  Tensor l;
  {
    const profile::Scope prof(profile::Kind::Phase, "forward+loss");
    std::optional<AutocastGuard> autocast;
    if (options_.precision != Precision::FP32) autocast.emplace(autocast_dtype(options_.precision));
    l = loss_fn();
  }
  STRATA_CHECK(l.defined(), "[train::step] the loss function returned an undefined tensor");
  STRATA_CHECK(l.numel() == 1, "[train::step] the loss must be a scalar, got shape ", l.shape(),
               " (use a mean or sum reduction)");
  last_loss_ = l.item();
  st.loss_value = last_loss_;
  const double scale = group_scale_ / static_cast<double>(group_size_);
  if (options_.grad_sync) options_.grad_sync->before_backward(in_group_ + 1 >= group_size_);
  {
    const profile::Scope prof(profile::Kind::Phase, "backward");
    (scale != 1.0 ? l * scale : l).backward();
  }
  ++in_group_;
  return last_loss_;
}

StepResult Stepper::step() {
  STRATA_CHECK(in_group_ > 0, "[train::step] step() without a backward: call accumulate() first");
  TrainState& st = *state_;
  optim::Optimizer* const shared = st.optimizer;
  if (optimizer_ != nullptr) st.optimizer = optimizer_;  // callbacks see the optimizer that steps
  StepResult r;
  r.loss = last_loss_;
  st.skip_step = false;
  st.grad_norm.reset();
  st.grad_scale = group_scale_;
  if (options_.grad_sync) {
    const profile::Scope sync_prof(profile::Kind::Phase, "gradient all-reduce");
    options_.grad_sync->synchronize();
  }
  std::optional<profile::Scope> prof(std::in_place, profile::Kind::Phase, "clip+callbacks");
  if (options_.grad_scaler) options_.grad_scaler->on_after_backward(st);
  for (const CallbackPtr& cb : options_.callbacks) cb->on_after_backward(st);
  if (!st.skip_step) {
    if (options_.clip_grad_norm) st.grad_norm = optim::clip_grad_norm_(params_, *options_.clip_grad_norm);
    if (options_.clip_grad_value) optim::clip_grad_value_(params_, *options_.clip_grad_value);
    for (const CallbackPtr& cb : options_.callbacks) cb->on_before_step(st);
  }
  r.grad_norm = st.grad_norm;
  prof.reset();
  if (!st.skip_step) {
    st.optimizer->step();
    r.stepped = true;
  } else {
    ++st.skipped_steps;
  }
  ++st.global_step;
  in_group_ = 0;
  st.optimizer = shared;
  return r;
}

StepResult step(nn::Module& model, optim::Optimizer& optimizer, const LossFn& loss_fn, const StepOptions& options) {
  Stepper s(model, optimizer, options);
  return s(loss_fn);
}

}  // namespace strata::train
