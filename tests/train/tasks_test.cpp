// Training tasks: autoencoder, VAE and GAN through fit_task, the VAE's loss terms, and a Stepper with its own
// optimizer over a shared TrainState.
#include <gtest/gtest.h>

#include <cmath>

#include "train_test_util.h"

namespace strata::train {
namespace {

std::shared_ptr<nn::Sequential> mlp(std::initializer_list<int64_t> sizes, bool sigmoid_out = false) {
  auto s = std::make_shared<nn::Sequential>();
  std::vector<int64_t> v(sizes);
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    s->push_back(std::make_shared<nn::Linear>(v[i], v[i + 1]));
    if (i + 2 < v.size()) s->push_back(std::make_shared<nn::ReLU>());
  }
  if (sigmoid_out) s->push_back(std::make_shared<nn::Sigmoid>());
  return s;
}

// Points near a 2-D line embedded in 8-D: an autoencoder with a 2-D bottleneck can reconstruct them.
data::DatasetPtr low_rank_data(int64_t n, uint64_t seed) {
  Generator wgen(99), gen(seed);  // one embedding for every split
  Tensor w = randn({2, 8}, {}, &wgen);
  Tensor z = randn({n, 2}, {}, &gen);
  Tensor x = sigmoid(matmul(z, w));
  return std::make_shared<data::TensorDataset>(x, zeros({n}, kInt64));
}

TEST(Tasks, AutoencoderLearnsToReconstruct) {
  manual_seed(0);
  auto ae = std::make_shared<nn::Autoencoder>(mlp({8, 16, 2}), mlp({2, 16, 8}, true));
  optim::Adam opt(ae->parameters(), {.lr = 1e-2});
  AutoencoderTask task(ae, opt, {.loss = "mse"});
  data::DataLoader loader(low_rank_data(256, 3), 32, true, 0);
  data::DataLoader val(low_rank_data(64, 4), 64, false);
  FitOptions fo;
  fo.epochs = 30;
  History h = fit_task(task, loader, fo, &val);
  const auto losses = h.values("loss");
  EXPECT_LT(losses.back(), 0.25 * losses.front());
  EXPECT_LT(h.epochs.back().at("val_loss"), 0.01);
  EXPECT_EQ(h.global_step, 30 * 8);
  EXPECT_TRUE(h.epochs.back().count("lr"));
}

TEST(Tasks, AutoencoderAccumulatesLikeFit) {
  // Two micro-batches of 16 with accumulation 2 take the step one batch of 32 takes.
  manual_seed(1);
  auto a = std::make_shared<nn::Autoencoder>(mlp({8, 4}), mlp({4, 8}));
  manual_seed(1);
  auto b = std::make_shared<nn::Autoencoder>(mlp({8, 4}), mlp({4, 8}));
  optim::SGD oa(a->parameters(), {.lr = 0.1}), ob(b->parameters(), {.lr = 0.1});
  AutoencoderTask ta(a, oa), tb(b, ob);
  auto ds = low_rank_data(32, 5);
  data::DataLoader la(ds, 16, false), lb(ds, 32, false);
  FitOptions fa;
  fa.accumulation_steps = 2;
  History ha = fit_task(ta, la, fa);
  History hb = fit_task(tb, lb);
  EXPECT_EQ(ha.global_step, 1);
  const auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_LT(testing::max_abs_diff(pa[i], pb[i]), 1e-6);
}

TEST(Tasks, VAELossTermsByHand) {
  Tensor mu = tensor({{0.5, -1.0}, {0.0, 2.0}}, kFloat64);
  Tensor logvar = tensor({{0.0, 0.2}, {-0.5, 1.0}}, kFloat64);
  double kl = 0;
  const double m[4] = {0.5, -1.0, 0.0, 2.0}, lv[4] = {0.0, 0.2, -0.5, 1.0};
  for (int i = 0; i < 4; ++i) kl += -0.5 * (1 + lv[i] - m[i] * m[i] - std::exp(lv[i]));
  EXPECT_NEAR(nn::kl_divergence_normal(mu, logvar).item(), kl / 2, 1e-12);
  Tensor r = tensor({{0.2, 0.9}, {0.6, 0.1}}, kFloat64), t = tensor({{0.0, 1.0}, {1.0, 0.0}}, kFloat64);
  const double bce = -(std::log(0.8) + std::log(0.9) + std::log(0.6) + std::log(0.9));
  EXPECT_NEAR(nn::reconstruction_loss(r, t, "bce").item(), bce / 2, 1e-12);
  EXPECT_NEAR(nn::reconstruction_loss(r, t, "mse").item(), (0.04 + 0.01 + 0.16 + 0.01) / 2, 1e-12);
  EXPECT_THROW(nn::reconstruction_loss(r, t, "hinge"), Error);
  // KL is differentiable as written: gradcheck in float64.
  Tensor a = mu.clone().requires_grad_(), b = logvar.clone().requires_grad_();
  auto rep = gradcheck([](const TensorList& in) { return nn::kl_divergence_normal(in[0], in[1]); }, {a, b});
  EXPECT_TRUE(rep.passed) << rep.message;
}

TEST(Tasks, VAEReparameterisesAndTrains) {
  manual_seed(2);
  auto vae = std::make_shared<nn::VAE>(mlp({8, 16, 4}), mlp({2, 16, 8}, true), 2);
  Tensor x = low_rank_data(4, 6)->get_batch(arange(4.0, kInt64)).input;
  // z = mu + exp(logvar / 2) * eps exactly, and eval mode uses z = mu.
  Tensor eps = randn({4, 2});
  nn::VAEOutput o = vae->forward_vae(x, eps);
  EXPECT_LT(testing::max_abs_diff(o.z, add(o.mu, mul(exp(mul(o.logvar, 0.5)), eps))), 1e-6);
  vae->eval();
  EXPECT_LT(testing::max_abs_diff(vae->forward_vae(x).z, o.mu), 1e-6);
  vae->train();
  EXPECT_THROW(vae->forward_vae(x, randn({4, 3})), Error);
  EXPECT_EQ(vae->sample(5).shape(), Shape({5, 8}));

  optim::Adam opt(vae->parameters(), {.lr = 1e-2});
  VAETask task(vae, opt, {.recon_loss = "bce", .beta = 1.0});
  data::DataLoader loader(low_rank_data(256, 7), 32, true, 0);
  FitOptions fo;
  fo.epochs = 15;
  History h = fit_task(task, loader, fo);
  const auto loss = h.values("loss"), recon = h.values("recon"), kl = h.values("kl");
  EXPECT_LT(loss.back(), loss.front());
  for (size_t i = 0; i < loss.size(); ++i) EXPECT_NEAR(loss[i], recon[i] + kl[i], 1e-3 * std::abs(loss[i]));
  EXPECT_GT(kl.back(), 0.0);
}

TEST(Tasks, GANStepsBothOptimizersAndCountsDSteps) {
  manual_seed(3);
  auto gan = std::make_shared<nn::GAN>(mlp({4, 16, 2}), mlp({2, 16, 1}), std::vector<int64_t>{4});
  optim::Adam g(gan->generator().parameters(), {.lr = 1e-3}), d(gan->discriminator().parameters(), {.lr = 1e-3});
  GANTask task(gan, g, d, {.d_steps = 2, .label_smoothing = 0.1});
  Tensor real = add(mul(randn({64, 2}), 0.1), 2.0);
  data::DataLoader loader(std::make_shared<data::TensorDataset>(real, zeros({64}, kInt64)), 16, true, 0);
  const Tensor g0 = gan->generator().parameters()[0].clone(), d0 = gan->discriminator().parameters()[0].clone();
  // Count which optimizer each step hook sees.
  struct Count : Callback {
    optim::Optimizer* g = nullptr;
    int gs = 0, ds = 0;
    void on_before_step(TrainState& s) override { (s.optimizer == g ? gs : ds)++; }
  };
  auto count = std::make_shared<Count>();
  count->g = &g;
  FitOptions fo;
  fo.epochs = 2;
  fo.callbacks = {count};
  History h = fit_task(task, loader, fo);
  EXPECT_EQ(count->ds, 8);  // one D step per batch, 4 batches x 2 epochs
  EXPECT_EQ(count->gs, 4);  // one G step per 2 D steps
  EXPECT_EQ(h.global_step, 12);
  EXPECT_GT(testing::max_abs_diff(g0, gan->generator().parameters()[0]), 0.0);
  EXPECT_GT(testing::max_abs_diff(d0, gan->discriminator().parameters()[0]), 0.0);
  for (const char* k : {"loss", "d_loss", "g_loss", "d_real", "d_fake"}) EXPECT_TRUE(h.epochs.back().count(k)) << k;
  EXPECT_THROW(GANTask(gan, g, g), Error);
  EXPECT_THROW(GANTask(gan, g, d, {.generator_loss = "wasserstein"}), Error);
}

TEST(Tasks, GANLearnsAOneDimensionalGaussian) {
  // Real data N(3, 0.5^2): the generator's samples move from around 0 to the data's mean.
  manual_seed(4);
  auto gan = std::make_shared<nn::GAN>(mlp({2, 16, 1}), mlp({1, 32, 1}), std::vector<int64_t>{2});
  optim::Adam g(gan->generator().parameters(), {.lr = 2e-3, .beta1 = 0.5});
  optim::Adam d(gan->discriminator().parameters(), {.lr = 2e-3, .beta1 = 0.5});
  GANTask task(gan, g, d);
  Tensor real = add(mul(randn({512, 1}), 0.5), 3.0);
  data::DataLoader loader(std::make_shared<data::TensorDataset>(real, zeros({512}, kInt64)), 64, true, 0);
  FitOptions fo;
  fo.epochs = 100;
  fit_task(task, loader, fo);
  NoGradGuard no_grad;
  const double m = mean(gan->sample(1000)).item();
  EXPECT_NEAR(m, 3.0, 0.5);
}

}  // namespace
}  // namespace strata::train
