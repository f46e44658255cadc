// Generative-model training throughput on Fashion-MNIST (twins in bench/torch_bench.py). The training set is
// preloaded as float32 pixels; a step gathers its batch by index from a fixed permutation and runs the task's
// train_batch, as fit_task does:
// - vae.train_b128: an MLP VAE on pixels in [0, 1] flattened to (60000, 784): forward_vae with fresh noise,
//   vae_loss with BCE summed per example, backward, Adam step through train::Stepper;
// - dcgan.train_b64: pixels scaled to [-1, 1], (60000, 1, 28, 28): one discriminator step (real -> 1, detached
//   G(z) -> 0, BCE with logits) and one generator step on fresh noise (non-saturating loss), each an Adam step
//   through its own train::Stepper.
// Metrics: samples/s (real images per second) and the process's peak RSS (MiB).
#include <memory>
#include <vector>

#include "bench.h"
#include "strata/data/fashion_mnist.h"
#include "strata/nn/nn.h"
#include "strata/optim/adam.h"
#include "strata/strata.h"
#include "strata/train/tasks.h"

namespace {

using strata::Tensor;
namespace nn = strata::nn;
namespace train = strata::train;

template <class M, class... A>
nn::ModulePtr make(A&&... args) {
  return std::make_shared<M>(std::forward<A>(args)...);
}

// Times task.train_batch over batches of `batch` rows of x_all taken in the order of perm.
void time_task_steps(strata::bench::Context& ctx, train::Task& task, nn::Module& model, strata::optim::Optimizer& opt,
                     const Tensor& x_all, const Tensor& perm, int64_t batch) {
  train::TrainState st;
  st.model = &model;
  st.optimizer = &opt;
  st.batches_per_epoch = x_all.size(0) / batch;
  task.begin(st, {}, 1);
  model.train();
  int64_t pos = 0;
  train::Logs values;
  ctx.throughput("samples/s", static_cast<double>(batch), [&](int64_t steps) {
    for (int64_t i = 0; i < steps; ++i) {
      if (pos + batch > perm.size(0)) pos = 0;
      strata::data::Batch b;
      b.input = strata::index_select(x_all, 0, perm.slice(0, pos, pos + batch));
      pos += batch;
      task.train_batch(b, 0, st.batches_per_epoch, values);
    }
  });
  ctx.peak_rss();
}

STRATA_BENCHMARK(vae_train_b128, "vae.train_b128",
                 "MLP VAE 784-512-256-(2x20) / 20-256-512-784 Sigmoid, BCE (sum per example) + KL, Adam lr 1e-3, "
                 "batch 128, Fashion-MNIST pixels in [0, 1]: one training step") {
  constexpr int64_t batch = 128, latent = 20;
  strata::data::FashionMNIST train_set("", /*train=*/true, /*normalize=*/false);
  const Tensor x_all = train_set.inputs().reshape({-1, 784}).contiguous();
  strata::Generator gen(0);
  const Tensor perm = strata::randperm(x_all.size(0), &gen);

  auto encoder = std::make_shared<nn::Sequential>(
      std::initializer_list<nn::ModulePtr>{make<nn::Linear>(784, 512), make<nn::ReLU>(), make<nn::Linear>(512, 256),
                                           make<nn::ReLU>(), make<nn::Linear>(256, 2 * latent)});
  auto decoder = std::make_shared<nn::Sequential>(
      std::initializer_list<nn::ModulePtr>{make<nn::Linear>(latent, 256), make<nn::ReLU>(), make<nn::Linear>(256, 512),
                                           make<nn::ReLU>(), make<nn::Linear>(512, 784), make<nn::Sigmoid>()});
  auto vae = std::make_shared<nn::VAE>(encoder, decoder, latent);
  strata::optim::AdamOptions o;
  o.lr = 1e-3;
  strata::optim::Adam opt(vae->parameters(), o);
  train::VAETask task(vae, opt, {.recon_loss = "bce", .beta = 1.0});
  time_task_steps(ctx, task, *vae, opt, x_all, perm, batch);
}

STRATA_BENCHMARK(dcgan_train_b64, "dcgan.train_b64",
                 "DCGAN 28x28: G 64 -> fc 6272 + BN + ReLU -> (128, 7, 7) -> convT 4x4/2 64 + BN + ReLU -> convT "
                 "4x4/2 1 + Tanh; D conv 4x4/2 64 + LReLU -> conv 4x4/2 128 + BN + LReLU -> fc 1; Adam 2e-4 "
                 "beta1 0.5 each, batch 64, Fashion-MNIST in [-1, 1]: one D step + one G step") {
  constexpr int64_t batch = 64, noise = 64;
  strata::data::FashionMNIST train_set("", /*train=*/true, /*normalize=*/false);
  const Tensor x_all = strata::sub(strata::mul(train_set.inputs(), 2.0), 1.0).contiguous();
  strata::Generator gen(0);
  const Tensor perm = strata::randperm(x_all.size(0), &gen);

  auto generator = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      make<nn::Linear>(noise, 128 * 7 * 7), make<nn::BatchNorm1d>(128 * 7 * 7), make<nn::ReLU>(),
      make<nn::Unflatten>(1, std::vector<int64_t>{128, 7, 7}), make<nn::ConvTranspose2d>(128, 64, 4, 2, 1),
      make<nn::BatchNorm2d>(64), make<nn::ReLU>(), make<nn::ConvTranspose2d>(64, 1, 4, 2, 1), make<nn::Tanh>()});
  auto discriminator = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      make<nn::Conv2d>(1, 64, 4, 2, 1), make<nn::LeakyReLU>(0.2), make<nn::Conv2d>(64, 128, 4, 2, 1),
      make<nn::BatchNorm2d>(128), make<nn::LeakyReLU>(0.2), make<nn::Flatten>(), make<nn::Linear>(128 * 7 * 7, 1)});
  auto gan = std::make_shared<nn::GAN>(generator, discriminator, std::vector<int64_t>{noise});
  strata::optim::AdamOptions o;
  o.lr = 2e-4;
  o.beta1 = 0.5;
  strata::optim::Adam g_opt(gan->generator().parameters(), o);
  strata::optim::Adam d_opt(gan->discriminator().parameters(), o);
  train::GANTask task(gan, g_opt, d_opt, {.d_steps = 1, .generator_loss = "non_saturating"});
  time_task_steps(ctx, task, *gan, g_opt, x_all, perm, batch);
}

}  // namespace
