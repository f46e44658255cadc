#pragma once
// The training tasks of task.h: autoencoder, VAE and GAN.
//
//   auto gan = std::make_shared<nn::GAN>(generator, discriminator, std::vector<int64_t>{64});
//   optim::Adam g_opt(gan->generator().parameters(), {.lr = 2e-4, .beta1 = 0.5});
//   optim::Adam d_opt(gan->discriminator().parameters(), {.lr = 2e-4, .beta1 = 0.5});
//   train::GANTask task(gan, g_opt, d_opt, {.d_steps = 1, .label_smoothing = 0.1});
//   train::fit_task(task, loader, options);
#include <memory>
#include <string>

#include "strata/core/generator.h"
#include "strata/nn/autoencoder.h"
#include "strata/nn/gan.h"
#include "strata/train/task.h"

namespace strata::train {

// Shared by the single-optimizer tasks: one loss per batch, gradient accumulation as fit() does it.
class SingleLossTask : public Task {
 public:
  SingleLossTask(nn::Module& module, optim::Optimizer& optimizer) : module_(module), optimizer_(optimizer) {}
  nn::Module& module() override { return module_; }
  optim::Optimizer& optimizer() override { return optimizer_; }
  void begin(TrainState& state, const StepOptions& options, int64_t accumulation_steps) override;
  bool train_batch(const data::Batch& batch, int64_t batch_index, int64_t batches, Logs& values) override;
  void eval_batch(const data::Batch& batch, Logs& values) override;

 protected:
  // The batch's scalar loss (what backward sees) and its logged values ("loss" and the task's terms).
  virtual Tensor loss(const data::Batch& batch, Logs& values) = 0;

 private:
  nn::Module& module_;
  optim::Optimizer& optimizer_;
  std::unique_ptr<Stepper> stepper_;
  int64_t accumulation_ = 1, group_size_ = 1, in_group_ = 0;
};

struct AutoencoderOptions {
  // "mse" (mean squared error), "bce" (the decoder ends in a sigmoid), "bce_logits" (it ends in a logit), "l1".
  std::string loss = "mse";
  double noise_std = 0;  // denoising autoencoder: train on x + noise_std * N(0, 1), reconstruct x
};

// The target is the input: loss(autoencoder(x), x), averaged over every element as torch's losses do.
class AutoencoderTask : public SingleLossTask {
 public:
  AutoencoderTask(std::shared_ptr<nn::Autoencoder> model, optim::Optimizer& optimizer, AutoencoderOptions options = {});
  std::string name() const override { return "autoencoder"; }
  std::vector<std::string> log_keys() const override { return {"loss"}; }

 protected:
  Tensor loss(const data::Batch& batch, Logs& values) override;

 private:
  std::shared_ptr<nn::Autoencoder> model_;
  AutoencoderOptions options_;
};

struct VAEOptions {
  std::string recon_loss = "bce";  // "bce", "bce_logits" or "mse" (summed per example, averaged over the batch)
  double beta = 1.0;               // weight of the KL term (beta-VAE)
};

// loss = recon + beta * kl per example (the negative ELBO for beta = 1); logs "loss", "recon" and "kl".
class VAETask : public SingleLossTask {
 public:
  VAETask(std::shared_ptr<nn::VAE> model, optim::Optimizer& optimizer, VAEOptions options = {});
  std::string name() const override { return "vae"; }
  std::vector<std::string> log_keys() const override { return {"loss", "recon", "kl"}; }

 protected:
  Tensor loss(const data::Batch& batch, Logs& values) override;

 private:
  std::shared_ptr<nn::VAE> model_;
  VAEOptions options_;
};

struct GANOptions {
  int64_t d_steps = 1;  // discriminator steps (each on its own batch) per generator step
  // "non_saturating": the generator minimises -log D(G(z)) (strong gradients early on); "minimax": it minimises
  // log(1 - D(G(z))) as in the original formulation (saturates when the discriminator wins).
  std::string generator_loss = "non_saturating";
  double label_smoothing = 0;  // one-sided: the discriminator's real targets are 1 - label_smoothing
};

// Each batch: one discriminator step on real x against G(z) (BCE on logits, real -> 1, fake -> 0); every
// d_steps-th batch also one generator step on fresh noise. Logs "loss" (= g_loss, the generator's objective
// at its last step), "d_loss", "g_loss", "d_real" and "d_fake" (mean discriminator probabilities). Both
// optimizers step through Steppers sharing fit_task's TrainState, so every step hook sees both updates
// (global_step counts both). Validation logs "d_loss", "d_real" and "d_fake" on held-out real data and "g_loss".
class GANTask : public Task {
 public:
  GANTask(std::shared_ptr<nn::GAN> model, optim::Optimizer& g_optimizer, optim::Optimizer& d_optimizer,
          GANOptions options = {});
  std::string name() const override { return "gan"; }
  nn::Module& module() override { return *model_; }
  optim::Optimizer& optimizer() override { return g_opt_; }
  std::vector<std::string> log_keys() const override { return {"loss", "d_loss", "g_loss", "d_real", "d_fake"}; }
  void begin(TrainState& state, const StepOptions& options, int64_t accumulation_steps) override;
  bool train_batch(const data::Batch& batch, int64_t batch_index, int64_t batches, Logs& values) override;
  void eval_batch(const data::Batch& batch, Logs& values) override;
  // {"d_done": discriminator steps since the last generator step, "last_g_loss": its loss}.
  io::Json state_dict() const override;
  void load_state_dict(const io::Json& state) override;
  const std::shared_ptr<nn::GAN>& model() const { return model_; }

 private:
  std::shared_ptr<nn::GAN> model_;
  optim::Optimizer& g_opt_;
  optim::Optimizer& d_opt_;
  GANOptions options_;
  TrainState* state_ = nullptr;
  std::unique_ptr<Stepper> g_stepper_, d_stepper_;
  int64_t d_done_ = 0;
  double last_g_loss_ = 0;
};

}  // namespace strata::train
