// Lab 193, GAN: a small generator and discriminator on the 8-Gaussian ring (train::GANTask), the two losses
// over training, the modes the samples cover (diag::mode_coverage, VEEGAN's measure) and a scatter of samples.
#include <algorithm>

#include "labs/generative_tasks.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"

namespace strata::labs {

namespace gan_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  generative::RingGanOptions o;
  o.remedy = true;
  o.ring_std = 0.05;
  o.lr = 2e-3;
  o.epochs = lab.pick<int64_t>(60, 25);
  lab.note("Data: " + std::to_string(o.data_size) +
           " points from 8 Gaussians on a circle of radius 2, each of std 0.05 (the benchmark's 0.02 needs many "
           "more steps for sharp clusters). Generator: " +
           std::to_string(o.noise_dim) + "-D noise -> " + std::to_string(o.hidden) + " -> ReLU -> " +
           std::to_string(o.hidden) + " -> ReLU -> 2. Discriminator: 2 -> " + std::to_string(o.hidden) +
           " -> ReLU -> minibatch std -> 1 logit. Adam lr 2e-3, betas (0.5, 0.999), batch " +
           std::to_string(o.batch_size) + ", one-sided label smoothing 0.1, " + std::to_string(o.epochs) +
           " epochs of " + std::to_string(o.data_size / o.batch_size) + " steps.");
  generative::RingGan r = generative::train_ring_gan(o, lab.seed());

  lab.heading("The two players' losses");
  std::vector<double> d_loss = r.history.values("d_loss"), g_loss = r.history.values("g_loss");
  std::vector<double> d_real = r.history.values("d_real"), d_fake = r.history.values("d_fake");
  std::vector<double> ep = kit::iota(d_loss.size(), 1);
  lab.line_plot({"Discriminator and generator loss (epoch means)", "epoch", "loss"},
                {{"D loss", ep, d_loss}, {"G loss", ep, g_loss}});
  lab.line_plot({"Mean D(x): real vs generated", "epoch", "probability"},
                {{"D(real)", ep, d_real}, {"D(G(z))", ep, d_fake, true}});
  std::vector<std::vector<std::string>> rows;
  for (size_t i : {size_t{0}, d_loss.size() / 4, d_loss.size() / 2, d_loss.size() - 1}) {
    const auto& c = r.checks[i];
    rows.push_back({std::to_string(i + 1), fmt(d_loss[i]), fmt(g_loss[i]), fmt(d_real[i], 2), fmt(d_fake[i], 2),
                    std::to_string(c.modes_covered) + " of 8", pct(c.high_quality), fmt(c.diversity_ratio, 2)});
  }
  lab.table("at a few epochs (modes and quality from " + std::to_string(o.samples) + " samples of fixed noise)",
            {"epoch", "D loss", "G loss", "D(real)", "D(fake)", "modes covered", "high quality", "diversity"}, rows);
  lab.note(
      "Neither loss falls to zero: each player's progress is the other's loss. D(real) and D(fake) stay apart "
      "but far from 1 and 0, a game in balance rather than a discriminator that has won.");

  lab.heading("What the generator learned");
  std::vector<double> covered, hq;
  for (const auto& c : r.checks) {
    covered.push_back(static_cast<double>(c.modes_covered));
    hq.push_back(8 * c.high_quality);
  }
  lab.line_plot({"Coverage over training", "epoch", "modes (of 8)"},
                {{"modes covered", ep, covered}, {"high-quality share x 8", ep, hq, true}});
  const std::vector<double> s = kit::values(r.samples.narrow(0, 0, 600).reshape({-1}));
  const Tensor centers = generative::ring_centers();
  std::vector<double> gx, gy, cx, cy;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    gx.push_back(s[i]);
    gy.push_back(s[i + 1]);
  }
  const std::vector<double> c = kit::values(centers.reshape({-1}));
  for (size_t i = 0; i + 1 < c.size(); i += 2) {
    cx.push_back(c[i]);
    cy.push_back(c[i + 1]);
  }
  Series gen_series{"600 generated samples", gx, gy};
  gen_series.markers_only = true;
  Series centre_series{"the 8 mode centres", cx, cy};
  centre_series.markers_only = true;
  lab.line_plot({"Generated samples", "x", "y"}, {gen_series, centre_series});
  rows.clear();
  for (size_t k = 0; k < r.coverage.counts.size(); ++k) {
    rows.push_back({std::to_string(k), std::to_string(r.coverage.assigned[k]), std::to_string(r.coverage.counts[k])});
  }
  lab.table("samples per mode (nearest centre; high quality: within 3 std = 0.15 of it)",
            {"mode", "samples", "high quality"}, rows);
  lab.value("training time", r.seconds, "s");

  lab.claim("the samples cover at least 6 of the 8 modes", r.coverage.modes_covered >= 6,
            std::to_string(r.coverage.modes_covered) + " of 8 (min " + std::to_string(r.coverage.min_count) +
                " high-quality samples each)");
  const double hq_min = lab.pick(0.35, 0.1);
  lab.claim("at least " + pct(hq_min, 0) + " of the samples are high quality (within 3 std of a mode)",
            r.coverage.high_quality_fraction >= hq_min, pct(r.coverage.high_quality_fraction));
  const double first_div = r.checks.front().diversity_ratio;
  lab.claim("the samples end as spread out as the data (diversity 0.8-1.2x) after a collapsed first epoch (< 0.8x)",
            r.diversity_ratio > 0.8 && r.diversity_ratio < 1.2 && first_div < 0.8,
            "epoch 1 " + fmt(first_div, 2) + "x, end " + fmt(r.diversity_ratio, 2) + "x");
}

}  // namespace gan_lab

Lab lab_gan() {
  return {193,
          "gan",
          "Generative adversarial network",
          "A GAN trains two networks against each other: a generator that turns random noise into samples, and a "
          "discriminator that tells real data from generated samples. The discriminator learns to spot fakes; the "
          "generator learns from the discriminator's gradient how to make its samples look more real. Neither "
          "ever sees a target for a given noise vector: the data's distribution is learned only through the game.",
          "the scatter (generated points sitting on the 8 centres) and the coverage plot: the generator starts "
          "collapsed, spreads to all modes, then sharpens them; the loss plot shows the two players in balance "
          "rather than a loss falling to zero.",
          gan_lab::run};
}

}  // namespace strata::labs
