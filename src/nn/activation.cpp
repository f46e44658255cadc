// Activation modules.
#include "strata/nn/activation.h"

#include "nn/repr.h"
#include "strata/core/error.h"
#include "strata/ops/activation.h"
#include "strata/ops/softmax.h"

namespace strata::nn {

Tensor ReLU::forward(const Tensor& x) { return relu(x); }

std::string LeakyReLU::extra_repr() const { return "negative_slope=" + detail::py_float(slope_); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, slope_); }

Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  STRATA_CHECK(approximate_ == "none" || approximate_ == "tanh", "[GELU] approximate must be 'none' or 'tanh', got '",
               approximate_, "'");
}
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate_); }

Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim_); }
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim_); }

}  // namespace strata::nn
