// GANTask: discriminator and generator steps, each through its own train::Stepper over the shared TrainState.
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/losses.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/train/resume.h"
#include "strata/train/tasks.h"

namespace strata::train {

namespace {

namespace F = nn::functional;

Tensor bce_logits(const Tensor& logits, double target) {
  return F::binary_cross_entropy_with_logits(logits, full_like(logits, target));
}

// Turns requires_grad off on a module's parameters that have it, and back on (restore() or scope exit).
class RequiresGradOff {
 public:
  explicit RequiresGradOff(nn::Module& m) {
    for (Tensor p : m.parameters()) {
      if (p.requires_grad()) {
        p.requires_grad_(false);
        params_.push_back(p);
      }
    }
  }
  ~RequiresGradOff() { restore(); }
  RequiresGradOff(const RequiresGradOff&) = delete;
  RequiresGradOff& operator=(const RequiresGradOff&) = delete;
  void restore() {
    for (Tensor& p : params_) p.requires_grad_(true);
    params_.clear();
  }

 private:
  std::vector<Tensor> params_;
};

double mean_probability(const Tensor& logits) {
  NoGradGuard no_grad;
  return mean(sigmoid(logits)).item();
}

}  // namespace

GANTask::GANTask(std::shared_ptr<nn::GAN> model, optim::Optimizer& g_optimizer, optim::Optimizer& d_optimizer,
                 GANOptions options)
    : model_(std::move(model)), g_opt_(g_optimizer), d_opt_(d_optimizer), options_(std::move(options)) {
  STRATA_CHECK(model_ != nullptr, "[gan task] the model is null");
  STRATA_CHECK(&g_optimizer != &d_optimizer, "[gan task] the generator and the discriminator need two optimizers");
  STRATA_CHECK(options_.d_steps >= 1, "[gan task] d_steps must be >= 1, got ", options_.d_steps);
  STRATA_CHECK(options_.label_smoothing >= 0 && options_.label_smoothing < 0.5,
               "[gan task] label_smoothing must be in [0, 0.5), got ", options_.label_smoothing);
  const std::string& g = options_.generator_loss;
  STRATA_CHECK(g == "non_saturating" || g == "minimax", "[gan task] unknown generator_loss \"", g,
               "\" (expected \"non_saturating\" or \"minimax\")");
}

void GANTask::begin(TrainState& state, const StepOptions& options, int64_t accumulation_steps) {
  STRATA_CHECK(accumulation_steps == 1, "[gan task] gradient accumulation is not supported for GANs (got ",
               accumulation_steps, " accumulation steps)");
  state_ = &state;
  d_stepper_ = std::make_unique<Stepper>(state, d_opt_, options);
  g_stepper_ = std::make_unique<Stepper>(state, g_opt_, options);
  d_done_ = 0;
}

bool GANTask::train_batch(const data::Batch& batch, int64_t /*batch_index*/, int64_t /*batches*/, Logs& values) {
  STRATA_CHECK(d_stepper_ != nullptr, "[gan task] train_batch before begin()");
  const Tensor& real = batch.input;
  const int64_t n = real.size(0);
  double d_real = 0, d_fake = 0;
  // Discriminator: real -> 1 - smoothing, G(z) -> 0; the fake batch is detached so only D learns here.
  d_stepper_->accumulate([&] {
    Tensor fake;
    {
      NoGradGuard no_grad;
      fake = model_->sample(n);
    }
    Tensor lr = model_->discriminator()(real);
    Tensor lf = model_->discriminator()(fake);
    d_real = mean_probability(lr);
    d_fake = mean_probability(lf);
    return add(bce_logits(lr, 1.0 - options_.label_smoothing), bce_logits(lf, 0.0));
  });
  const double d_loss = state_->loss_value;
  d_stepper_->step();
  values["d_loss"] = d_loss;
  values["d_real"] = d_real;
  values["d_fake"] = d_fake;
  if (++d_done_ >= options_.d_steps) {
    d_done_ = 0;
    // Generator: fool the discriminator. D's parameters stop requiring gradients for this backward, so its
    // weight gradients (which g_opt_ would not use) are not computed; the input gradient still flows through D.
    RequiresGradOff d_frozen(model_->discriminator());
    g_stepper_->accumulate([&] {
      Tensor logits = model_->discriminator()(model_->sample(n));
      if (options_.generator_loss == "non_saturating") return bce_logits(logits, 1.0);
      return mul(bce_logits(logits, 0.0), -1.0);  // minimise log(1 - D(G(z)))
    });
    last_g_loss_ = state_->loss_value;
    d_frozen.restore();
    g_stepper_->step();
  }
  values["g_loss"] = last_g_loss_;
  values["loss"] = last_g_loss_;
  return true;
}

io::Json GANTask::state_dict() const {
  return io::Json::object({{"d_done", d_done_}, {"last_g_loss", detail::exact_number(last_g_loss_)}});
}

void GANTask::load_state_dict(const io::Json& state) {
  d_done_ = state.at("d_done").as_int(0, options_.d_steps - 1);
  last_g_loss_ = detail::read_exact_number(state.at("last_g_loss"));
}

void GANTask::eval_batch(const data::Batch& batch, Logs& values) {
  const int64_t n = batch.input.size(0);
  Tensor lr = model_->discriminator()(batch.input);
  Tensor lf = model_->discriminator()(model_->sample(n));
  values["d_loss"] = add(bce_logits(lr, 1.0), bce_logits(lf, 0.0)).item();
  values["d_real"] = mean_probability(lr);
  values["d_fake"] = mean_probability(lf);
  const double g =
      options_.generator_loss == "non_saturating" ? bce_logits(lf, 1.0).item() : -bce_logits(lf, 0.0).item();
  values["g_loss"] = g;
  values["loss"] = g;
}

}  // namespace strata::train
