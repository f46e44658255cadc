#pragma once
// Activation functions (elementwise, differentiable).
#include <string_view>

#include "strata/core/tensor.h"

namespace strata {

Tensor relu(const Tensor& x);                                      // max(x, 0)
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);  // x > 0 ? x : slope * x
Tensor sigmoid(const Tensor& x);                                   // 1 / (1 + exp(-x))
Tensor tanh(const Tensor& x);
// approximate = "none": x * Phi(x) with the exact erf; "tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor& x, std::string_view approximate = "none");
// log(1 + exp(beta x)) / beta, linear where beta x > threshold (as PyTorch).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor silu(const Tensor& x);  // x * sigmoid(x)

}  // namespace strata
