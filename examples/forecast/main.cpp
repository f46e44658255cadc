// A GRU forecaster on a noisy synthetic time series:
//   x(t) = sin(2 pi t / 50) + 0.5 sin(2 pi t / 23 + 1) + 0.3 sin(2 pi t / 7) + noise,  noise ~ N(0, sigma^2).
// From a window of the last `window` values it predicts x(t + horizon). Reports the test MSE beside the
// naive last-value forecast (x(t + horizon) ~ x(t)) and the noise floor sigma^2 (the MSE of a forecaster that
// knew the clean signal). The series is split in time: the first 70% trains, the next 10% validates, the last
// 20% tests. See README.md.
//
//   build/examples/forecast [--steps 2000] [--horizon 1] [--noise 0.3] [--hidden 64] [--window 48] ...
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "../common/char_corpus.h"
#include "strata/core/openmp_wait.h"
#include "strata/strata.h"

using namespace strata;
namespace nn = strata::nn;

namespace {

// GRU(1, hidden, layers, batch_first) over the window, Linear(hidden, 1) on the last output.
class Forecaster : public nn::Module {
 public:
  Forecaster(int64_t hidden, int64_t layers, Generator* gen) {
    gru = register_module("gru", std::make_shared<nn::GRU>(
                                     1, hidden, nn::RNNOptions{.num_layers = layers, .batch_first = true, .gen = gen}));
    head = register_module("head", std::make_shared<nn::Linear>(hidden, 1, true, kFloat32, gen));
  }
  std::string type_name() const override { return "Forecaster"; }
  // x: (B, W) -> (B)
  Tensor forward(const Tensor& x) override {
    Tensor out = (*gru)(x.unsqueeze(2));  // (B, W, hidden)
    return (*head)(out.select(1, out.size(1) - 1)).squeeze(1);
  }
  std::shared_ptr<nn::GRU> gru;
  std::shared_ptr<nn::Linear> head;
};

struct Windows {
  Tensor x;  // (N, W)
  Tensor y;  // (N)
  double naive_mse = 0;
};

// Every window [t - W + 1, t] with t + horizon inside [begin, end).
Windows windows(const std::vector<float>& s, int64_t begin, int64_t end, int64_t W, int64_t horizon) {
  std::vector<float> x, y;
  double naive = 0;
  for (int64_t t = begin + W - 1; t + horizon < end; ++t) {
    for (int64_t j = t - W + 1; j <= t; ++j) x.push_back(s[static_cast<size_t>(j)]);
    const float target = s[static_cast<size_t>(t + horizon)], last = s[static_cast<size_t>(t)];
    y.push_back(target);
    naive += (target - last) * static_cast<double>(target - last);
  }
  const auto n = static_cast<int64_t>(y.size());
  return {from_vector(x, {n, W}), from_vector(y, {n}), naive / static_cast<double>(n)};
}

double mse(Forecaster& model, const Windows& w) {
  NoGradGuard no_grad;
  model.eval();
  double total = 0;
  const int64_t n = w.y.size(0);
  for (int64_t i = 0; i < n; i += 512) {
    const int64_t b = std::min<int64_t>(512, n - i);
    total += nn::functional::mse_loss(model(w.x.narrow(0, i, b)), w.y.narrow(0, i, b)).item() * static_cast<double>(b);
  }
  model.train();
  return total / static_cast<double>(n);
}

}  // namespace

namespace {

int run(int argc, char** argv) {
  examples::Args args(argc, argv,
                      {"steps", "batch", "hidden", "layers", "window", "horizon", "noise", "length", "lr", "clip",
                       "eval-every", "seed"});
  if (args.help()) {
    std::cout << "usage: forecast [--steps 2000] [--batch 64] [--hidden 64] [--layers 1] [--window 48] [--horizon 1]\n"
                 "  [--noise 0.3] [--length 6000] [--lr 0.003] [--clip 1.0] [--eval-every 250] [--seed 1]\n";
    return 2;
  }
  const int64_t steps = args.integer("steps", 2000), B = args.integer("batch", 64), W = args.integer("window", 48),
                horizon = args.integer("horizon", 1), length = args.integer("length", 6000),
                eval_every = args.integer("eval-every", 250);
  const double sigma = args.real("noise", 0.3);
  Generator gen(static_cast<uint64_t>(args.integer("seed", 1)));

  std::vector<float> s(static_cast<size_t>(length));
  const double two_pi = 2 * std::numbers::pi;
  for (int64_t t = 0; t < length; ++t) {
    const auto td = static_cast<double>(t);
    s[static_cast<size_t>(t)] = static_cast<float>(std::sin(two_pi * td / 50) + 0.5 * std::sin(two_pi * td / 23 + 1) +
                                                   0.3 * std::sin(two_pi * td / 7) + sigma * gen.normal_double());
  }
  const int64_t train_end = length * 7 / 10, val_end = length * 8 / 10;
  Windows train = windows(s, 0, train_end, W, horizon), val = windows(s, train_end, val_end, W, horizon),
          test = windows(s, val_end, length, W, horizon);
  std::printf(
      "series of %lld points (noise sigma %.2f); windows of %lld, horizon %lld: %lld train, %lld val, %lld test\n",
      static_cast<long long>(length), sigma, static_cast<long long>(W), static_cast<long long>(horizon),
      static_cast<long long>(train.y.size(0)), static_cast<long long>(val.y.size(0)),
      static_cast<long long>(test.y.size(0)));

  Forecaster model(args.integer("hidden", 64), args.integer("layers", 1), &gen);
  optim::AdamOptions ao;
  ao.lr = args.real("lr", 3e-3);
  optim::Adam opt(model.parameters(), ao);
  const int64_t n = train.y.size(0);
  train::Stepper stepper(model, opt, {.clip_grad_norm = args.real("clip", 1.0)});
  const auto t0 = std::chrono::steady_clock::now();
  double loss_sum = 0;
  for (int64_t step = 1; step <= steps; ++step) {
    Tensor idx = randint(0, n, {B}, kInt64, &gen);
    loss_sum += stepper([&] {
                  return nn::functional::mse_loss(model(index_select(train.x, 0, idx)), index_select(train.y, 0, idx));
                }).loss;
    if (step % eval_every == 0) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("step %5lld  train MSE %.4f  val MSE %.4f  %.0f s\n", static_cast<long long>(step),
                  loss_sum / static_cast<double>(eval_every), mse(model, val), secs);
      std::cout.flush();
      loss_sum = 0;
    }
  }
  const double gru_mse = mse(model, test);
  std::printf("\ntest MSE (%lld windows, horizon %lld):\n", static_cast<long long>(test.y.size(0)),
              static_cast<long long>(horizon));
  std::printf("  GRU forecaster       %.4f\n", gru_mse);
  std::printf("  naive last value     %.4f\n", test.naive_mse);
  std::printf("  noise floor sigma^2  %.4f\n", sigma * sigma);
  std::printf("GRU / naive = %.3f\n", gru_mse / test.naive_mse);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  strata::apply_openmp_wait_policy(argv);  // passive OpenMP waiting on a busy machine (docs/performance.md)
  return examples::run_main([&] { return run(argc, argv); });
}
