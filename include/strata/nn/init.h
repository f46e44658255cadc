#pragma once
// nn::init: in-place initialisers as torch.nn.init, with PyTorch's fan computation and gains. They run
// under NoGradGuard (so they work on parameters) and draw from `gen` or the default generator, in the
// same order as PyTorch: manual_seed(s) followed by the same init calls gives the same values.
#include <string_view>
#include <utility>

#include "strata/core/generator.h"
#include "strata/core/tensor.h"

namespace strata::nn::init {

// (fan_in, fan_out) of a weight of at least 2 dims: size(1) * receptive field, size(0) * receptive field.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& t);
// The recommended gain: linear/conv*/sigmoid 1, tanh 5/3, relu sqrt(2),
// leaky_relu sqrt(2 / (1 + slope^2)) (slope `param`, 0.01 when param < 0), selu 3/4.
double calculate_gain(std::string_view nonlinearity, double param = -1.0);

Tensor& uniform_(Tensor& t, double a = 0.0, double b = 1.0, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
Tensor& constant_(Tensor& t, double value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);
// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)); N(0, gain * sqrt(2 / (fan_in + fan_out))).
Tensor& xavier_uniform_(Tensor& t, double gain = 1.0, Generator* gen = nullptr);
Tensor& xavier_normal_(Tensor& t, double gain = 1.0, Generator* gen = nullptr);
// std = gain(nonlinearity, a) / sqrt(fan); mode "fan_in" or "fan_out". Uniform bound sqrt(3) std.
Tensor& kaiming_uniform_(Tensor& t, double a = 0.0, std::string_view mode = "fan_in",
                         std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);
Tensor& kaiming_normal_(Tensor& t, double a = 0.0, std::string_view mode = "fan_in",
                        std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);

}  // namespace strata::nn::init
