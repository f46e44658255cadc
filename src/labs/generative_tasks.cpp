// The generative labs' shared helpers (generative_tasks.h).
#include "labs/generative_tasks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/data/dataset.h"
#include "strata/data/ring_of_gaussians.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/generative.h"
#include "strata/nn/linear.h"
#include "strata/ops/creation.h"
#include "strata/optim/adam.h"
#include "strata/train/tasks.h"

namespace strata::labs::generative {

namespace {

std::vector<double> flat(const Tensor& t) { return t.detach().to(kFloat64).contiguous().to_vector<double>(); }

}  // namespace

Manifold manifold(int64_t n, int64_t intrinsic, int64_t ambient, uint64_t seed, uint64_t stream) {
  STRATA_CHECK(n > 0 && intrinsic > 0 && ambient > 0, "[labs::manifold] need positive sizes, got n=", n,
               " intrinsic=", intrinsic, " ambient=", ambient);
  Generator map_gen(seed);
  std::vector<double> w(static_cast<size_t>(ambient * intrinsic)), b(static_cast<size_t>(ambient));
  for (double& v : w) v = map_gen.normal_double();
  // Every output's frequency vector has length 1.5: a random direction, but the same curvature for every seed.
  for (int64_t j = 0; j < ambient; ++j) {
    double norm = 0;
    for (int64_t k = 0; k < intrinsic; ++k)
      norm += w[static_cast<size_t>(j * intrinsic + k)] * w[static_cast<size_t>(j * intrinsic + k)];
    for (int64_t k = 0; k < intrinsic; ++k) w[static_cast<size_t>(j * intrinsic + k)] *= 1.5 / std::sqrt(norm);
  }
  for (double& v : b) v = 2 * std::numbers::pi * map_gen.uniform_double();
  Generator gen(seed * 1000003 + stream + 1);
  std::vector<float> x, z;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> zi(static_cast<size_t>(intrinsic));
    for (double& v : zi) v = 2 * gen.uniform_double() - 1;
    for (double v : zi) z.push_back(static_cast<float>(v));
    for (int64_t j = 0; j < ambient; ++j) {
      double a = b[static_cast<size_t>(j)];
      for (int64_t k = 0; k < intrinsic; ++k)
        a += w[static_cast<size_t>(j * intrinsic + k)] * zi[static_cast<size_t>(k)];
      x.push_back(static_cast<float>(std::sin(a)));
    }
  }
  return {from_vector(x, {n, ambient}), from_vector(z, {n, intrinsic})};
}

double mse(const Tensor& a, const Tensor& b) {
  std::vector<double> va = flat(a), vb = flat(b);
  STRATA_CHECK(va.size() == vb.size() && !va.empty(), "[labs::mse] sizes differ: ", va.size(), " vs ", vb.size());
  double s = 0;
  for (size_t i = 0; i < va.size(); ++i) s += (va[i] - vb[i]) * (va[i] - vb[i]);
  return s / static_cast<double>(va.size());
}

std::vector<double> nearest_distances(const Tensor& points, const Tensor& reference) {
  STRATA_CHECK(points.dim() == 2 && reference.dim() == 2 && points.size(1) == reference.size(1),
               "[labs::nearest_distances] need (N, D) and (M, D), got ", points.shape(), " and ", reference.shape());
  const size_t d = static_cast<size_t>(points.size(1));
  std::vector<double> p = flat(points), r = flat(reference);
  const size_t n = p.size() / d, m = r.size() / d;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    double best = 1e300;
    for (size_t j = 0; j < m; ++j) {
      double s = 0;
      for (size_t k = 0; k < d && s < best; ++k) s += (p[i * d + k] - r[j * d + k]) * (p[i * d + k] - r[j * d + k]);
      best = std::min(best, s);
    }
    out[i] = std::sqrt(best);
  }
  return out;
}

double mean_nearest_distance(const Tensor& points, const Tensor& reference) {
  std::vector<double> d = nearest_distances(points, reference);
  double total = 0;
  for (double v : d) total += v;
  return total / static_cast<double>(d.size());
}

train::History fit_task_on(train::Task& task, const Tensor& x, int64_t batch_size, int64_t epochs, uint64_t seed) {
  data::DataLoaderOptions lo;
  lo.batch_size = batch_size;
  lo.shuffle = true;
  lo.seed = seed;
  lo.prefetch = false;
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x, x), lo);
  train::FitOptions fo;
  fo.epochs = epochs;
  fo.metrics = {};
  return train::fit_task(task, loader, fo);
}

