// Linear and Flatten.
#include "strata/nn/linear.h"

#include <cmath>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/init.h"
#include "strata/ops/creation.h"
#include "strata/ops/linalg.h"
#include "strata/ops/views.h"

namespace strata::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool has_bias, DType dtype, Generator* gen)
    : in_(in_features), out_(out_features) {
  STRATA_CHECK(in_features >= 0 && out_features >= 0,
               "[Linear] sizes must be non-negative, got in_features=", in_features, ", out_features=", out_features);
  STRATA_CHECK(is_floating(dtype), "[Linear] dtype must be floating point, got ", dtype);
  weight = register_parameter("weight", empty({out_features, in_features}, TensorOptions(dtype)));
  if (has_bias) bias = register_parameter("bias", empty({out_features}, TensorOptions(dtype)));
  reset_parameters(gen);
}

void Linear::reset_parameters(Generator* gen) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    const double bound = fan_in > 0 ? 1 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound, gen);
  }
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_) + ", out_features=" + std::to_string(out_) +
         ", bias=" + (bias.defined() ? "True" : "False");
}

Tensor Linear::forward(const Tensor& x) {
  STRATA_CHECK(x.defined() && x.dim() >= 1 && x.size(-1) == in_, "[Linear] expected input (*, ", in_, "), got ",
               x.defined() ? x.shape() : Shape{});
  return linear(x, weight, bias);
}

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_) + ", end_dim=" + std::to_string(end_);
}

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_, end_); }

}  // namespace strata::nn
