#pragma once
// What the dead_relu and leaky_relu labs share: a network whose hidden biases start far negative (as after one
// oversized update), its training run, and the measurement of silent units.
#include <string>

#include "labs/kit.h"

namespace strata::labs::relu_health {

// A 2-64-64-64-3 MLP with `activation` ("relu" or "leaky_relu") after each hidden layer, He init, and every
// hidden bias set to `hidden_bias` (0: healthy; -3: most inputs are negative for every example).
nn::ModulePtr make_net(const std::string& activation, double hidden_bias);

// Share of the units of every ReLU / LeakyReLU layer whose input is <= 0 for every row of x: for ReLU these
// units output 0 and get no gradient from any example (dead); a Leaky ReLU unit there still passes slope 0.01.
double silent_fraction(nn::Module& model, const Tensor& x);

// Share of hidden units whose bias gets exactly zero gradient from one backward pass over all of `d` (cross-
// entropy): units no example can change, dead whatever the optimizer.
double zero_gradient_fraction(nn::Module& model, const kit::XY& d);

struct RunOptions {
  double lr = 0.01;
  int64_t epochs = 30;
  std::vector<train::CallbackPtr> callbacks = {};
};

// Adam, batch 32, on `data`; returns the training history. Adam rescales small gradients, so a unit with any
// gradient at all can move; a unit with exactly zero gradient cannot.
train::History train_net(nn::Module& model, const kit::XY& data, const RunOptions& options, uint64_t seed);

}  // namespace strata::labs::relu_health
