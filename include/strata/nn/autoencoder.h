#pragma once
// Autoencoders: an encoder that squeezes the input through a bottleneck and a decoder that rebuilds it
// (nn::Autoencoder), and the variational autoencoder (nn::VAE) whose encoder outputs a Gaussian over the
// latent space, sampled with the reparameterisation trick. state_dict keys: "encoder.<...>", "decoder.<...>".
//
//   auto ae = std::make_shared<nn::Autoencoder>(encoder, decoder);
//   Tensor code = ae->encode(x);          // (N, ...) -> the bottleneck features
//   Tensor recon = (*ae)(x);              // decoder(encoder(x))
//
//   nn::VAE vae(encoder, decoder, /*latent_dim=*/16);   // encoder: (N, ...) -> (N, 2 * 16) = [mu | logvar]
//   nn::VAEOutput o = vae.forward_vae(x);              // o.recon, o.mu, o.logvar, o.z
//   Tensor loss = nn::vae_loss(o, x, "bce", /*beta=*/1.0).total;
#include <cstdint>
#include <memory>
#include <string>

#include "strata/core/generator.h"
#include "strata/nn/module.h"

namespace strata::nn {

class Autoencoder : public Module {
 public:
  Autoencoder(ModulePtr encoder, ModulePtr decoder);
  std::string type_name() const override { return "Autoencoder"; }
  // x: (N, ...) -> the reconstruction, decoder(encoder(x)).
  Tensor forward(const Tensor& x) override;
  Tensor encode(const Tensor& x) { return (*encoder_)(x); }
  Tensor decode(const Tensor& code) { return (*decoder_)(code); }
  Module& encoder() { return *encoder_; }
  Module& decoder() { return *decoder_; }

 private:
  ModulePtr encoder_, decoder_;
};

struct VAEOutput {
  Tensor recon;   // decoder(z), the input's shape
  Tensor mu;      // (N, latent_dim)
  Tensor logvar;  // (N, latent_dim), log sigma^2
  Tensor z;       // (N, latent_dim) = mu + exp(logvar / 2) * eps
};

class VAE : public Module {
 public:
  // encoder: (N, ...) -> (N, 2 * latent_dim), read as [mu | logvar]; decoder: (N, latent_dim) -> (N, ...).
  VAE(ModulePtr encoder, ModulePtr decoder, int64_t latent_dim);
  std::string type_name() const override { return "VAE"; }
  std::string extra_repr() const override { return "latent_dim=" + std::to_string(latent_dim_); }
  // Training: z = mu + sigma * eps with eps ~ N(0, 1) from `gen` (the default generator when null) or the given
  // eps (N, latent_dim); evaluation mode uses z = mu. Returns the reconstruction, mu, logvar and z.
  VAEOutput forward_vae(const Tensor& x, const Tensor& eps = Tensor(), Generator* gen = nullptr);
  // The reconstruction (forward_vae(x).recon).
  Tensor forward(const Tensor& x) override { return forward_vae(x).recon; }
  // (N, ...) -> (mu, logvar), each (N, latent_dim).
  std::pair<Tensor, Tensor> encode(const Tensor& x);
  Tensor decode(const Tensor& z) { return (*decoder_)(z); }
  // n samples decoded from z ~ N(0, I).
  Tensor sample(int64_t n, Generator* gen = nullptr);
  int64_t latent_dim() const { return latent_dim_; }
  Module& encoder() { return *encoder_; }
  Module& decoder() { return *decoder_; }

 private:
  ModulePtr encoder_, decoder_;
  int64_t latent_dim_;
};

// A reconstruction loss summed over each example's elements and averaged over the batch, as VAEs use it:
// "bce" (binary cross-entropy on probabilities in [0, 1]), "bce_logits" (on logits) or "mse" (squared error).
Tensor reconstruction_loss(const Tensor& recon, const Tensor& target, const std::string& kind);

// KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar)), summed over the latent dims and
// averaged over the batch. mu, logvar: (N, latent_dim).
Tensor kl_divergence_normal(const Tensor& mu, const Tensor& logvar);

struct VAELoss {
  Tensor total;  // recon + beta * kl: the negative ELBO per example (for beta = 1)
  Tensor recon;
  Tensor kl;
};
VAELoss vae_loss(const VAEOutput& out, const Tensor& target, const std::string& recon_kind, double beta = 1.0);

}  // namespace strata::nn
