// Linear, Flatten and Unflatten.
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

Unflatten::Unflatten(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {
  STRATA_CHECK(!sizes_.empty(), "[Unflatten] unflattened_size must not be empty");
  int64_t inferred = 0;
  for (int64_t s : sizes_) {
    STRATA_CHECK(s > 0 || s == -1, "[Unflatten] sizes must be positive (or one -1), got ", Shape(sizes_));
    inferred += s == -1 ? 1 : 0;
  }
  STRATA_CHECK(inferred <= 1, "[Unflatten] only one size may be -1, got ", Shape(sizes_));
}

std::string Unflatten::extra_repr() const {
  std::string s = "dim=" + std::to_string(dim_) + ", unflattened_size=(";
  for (size_t i = 0; i < sizes_.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes_[i]);
  return s + (sizes_.size() == 1 ? ",)" : ")");
}

Tensor Unflatten::forward(const Tensor& x) {
  STRATA_CHECK(x.defined() && x.dim() > 0, "[Unflatten] expected a tensor with at least one dim");
  const int64_t nd = x.dim();
  STRATA_CHECK(dim_ >= -nd && dim_ < nd, "[Unflatten] dim ", dim_, " is out of range for input shape ", x.shape());
  const int64_t d = dim_ < 0 ? dim_ + nd : dim_;
  int64_t known = 1;
  for (int64_t s : sizes_) known *= s == -1 ? 1 : s;
  std::vector<int64_t> out(x.shape().begin(), x.shape().begin() + d);
  for (int64_t s : sizes_) out.push_back(s == -1 ? x.size(d) / known : s);
  int64_t prod = 1;
  for (size_t i = static_cast<size_t>(d); i < out.size(); ++i) prod *= out[i];
  STRATA_CHECK(prod == x.size(d), "[Unflatten] sizes ", Shape(sizes_), " do not multiply to dim ", dim_,
               " of input shape ", x.shape(), ", whose size is ", x.size(d));
  out.insert(out.end(), x.shape().begin() + d + 1, x.shape().end());
  return reshape(x, Shape(out));
}

}  // namespace strata::nn
