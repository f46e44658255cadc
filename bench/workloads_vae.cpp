// Generative-model training throughput on Fashion-MNIST: an MLP VAE (twin in bench/torch_bench.py). The
// training set is preloaded as float32 pixels in [0, 1], flattened to (60000, 784); a step gathers its batch
// by index from a fixed permutation, then runs train::VAETask::train_batch (forward_vae with fresh noise,
// vae_loss with BCE summed per example, backward, Adam step through train::Stepper), as fit_task does.
// Metrics: samples/s and the process's peak RSS (MiB).
#include <memory>

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
  train::TrainState st;
  st.model = vae.get();
  st.optimizer = &opt;
  st.batches_per_epoch = x_all.size(0) / batch;
  task.begin(st, {}, 1);
  vae->train();

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

}  // namespace
