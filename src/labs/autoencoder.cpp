// Lab 190, autoencoder: 16-D data on a curved 2-D surface squeezed through a 2-number code and rebuilt
// (train::AutoencoderTask), the reconstruction error before and after training, and a denoising autoencoder
// (trained on noisy inputs to rebuild clean ones) against the noise it removes.
#include "labs/generative_tasks.h"
#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/adam.h"
#include "strata/train/tasks.h"

namespace strata::labs {

namespace autoencoder_lab {

constexpr int64_t kAmbient = 16;
constexpr int64_t kIntrinsic = 2;
constexpr double kNoise = 0.3;

struct Trained {
  std::shared_ptr<nn::Autoencoder> model;
  std::vector<double> curve;
  double init_mse = 0;
};

Trained train_ae(const Tensor& x, const Tensor& test, double noise_std, int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  Trained t;
  t.model = generative::make_autoencoder(kAmbient, 64, kIntrinsic);
  t.init_mse = generative::mse(kit::predict(*t.model, test), test);
  optim::Adam opt(t.model->parameters(), {.lr = 3e-3});
  train::AutoencoderTask task(t.model, opt, {.loss = "mse", .noise_std = noise_std});
  t.curve = generative::fit_task_on(task, x, 64, epochs, seed).values("loss");
  return t;
}

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t n = lab.pick<int64_t>(4096, 2048);
  const int64_t epochs = lab.pick<int64_t>(60, 30);
  Tensor x = generative::manifold(n, kIntrinsic, kAmbient, lab.seed(), 0).x;
  Tensor test = generative::manifold(1000, kIntrinsic, kAmbient, lab.seed(), 1).x;
  lab.note("Data: " + std::to_string(n) +
           " points x = sin(W z + b) in 16 dimensions, z uniform in [-1, 1]^2: a "
           "curved 2-D surface. Autoencoder: 16 -> 64 -> 64 -> 2 (the code) -> 64 -> 64 -> 16, ReLU, Adam lr 3e-3, "
           "batch 64, " +
           std::to_string(epochs) + " epochs; errors on 1000 held-out points.");

  lab.heading("Reconstruction through a 2-number code (8x compression)");
  Trained plain = train_ae(x, test, 0.0, epochs, lab.seed());
  double end_mse = generative::mse(kit::predict(*plain.model, test), test);
  double data_var = generative::mse(test, zeros_like(test));  // mean square of the data
  lab.table("held-out reconstruction MSE", {"", "MSE"},
            {{"mean square of the data (predicting 0)", fmt(data_var)},
             {"autoencoder at initialisation", fmt(plain.init_mse)},
             {"autoencoder after training", fmt(end_mse)}});
  lab.claim("training lowers the held-out reconstruction MSE at least 10x", plain.init_mse >= 10 * end_mse,
            fmt(plain.init_mse) + " -> " + fmt(end_mse) + " (" + kit::times(plain.init_mse / end_mse) + ")");

  lab.heading("Denoising: train on x + noise (std " + fmt(kNoise) + "), rebuild x");
  Trained denoise = train_ae(x, test, kNoise, epochs, lab.seed());
  Generator gen(lab.seed() + 99);
  Tensor noisy = add(test, mul(randn(test.shape(), {}, &gen), kNoise));
  Tensor cleaned = kit::predict(*denoise.model, noisy);
  Tensor by_plain = kit::predict(*plain.model, noisy);
  double noisy_mse = generative::mse(noisy, test), clean_mse = generative::mse(cleaned, test),
         plain_mse = generative::mse(by_plain, test);
  lab.table("distance to the clean held-out points (MSE)", {"", "MSE"},
            {{"the noisy input itself", fmt(noisy_mse)},
             {"plain autoencoder applied to the noisy input", fmt(plain_mse)},
             {"denoising autoencoder applied to the noisy input", fmt(clean_mse)}});
  lab.line_plot(
      {"Training loss", "epoch", "MSE", false, true},
      {{"autoencoder", kit::iota(plain.curve.size(), 1), plain.curve},
       {"denoising autoencoder (loss against the clean x)", kit::iota(denoise.curve.size(), 1), denoise.curve}});
  std::vector<std::vector<double>> z;
  std::vector<std::string> row_labels;
  for (int64_t i = 0; i < 3; ++i) {
    z.push_back(kit::values(test.select(0, i)));
    z.push_back(kit::values(noisy.select(0, i)));
    z.push_back(kit::values(cleaned.select(0, i)));
    row_labels.insert(row_labels.end(), {"clean " + std::to_string(i + 1), "noisy", "denoised"});
  }
  lab.heatmap({"Three held-out points (16 values each)", "dimension", ""}, z, false, {}, row_labels);
  lab.claim("the denoising autoencoder's output is closer to the clean data than its noisy input is (< 0.5x)",
            clean_mse < 0.5 * noisy_mse,
            fmt(clean_mse) + " vs " + fmt(noisy_mse) + " (" + kit::times(clean_mse / noisy_mse) + ")");
  lab.note(
      "The noise moves points off the 2-D surface in all 16 directions; an autoencoder whose code has only 2 "
      "numbers can only output points on (its estimate of) the surface, so most of the noise cannot pass.");
}

}  // namespace autoencoder_lab

Lab lab_autoencoder() {
  return {190,
          "autoencoder",
          "Autoencoder",
          "An autoencoder is trained to output its own input, through a narrow middle layer (the code or "
          "bottleneck). To rebuild the input from fewer numbers it must learn what the data have in common, such "
          "as a low-dimensional surface they lie on. Trained on corrupted inputs against the clean ones, it becomes "
          "a denoiser.",
          "the MSE before and after training (falls by far more than 10x), then the denoising table: the "
          "denoiser's output is closer to the clean points than its own noisy input was; the heatmap shows three "
          "examples clean, noisy and denoised.",
          autoencoder_lab::run};
}

}  // namespace strata::labs
