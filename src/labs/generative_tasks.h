#pragma once
// What the autoencoder, bottleneck, VAE, GAN and mode-collapse labs share: data on a curved low-dimensional
// manifold, distances between point sets, training a task over an in-memory tensor, and the small GAN on the
// 8-Gaussian ring (plain, or with the mode-collapse remedy).
#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/tensor.h"
#include "strata/diag/doctor.h"
#include "strata/diag/generative.h"
#include "strata/nn/autoencoder.h"
#include "strata/nn/gan.h"
#include "strata/train/task.h"

namespace strata::labs::generative {

// n points x = sin(W z + b) in `ambient` dims, z ~ U(-1, 1)^intrinsic: an `intrinsic`-dimensional curved
// surface. The map (rows of W: random directions of length 1.5; b ~ U(0, 2 pi)) depends only on `seed`; the points also
// on `stream`, so training and test sets (different streams) lie on the same surface.
struct Manifold {
  Tensor x;  // (n, ambient) float32
  Tensor z;  // (n, intrinsic) float32, the coordinates that made x
};
Manifold manifold(int64_t n, int64_t intrinsic, int64_t ambient, uint64_t seed, uint64_t stream);

// Mean squared difference over all elements.
double mse(const Tensor& a, const Tensor& b);
// Mean over the rows of `points` of the Euclidean distance to the nearest row of `reference` (both (N, D)).
double mean_nearest_distance(const Tensor& points, const Tensor& reference);
// Each row's distance to the nearest row of `reference`.
std::vector<double> nearest_distances(const Tensor& points, const Tensor& reference);

// train::fit_task over x (the input is the target): shuffled batches (seeded), `epochs` epochs, no output.
train::History fit_task_on(train::Task& task, const Tensor& x, int64_t batch_size, int64_t epochs, uint64_t seed);

// An MLP autoencoder in -> hidden -> hidden -> code -> hidden -> hidden -> in (ReLU between, linear code and
// output), PyTorch's default initialisation from the default generator.
std::shared_ptr<nn::Autoencoder> make_autoencoder(int64_t in, int64_t hidden, int64_t code);

// A small GAN on the 8-Gaussian ring (data::RingOfGaussians: radius 2, std 0.02), after examples/gan
// ring_plain.json and ring_remedy.json but smaller, so that it trains in seconds.
struct RingGanOptions {
  bool remedy = false;     // MinibatchStdDev before the discriminator's last layer + label smoothing 0.1
  double ring_std = 0.02;  // the benchmark's std of each mode
  int64_t noise_dim = 16;
  int64_t hidden = 64;
  int64_t data_size = 8192;
  int64_t batch_size = 128;
  int64_t epochs = 20;
  double lr = 1e-3;
  int64_t samples = 2000;  // generated after training (and at each epoch end by the doctor's probe)
  bool doctor = true;      // a diag::Doctor with the sample probe
};
struct RingGan {
  train::History history;
  Tensor samples;  // (samples, 2), from fixed noise, generator in eval mode
  diag::ModeCoverage coverage;
  double diversity_ratio = 0;  // mean pairwise distance of 300 samples / of 300 real points
  std::vector<diag::Finding> findings;
  std::vector<diag::SampleCheck> checks;  // one per epoch (with the doctor)
  double seconds = 0;
};
RingGan train_ring_gan(const RingGanOptions& options, uint64_t seed);
// The ring's 8 centres (8, 2).
Tensor ring_centers();
// Whether `findings` hold one with this id.
bool has_finding(const std::vector<diag::Finding>& findings, const std::string& id);

}  // namespace strata::labs::generative
