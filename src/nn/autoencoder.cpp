// Autoencoder and VAE modules, and the VAE's loss terms.
#include "strata/nn/autoencoder.h"

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/losses.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata::nn {

Autoencoder::Autoencoder(ModulePtr encoder, ModulePtr decoder)
    : encoder_(std::move(encoder)), decoder_(std::move(decoder)) {
  STRATA_CHECK(encoder_ && decoder_, "[Autoencoder] the encoder and the decoder must not be null");
  register_module("encoder", encoder_);
  register_module("decoder", decoder_);
}

Tensor Autoencoder::forward(const Tensor& x) { return (*decoder_)((*encoder_)(x)); }

VAE::VAE(ModulePtr encoder, ModulePtr decoder, int64_t latent_dim)
    : encoder_(std::move(encoder)), decoder_(std::move(decoder)), latent_dim_(latent_dim) {
  STRATA_CHECK(encoder_ && decoder_, "[VAE] the encoder and the decoder must not be null");
  STRATA_CHECK(latent_dim >= 1, "[VAE] latent_dim must be >= 1, got ", latent_dim);
  register_module("encoder", encoder_);
  register_module("decoder", decoder_);
}

std::pair<Tensor, Tensor> VAE::encode(const Tensor& x) {
  Tensor h = (*encoder_)(x);
  STRATA_CHECK(h.dim() == 2 && h.size(1) == 2 * latent_dim_, "[VAE] the encoder must output (N, 2 * latent_dim) = (N, ",
               2 * latent_dim_, ") holding [mu | logvar], got ", h.shape());
  return {narrow(h, 1, 0, latent_dim_), narrow(h, 1, latent_dim_, latent_dim_)};
}

VAEOutput VAE::forward_vae(const Tensor& x, const Tensor& eps, Generator* gen) {
  VAEOutput o;
  std::tie(o.mu, o.logvar) = encode(x);
  if (is_training()) {
    // The reparameterisation trick: the noise is an input, so gradients flow to mu and logvar.
    Tensor e = eps;
    if (e.defined()) {
      STRATA_CHECK(e.shape() == o.mu.shape(), "[VAE] eps must have mu's shape ", o.mu.shape(), ", got ", e.shape());
    } else {
      NoGradGuard no_grad;
      e = randn(o.mu.shape(), TensorOptions(o.mu.dtype()).with_device(o.mu.device()), gen);
    }
    o.z = add(o.mu, mul(exp(mul(o.logvar, 0.5)), e));
  } else {
    o.z = o.mu;
  }
  o.recon = (*decoder_)(o.z);
  return o;
}

Tensor VAE::sample(int64_t n, Generator* gen) {
  STRATA_CHECK(n >= 1, "[VAE] sample: n must be >= 1, got ", n);
  Tensor z;
  {
    NoGradGuard no_grad;
    const std::vector<Tensor> p = parameters();
    z = randn(Shape({n, latent_dim_}),
              p.empty() ? TensorOptions(kFloat32) : TensorOptions(p[0].dtype()).with_device(p[0].device()), gen);
  }
  return decode(z);
}

Tensor reconstruction_loss(const Tensor& recon, const Tensor& target, const std::string& kind) {
  STRATA_CHECK(recon.shape() == target.shape(), "[reconstruction_loss] the reconstruction ", recon.shape(),
               " and the target ", target.shape(), " differ in shape");
  const double n = recon.dim() > 0 ? static_cast<double>(recon.size(0)) : 1.0;
  Tensor s;
  if (kind == "bce") {
    s = functional::binary_cross_entropy(recon, target, Tensor(), Reduction::Sum);
  } else if (kind == "bce_logits") {
    s = functional::binary_cross_entropy_with_logits(recon, target, Tensor(), Reduction::Sum);
  } else if (kind == "mse") {
    s = functional::mse_loss(recon, target, Reduction::Sum);
  } else {
    STRATA_FAIL("[reconstruction_loss] unknown kind \"", kind, "\" (expected \"bce\", \"bce_logits\" or \"mse\")");
  }
  return mul(s, 1.0 / n);
}

Tensor kl_divergence_normal(const Tensor& mu, const Tensor& logvar) {
  STRATA_CHECK(mu.shape() == logvar.shape() && mu.dim() == 2, "[kl_divergence_normal] expected mu and logvar of ",
               "one shape (N, latent_dim), got ", mu.shape(), " and ", logvar.shape());
  // -1/2 sum(1 + logvar - mu^2 - exp(logvar)) / N
  Tensor t = sub(sub(add(logvar, 1.0), mul(mu, mu)), exp(logvar));
  return mul(sum(t), -0.5 / static_cast<double>(mu.size(0)));
}

VAELoss vae_loss(const VAEOutput& out, const Tensor& target, const std::string& recon_kind, double beta) {
  STRATA_CHECK(beta >= 0, "[vae_loss] beta must be >= 0, got ", beta);
  VAELoss l;
  l.recon = reconstruction_loss(out.recon, target, recon_kind);
  l.kl = kl_divergence_normal(out.mu, out.logvar);
  l.total = beta == 1.0 ? add(l.recon, l.kl) : add(l.recon, l.kl, beta);
  return l;
}

}  // namespace strata::nn
