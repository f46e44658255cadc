#pragma once
// Weight initialisation from JSON: the "init" object of a `strata` model config, at model level (every Linear,
// Conv2d and recurrent layer) or on one layer (overriding the model's):
//
//   {"weight": "kaiming_normal", "nonlinearity": "relu", "mode": "fan_in", "bias": "zeros"}
//   {"weight": "normal", "std": 1.0}          {"weight": "zeros", "bias": "zeros"}
//
// Each weight scheme is torch.nn.init's function of that name (nn/init.h) and takes only its own arguments:
//   default (keep the layer's PyTorch default), zeros, constant (value), normal (mean = 0, std = 1),
//   uniform (a = 0, b = 1), xavier_uniform / xavier_normal (gain = 1, or nonlinearity -> calculate_gain),
//   kaiming_uniform / kaiming_normal (a = 0, mode = "fan_in", nonlinearity = "leaky_relu" as PyTorch).
// bias: default, zeros or constant (bias_value). Values are drawn from the default generator (seeded by the
// config's seed), so runs are reproducible. Unknown keys, keys that do not apply to the scheme and bad values
// are strata::Errors naming the key path ("cfg.json: key \"model.init.std\": ...").
#include <optional>
#include <string>

#include "strata/core/tensor.h"
#include "strata/io/json.h"
#include "strata/nn/module.h"

namespace strata::tools {

struct InitSpec {
  std::string weight = "default";
  double mean = 0, std = 1;      // normal
  double a = 0, b = 1;           // uniform bounds; kaiming: the leaky_relu negative slope
  double value = 0;              // constant
  std::optional<double> gain;    // xavier (default 1)
  std::string nonlinearity;      // kaiming ("" = "leaky_relu"); xavier: gain from it when given
  std::string mode = "fan_in";   // kaiming
  std::string bias = "default";  // default, zeros, constant
  double bias_value = 0;         // constant bias
};

// Parses and validates an "init" object.
InitSpec parse_init_spec(const io::Json& spec);

// Initialises one weight (at least 2 dims for the fan-based schemes) or one bias in place, without autograd.
void init_weight(Tensor& weight, const InitSpec& spec);
void init_bias(Tensor& bias, const InitSpec& spec);

// Initialises the weights and biases of `module` itself if it is a Linear, Conv2d or recurrent layer (RNN,
// LSTM, GRU: every weight_ih / weight_hh and bias_ih / bias_hh, in registration order). Returns false, touching
// nothing, for any other module (descendants are not visited).
bool apply_init(nn::Module& module, const InitSpec& spec);

}  // namespace strata::tools