std::shared_ptr<nn::Autoencoder> make_autoencoder(int64_t in, int64_t hidden, int64_t code) {
  auto enc = std::make_shared<nn::Sequential>();
  enc->push_back(std::make_shared<nn::Linear>(in, hidden));
  enc->push_back(std::make_shared<nn::ReLU>());
  enc->push_back(std::make_shared<nn::Linear>(hidden, hidden));
  enc->push_back(std::make_shared<nn::ReLU>());
  enc->push_back(std::make_shared<nn::Linear>(hidden, code));
  auto dec = std::make_shared<nn::Sequential>();
  dec->push_back(std::make_shared<nn::Linear>(code, hidden));
  dec->push_back(std::make_shared<nn::ReLU>());
  dec->push_back(std::make_shared<nn::Linear>(hidden, hidden));
  dec->push_back(std::make_shared<nn::ReLU>());
  dec->push_back(std::make_shared<nn::Linear>(hidden, in));
  return std::make_shared<nn::Autoencoder>(enc, dec);
}

Tensor ring_centers() { return diag::ring_centers(data::RingOfGaussians::kModes, data::RingOfGaussians::kRadius); }

bool has_finding(const std::vector<diag::Finding>& findings, const std::string& id) {
  return std::any_of(findings.begin(), findings.end(), [&](const diag::Finding& f) { return f.id == id; });
}

RingGan train_ring_gan(const RingGanOptions& o, uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  manual_seed(seed);
  auto g = std::make_shared<nn::Sequential>();
  g->push_back(std::make_shared<nn::Linear>(o.noise_dim, o.hidden));
  g->push_back(std::make_shared<nn::ReLU>());
  g->push_back(std::make_shared<nn::Linear>(o.hidden, o.hidden));
  g->push_back(std::make_shared<nn::ReLU>());
  g->push_back(std::make_shared<nn::Linear>(o.hidden, 2));
  auto d = std::make_shared<nn::Sequential>();
  d->push_back(std::make_shared<nn::Linear>(2, o.hidden));
  d->push_back(std::make_shared<nn::ReLU>());
  if (o.remedy) d->push_back(std::make_shared<nn::MinibatchStdDev>());
  d->push_back(std::make_shared<nn::Linear>(o.hidden + (o.remedy ? 1 : 0), 1));
  auto gan = std::make_shared<nn::GAN>(g, d, std::vector<int64_t>{o.noise_dim});
  optim::Adam g_opt(gan->generator().parameters(), {.lr = o.lr, .beta1 = 0.5});
  optim::Adam d_opt(gan->discriminator().parameters(), {.lr = o.lr, .beta1 = 0.5});
  train::GANTask task(gan, g_opt, d_opt, {.label_smoothing = o.remedy ? 0.1 : 0.0});

  auto ring = std::make_shared<data::RingOfGaussians>(o.data_size, seed, data::RingOfGaussians::kModes,
                                                      data::RingOfGaussians::kRadius, o.ring_std);
  const Tensor centers = ring->centers();
  const double std = ring->noise_std();
  const int64_t m = std::min<int64_t>(300, o.samples);
  const Tensor real = ring->inputs().narrow(0, 0, m);
  const double real_div = diag::sample_diversity(real);
  auto draw = [gan, n = o.samples, seed] {
    NoGradGuard no_grad;
    Generator gen(seed + 17);
    const bool was_training = gan->is_training();
    gan->eval();
    Tensor fake = gan->sample(n, &gen);
    gan->train(was_training);
    return fake;
  };
  auto probe = [=] {
    diag::SampleCheck c;
    Tensor fake = draw();
    const diag::ModeCoverage mc = diag::mode_coverage(fake, centers, std);
    c.samples = fake.size(0);
    c.modes = mc.num_modes;
    c.modes_covered = mc.modes_covered;
    c.high_quality = mc.high_quality_fraction;
    c.diversity_ratio = diag::sample_diversity(fake.narrow(0, 0, m)) / real_div;
    return c;
  };

  data::DataLoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.shuffle = true;
  lo.seed = seed;
  lo.prefetch = false;
  data::DataLoader loader(ring, lo);
  train::FitOptions fo;
  fo.epochs = o.epochs;
  fo.metrics = {};
  std::shared_ptr<diag::Doctor> doctor;
  if (o.doctor) {
    diag::DoctorOptions dopt;
    dopt.out = nullptr;
    dopt.sample_probe = probe;
    diag::DoctorContext ctx;
    ctx.task = "gan";
    ctx.loss = "bce_with_logits";
    ctx.optimizer = "adam";
    ctx.lr = o.lr;
    doctor = std::make_shared<diag::Doctor>(dopt, ctx);
    fo.callbacks.push_back(doctor);
  }
  RingGan r;
  r.history = train::fit_task(task, loader, fo);
  r.samples = draw();
  r.coverage = diag::mode_coverage(r.samples, centers, std);
  r.diversity_ratio = diag::sample_diversity(r.samples.narrow(0, 0, m)) / real_div;
  if (doctor) {
    r.findings = doctor->findings();
    r.checks = doctor->monitor().record().sample_checks;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace strata::labs::generative
