// Lab 192, variational autoencoder: nn::VAE on 16-D data lying on a curved 2-D surface (train::VAETask), the
// loss as reconstruction + KL over training, samples decoded from the prior N(0, I) against a plain
// autoencoder's decoder fed the same prior samples, and a walk between two points in the latent space.
#include <algorithm>
#include <cmath>

#include "labs/generative_tasks.h"
#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/linear.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/optim/adam.h"
#include "strata/train/tasks.h"

namespace strata::labs {

namespace variational_autoencoder_lab {

constexpr int64_t kAmbient = 16;
constexpr int64_t kLatent = 2;
constexpr int64_t kHidden = 64;

nn::ModulePtr mlp3(int64_t in, int64_t out) {
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(in, kHidden));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(kHidden, kHidden));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(kHidden, out));
  return m;
}

// Largest step between neighbouring rows over the mean step.
double step_unevenness(const Tensor& path) {
  std::vector<double> v = kit::values(path.reshape({-1}));
  const size_t d = static_cast<size_t>(path.size(1)), n = v.size() / d;
  double mx = 0, sum = 0;
  for (size_t i = 1; i < n; ++i) {
    double s = 0;
    for (size_t k = 0; k < d; ++k) s += (v[i * d + k] - v[(i - 1) * d + k]) * (v[i * d + k] - v[(i - 1) * d + k]);
    mx = std::max(mx, std::sqrt(s));
    sum += std::sqrt(s);
  }
  return mx / (sum / static_cast<double>(n - 1));
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t n = lab.pick<int64_t>(4096, 4096);
  const int64_t epochs = lab.pick<int64_t>(60, 40);
  Tensor x = generative::manifold(n, kLatent, kAmbient, lab.seed(), 0).x;
  Tensor reference = generative::manifold(lab.pick<int64_t>(4000, 2000), kLatent, kAmbient, lab.seed(), 1).x;
  generative::Manifold other_set = generative::manifold(500, kLatent, kAmbient, lab.seed(), 2);
  Tensor other = other_set.x;
  lab.note("Data: " + std::to_string(n) +
           " points x = sin(W z + b) in 16 dimensions, z uniform in [-1, 1]^2 (a curved 2-D surface). VAE: "
           "encoder 16 -> 64 -> 64 -> (mu, log sigma^2) of a 2-D latent, decoder 2 -> 64 -> 64 -> 16, ReLU; loss = "
           "squared error summed over the 16 values + 0.1 x KL to N(0, I) (a beta-VAE: with beta 1, the summed squared "
           "error stands for a noise variance of 0.5, too coarse for data whose mean square is 0.47, and samples "
           "blur); Adam lr 2e-3, batch 64, " +
           std::to_string(epochs) + " epochs. The plain autoencoder has the same layers, a 2-number code and MSE.");

  lab.heading("The VAE's loss: reconstruction + KL");
  manual_seed(lab.seed());
  auto vae = std::make_shared<nn::VAE>(mlp3(kAmbient, 2 * kLatent), mlp3(kLatent, kAmbient), kLatent);
  optim::Adam opt(vae->parameters(), {.lr = 2e-3});
  const double beta = 0.1;
  train::VAETask task(vae, opt, {.recon_loss = "mse", .beta = beta});
  train::History h = generative::fit_task_on(task, x, 64, epochs, lab.seed());
  std::vector<double> loss = h.values("loss"), recon = h.values("recon"), kl = h.values("kl");
  std::vector<double> ep = kit::iota(loss.size(), 1);
  lab.line_plot({"VAE loss per example (epoch means)", "epoch", "nats / squared error"},
                {{"total", ep, loss}, {"reconstruction", ep, recon}, {"KL(q(z|x) || N(0, I))", ep, kl, true}});
  std::vector<std::vector<std::string>> rows;
  for (size_t i : {size_t{0}, loss.size() / 4, loss.size() / 2, loss.size() - 1}) {
    rows.push_back({std::to_string(i + 1), fmt(loss[i]), fmt(recon[i]), fmt(kl[i])});
  }
  lab.table("", {"epoch", "total", "reconstruction", "KL"}, rows);
  lab.claim("the reconstruction term falls at least 5x while the KL term ends above 1 nat (the latent code is used)",
            recon.back() * 5 <= recon.front() && kl.back() > 1,
            "reconstruction " + fmt(recon.front()) + " -> " + fmt(recon.back()) + ", KL " + fmt(kl.front()) + " -> " +
                fmt(kl.back()));
  lab.note(
      "Within the first epochs the reconstruction term falls as the encoder starts to describe each point by "
      "its code, which costs KL: the code distributions move away from N(0, I). The two then settle in a "
      "balance; the KL keeps the codes packed around the origin like N(0, I).");

  manual_seed(lab.seed());
  auto ae = generative::make_autoencoder(kAmbient, kHidden, kLatent);
  optim::Adam ae_opt(ae->parameters(), {.lr = 2e-3});
  train::AutoencoderTask ae_task(ae, ae_opt, {.loss = "mse"});
  generative::fit_task_on(ae_task, x, 64, epochs, lab.seed());

  lab.heading("Decoding samples of the prior N(0, I)");
  Generator gen(lab.seed() + 5);
  Tensor z = randn({500, kLatent}, {}, &gen);
  Tensor vae_samples = kit::predict(vae->decoder(), z);
  Tensor ae_samples = kit::predict(ae->decoder(), z);
  // Precision: how far samples are from the data; coverage: how far data are from the samples.
  const double base_prec = generative::mean_nearest_distance(other, reference);
  const double vae_prec = generative::mean_nearest_distance(vae_samples, reference);
  const double ae_prec = generative::mean_nearest_distance(ae_samples, reference);
  auto off_share = [&](const Tensor& t) {
    std::vector<double> d = generative::nearest_distances(t, reference);
    return static_cast<double>(std::count_if(d.begin(), d.end(), [&](double v) { return v > 5 * base_prec; })) /
           static_cast<double>(d.size());
  };
  const double vae_off = off_share(vae_samples), ae_off = off_share(ae_samples), real_off = off_share(other);
  const double base_cov = generative::mean_nearest_distance(reference.narrow(0, 0, 500), other);
  const double vae_cov = generative::mean_nearest_distance(reference.narrow(0, 0, 500), vae_samples);
  const double ae_cov = generative::mean_nearest_distance(reference.narrow(0, 0, 500), ae_samples);
  double code_rms = 0;
  {
    std::vector<double> cv = kit::values(kit::predict(ae->encoder(), reference).reshape({-1}));
    for (double v : cv) code_rms += v * v / static_cast<double>(cv.size());
    code_rms = std::sqrt(code_rms);
  }
  const double real_div = diag::sample_diversity(other.narrow(0, 0, 300));
  lab.table(
      "500 decoded prior samples against " + std::to_string(reference.size(0)) +
          " data points (off the surface: farther from every data point than 5x the yardstick's mean)",
      {"", "sample -> nearest data point", "off the surface", "data point -> nearest sample", "diversity / data's"},
      {{"500 more real data points (the yardstick)", fmt(base_prec), pct(real_off), fmt(base_cov), "1"},
       {"VAE decoder", fmt(vae_prec), pct(vae_off), fmt(vae_cov),
        fmt(diag::sample_diversity(vae_samples.narrow(0, 0, 300)) / real_div, 2)},
       {"plain autoencoder's decoder", fmt(ae_prec), pct(ae_off), fmt(ae_cov),
        fmt(diag::sample_diversity(ae_samples.narrow(0, 0, 300)) / real_div, 2)}});
  lab.claim(
      "the plain autoencoder's decoder puts at least 5% of prior samples off the data surface, and at least 4x "
      "the VAE's share",
      ae_off >= 0.05 && ae_off >= 4 * vae_off, "plain " + pct(ae_off) + ", VAE " + pct(vae_off));
  lab.claim("on average, VAE prior samples lie closer to the data than the plain autoencoder's", vae_prec < ae_prec,
            fmt(vae_prec) + " vs " + fmt(ae_prec) + " (" + kit::times(vae_prec / ae_prec) + ")");
  lab.note("The plain autoencoder's codes here have root mean square " + fmt(code_rms) +
           " (N(0, I)'s is 1): nothing made them so, and how well N(0, I) overlaps them varies from seed to "
           "seed, so the average gap varies too. The failures are in the tails, prior samples "
           "outside the region its codes filled, which it decodes to points off the surface. The KL term makes "
           "the VAE's codes fill N(0, I) itself.");

  lab.heading("A walk through the latent space");
  // The walk's ends: the two points of `other` nearest to opposite corners of the surface's coordinates.
  std::vector<double> zc = kit::values(other_set.z.reshape({-1}));
  int64_t a = 0, b = 0;
  for (int64_t i = 0; i < other.size(0); ++i) {
    double si = zc[static_cast<size_t>(2 * i)] + zc[static_cast<size_t>(2 * i + 1)];
    if (si > zc[static_cast<size_t>(2 * a)] + zc[static_cast<size_t>(2 * a + 1)]) a = i;
    if (si < zc[static_cast<size_t>(2 * b)] + zc[static_cast<size_t>(2 * b + 1)]) b = i;
  }
  Tensor ends = stack({other.select(0, a), other.select(0, b)});
  auto [mu, logvar] = [&] {
    NoGradGuard no_grad;
    vae->eval();
    auto r = vae->encode(ends);
    vae->train();
    return r;
  }();
  std::vector<Tensor> zs, xs;
  const int64_t steps = 11;
  for (int64_t i = 0; i < steps; ++i) {
    double t = static_cast<double>(i) / static_cast<double>(steps - 1);
    zs.push_back(add(mul(mu.select(0, 0), 1 - t), mul(mu.select(0, 1), t)));
    xs.push_back(add(mul(other.select(0, a), 1 - t), mul(other.select(0, b), t)));
  }
  Tensor walk = kit::predict(vae->decoder(), stack(zs));
  Tensor straight = stack(xs);
  std::vector<double> walk_off, straight_off;
  for (int64_t i = 0; i < steps; ++i) {
    walk_off.push_back(generative::mean_nearest_distance(walk.narrow(0, i, 1), reference));
    straight_off.push_back(generative::mean_nearest_distance(straight.narrow(0, i, 1), reference));
  }
  std::vector<double> tx;
  for (int64_t i = 0; i < steps; ++i) tx.push_back(static_cast<double>(i) / static_cast<double>(steps - 1));
  lab.line_plot({"Distance to the nearest data point along the path", "t (0: point A, 1: point B)", "distance"},
                {{"decode((1 - t) mu_A + t mu_B)", tx, walk_off}, {"(1 - t) x_A + t x_B", tx, straight_off, true}});
  std::vector<std::vector<double>> img;
  for (int64_t i = 0; i < steps; ++i) img.push_back(kit::values(walk.select(0, i)));
  lab.heatmap({"The decoded walk: one row per step (16 values each)", "dimension", "step"}, img);
  const double walk_max = *std::max_element(walk_off.begin(), walk_off.end());
  const double straight_max = *std::max_element(straight_off.begin(), straight_off.end());
  const double uneven = step_unevenness(walk);
  lab.claim(
      "the latent walk stays nearer the data than the straight line between the two points in data space "
      "(farthest point < 0.7x)",
      walk_max < 0.7 * straight_max, fmt(walk_max) + " vs " + fmt(straight_max));
  lab.claim("the decoded walk moves in even steps (largest step < 3x the mean step)", uneven < 3,
            "largest / mean step " + fmt(uneven));
}

}  // namespace variational_autoencoder_lab

Lab lab_variational_autoencoder() {
  return {192,
          "variational_autoencoder",
          "Variational autoencoder",
          "A variational autoencoder's encoder outputs a distribution over codes (a mean and a variance) instead of "
          "one code; training samples a code from it, decodes, and adds to the reconstruction error the KL "
          "divergence of that distribution from N(0, I). The KL term packs the codes of all the data into the "
          "shape of N(0, I), so decoding a random N(0, I) sample gives something like the data: the VAE is a "
          "generative model.",
          "the loss plot (reconstruction falling, KL rising then settling), the table of prior samples (the VAE's "
          "lie near the data with almost none off the surface; the plain autoencoder's put roughly 10-25% off it), "
          "and the latent walk plot: "
          "decoded points stay on the data surface where a straight line in data space leaves it.",
          variational_autoencoder_lab::run};
}

}  // namespace strata::labs
