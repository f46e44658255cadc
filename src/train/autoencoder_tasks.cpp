// The single-optimizer tasks: autoencoder (reconstruct the input) and VAE (reconstruction + beta * KL).
#include "strata/core/error.h"
#include "strata/nn/losses.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/train/tasks.h"

namespace strata::train {

void SingleLossTask::begin(TrainState& state, const StepOptions& options, int64_t accumulation_steps) {
  stepper_ = std::make_unique<Stepper>(state, options);
  accumulation_ = accumulation_steps;
  in_group_ = 0;
}

bool SingleLossTask::train_batch(const data::Batch& batch, int64_t batch_index, int64_t batches, Logs& values) {
  STRATA_CHECK(stepper_ != nullptr, "[", name(), " task] train_batch before begin()");
  // As fit(): the epoch's last group may be shorter and is scaled by its own count.
  if (in_group_ == 0) group_size_ = std::min(accumulation_, std::max<int64_t>(1, batches - batch_index));
  stepper_->accumulate([&] { return loss(batch, values); }, group_size_);
  if (++in_group_ < group_size_) return false;
  in_group_ = 0;
  stepper_->step();
  return true;
}

void SingleLossTask::eval_batch(const data::Batch& batch, Logs& values) { (void)loss(batch, values); }

AutoencoderTask::AutoencoderTask(std::shared_ptr<nn::Autoencoder> model, optim::Optimizer& optimizer,
                                 AutoencoderOptions options)
    : SingleLossTask(*model, optimizer), model_(std::move(model)), options_(std::move(options)) {
  const std::string& l = options_.loss;
  STRATA_CHECK(l == "mse" || l == "bce" || l == "bce_logits" || l == "l1", "[autoencoder task] unknown loss \"", l,
               "\" (expected \"mse\", \"bce\", \"bce_logits\" or \"l1\")");
  STRATA_CHECK(options_.noise_std >= 0, "[autoencoder task] noise_std must be >= 0, got ", options_.noise_std);
}

Tensor AutoencoderTask::loss(const data::Batch& batch, Logs& values) {
  const Tensor& x = batch.input;
  Tensor in = x;
  if (options_.noise_std > 0 && model_->is_training()) in = add(x, mul(randn_like(x), options_.noise_std));
  Tensor recon = (*model_)(in);
  STRATA_CHECK(recon.shape() == x.shape(), "[autoencoder task] the decoder's output ", recon.shape(),
               " must have the input's shape ", x.shape(), " (end the decoder with an Unflatten or reshape)");
  namespace F = nn::functional;
  Tensor l;
  if (options_.loss == "mse") {
    l = F::mse_loss(recon, x);
  } else if (options_.loss == "l1") {
    l = F::l1_loss(recon, x);
  } else if (options_.loss == "bce") {
    l = F::binary_cross_entropy(recon, x);
  } else {
    l = F::binary_cross_entropy_with_logits(recon, x);
  }
  values["loss"] = l.item();
  return l;
}

VAETask::VAETask(std::shared_ptr<nn::VAE> model, optim::Optimizer& optimizer, VAEOptions options)
    : SingleLossTask(*model, optimizer), model_(std::move(model)), options_(std::move(options)) {
  const std::string& l = options_.recon_loss;
  STRATA_CHECK(l == "mse" || l == "bce" || l == "bce_logits", "[vae task] unknown reconstruction loss \"", l,
               "\" (expected \"bce\", \"bce_logits\" or \"mse\")");
  STRATA_CHECK(options_.beta >= 0, "[vae task] beta must be >= 0, got ", options_.beta);
}

Tensor VAETask::loss(const data::Batch& batch, Logs& values) {
  const nn::VAEOutput out = model_->forward_vae(batch.input);
  STRATA_CHECK(out.recon.shape() == batch.input.shape(), "[vae task] the decoder's output ", out.recon.shape(),
               " must have the input's shape ", batch.input.shape());
  const nn::VAELoss l = nn::vae_loss(out, batch.input, options_.recon_loss, options_.beta);
  values["loss"] = l.total.item();
  values["recon"] = l.recon.item();
  values["kl"] = l.kl.item();
  return l.total;
}

}  // namespace strata::train
