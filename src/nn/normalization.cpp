// BatchNorm1d/2d, LayerNorm, Dropout.
#include "strata/nn/normalization.h"

#include "nn/repr.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/normalization.h"

namespace strata::nn {

BatchNormBase::BatchNormBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                             bool track_running_stats, DType dtype)
    : num_features_(num_features), eps_(eps), momentum_(momentum), affine_(affine), track_(track_running_stats) {
  STRATA_CHECK(num_features > 0, "[BatchNorm] num_features must be positive, got ", num_features);
  STRATA_CHECK(is_floating(dtype), "[BatchNorm] dtype must be floating point, got ", dtype);
  if (affine_) {
    weight = register_parameter("weight", ones({num_features}, TensorOptions(dtype)));
    bias = register_parameter("bias", zeros({num_features}, TensorOptions(dtype)));
  }
  if (track_) {
    running_mean = register_buffer("running_mean", zeros({num_features}, TensorOptions(dtype)));
    running_var = register_buffer("running_var", ones({num_features}, TensorOptions(dtype)));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, TensorOptions(kInt64)));
  }
}

void BatchNormBase::reset_running_stats() {
  if (!track_) return;
  NoGradGuard guard;
  running_mean.zero_();
  running_var.fill_(1.0);
  num_batches_tracked.zero_();
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  if (!affine_) return;
  NoGradGuard guard;
  weight.fill_(1.0);
  bias.zero_();
}

std::string BatchNormBase::extra_repr() const {
  return std::to_string(num_features_) + ", eps=" + detail::py_float(eps_) +
         ", momentum=" + (momentum_ ? detail::py_float(*momentum_) : std::string("None")) +
         ", affine=" + detail::py_bool(affine_) + ", track_running_stats=" + detail::py_bool(track_);
}

Tensor BatchNormBase::forward(const Tensor& x) {
  check_input(x);
  STRATA_CHECK(x.size(1) == num_features_, "[", type_name(), "] expected ", num_features_,
               " channels (dim 1), got input ", x.shape());
  double factor = momentum_.value_or(0.0);
  if (is_training() && track_) {
    NoGradGuard guard;
    num_batches_tracked.add_(1.0);
    if (!momentum_) factor = 1.0 / num_batches_tracked.item();
  }
  // As PyTorch: batch statistics in training, or always when no running statistics are kept.
  const bool use_batch = is_training() || !track_;
  if (is_training() && replica_sum_) {
    return sync_batch_norm(x, running_mean, running_var, weight, bias, factor, eps_, replica_sum_);
  }
  return batch_norm(x, running_mean, running_var, weight, bias, use_batch, factor, eps_);
}

void BatchNorm1d::check_input(const Tensor& x) const {
  STRATA_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 3), "[BatchNorm1d] expected 2D or 3D input, got ",
               x.defined() ? x.shape() : Shape{});
}

void BatchNorm2d::check_input(const Tensor& x) const {
  STRATA_CHECK(x.defined() && x.dim() == 4, "[BatchNorm2d] expected 4D input (N, C, H, W), got ",
               x.defined() ? x.shape() : Shape{});
}

LayerNorm::LayerNorm(std::vector<int64_t> normalized_shape, double eps, bool elementwise_affine, DType dtype)
    : shape_(std::move(normalized_shape)), eps_(eps), affine_(elementwise_affine) {
  STRATA_CHECK(!shape_.empty(), "[LayerNorm] normalized_shape must not be empty");
  if (affine_) {
    weight = register_parameter("weight", ones(Shape(shape_), TensorOptions(dtype)));
    bias = register_parameter("bias", zeros(Shape(shape_), TensorOptions(dtype)));
  }
}

std::string LayerNorm::extra_repr() const {
  std::string s = "(";
  for (size_t i = 0; i < shape_.size(); ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
  if (shape_.size() == 1) s += ",";
  s += ")";
  return s + ", eps=" + detail::py_float(eps_) + ", elementwise_affine=" + detail::py_bool(affine_);
}

Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, shape_, weight, bias, eps_); }

Dropout::Dropout(double p, Generator* gen) : p_(p), gen_(gen) {
  STRATA_CHECK(p >= 0 && p <= 1, "[Dropout] dropout probability has to be between 0 and 1, but got ", p);
}

std::string Dropout::extra_repr() const { return "p=" + detail::py_float(p_) + ", inplace=False"; }

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, is_training(), gen_); }

}  // namespace strata::nn
