// nn::init, written as torch/nn/init.py (1.13) computes it, so the bounds are the same doubles.
#include "strata/nn/init.h"

#include <cmath>
#include <string>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"

namespace strata::nn::init {

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& t) {
  STRATA_CHECK(t.defined(), "[init] undefined tensor");
  STRATA_CHECK(t.dim() >= 2, "[init] fan in and fan out can not be computed for a tensor with fewer than 2 dims, got ",
               t.shape());
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

double calculate_gain(std::string_view nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "conv1d" || nonlinearity == "conv2d" || nonlinearity == "conv3d" ||
      nonlinearity == "conv_transpose1d" || nonlinearity == "conv_transpose2d" || nonlinearity == "conv_transpose3d" ||
      nonlinearity == "sigmoid") {
    return 1.0;
  }
  if (nonlinearity == "tanh") return 5.0 / 3;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param < 0 ? 0.01 : param;
    return std::sqrt(2.0 / (1 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4;
  STRATA_FAIL("[init] unsupported nonlinearity '", std::string(nonlinearity), "'");
}

namespace {

int64_t correct_fan(const Tensor& t, std::string_view mode) {
  STRATA_CHECK(mode == "fan_in" || mode == "fan_out", "[init] mode must be 'fan_in' or 'fan_out', got '",
               std::string(mode), "'");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  return mode == "fan_in" ? fan_in : fan_out;
}

}  // namespace

Tensor& uniform_(Tensor& t, double a, double b, Generator* gen) {
  STRATA_CHECK(t.defined(), "[init.uniform_] undefined tensor");
  NoGradGuard guard;
  return strata::uniform_(t, a, b, gen);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  STRATA_CHECK(t.defined(), "[init.normal_] undefined tensor");
  NoGradGuard guard;
  return strata::normal_(t, mean, std, gen);
}

Tensor& constant_(Tensor& t, double value) {
  STRATA_CHECK(t.defined(), "[init.constant_] undefined tensor");
  NoGradGuard guard;
  return t.fill_(value);
}

Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }

Tensor& xavier_uniform_(Tensor& t, double gain, Generator* gen) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * std;
  return init::uniform_(t, -a, a, gen);
}

Tensor& xavier_normal_(Tensor& t, double gain, Generator* gen) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return init::normal_(t, 0.0, std, gen);
}

Tensor& kaiming_uniform_(Tensor& t, double a, std::string_view mode, std::string_view nonlinearity, Generator* gen) {
  STRATA_CHECK(t.defined(), "[init.kaiming_uniform_] undefined tensor");
  if (t.numel() == 0) return t;  // PyTorch warns and leaves it
  const int64_t fan = correct_fan(t, mode);
  const double gain = calculate_gain(nonlinearity, a);
  const double std = gain / std::sqrt(static_cast<double>(fan));
  const double bound = std::sqrt(3.0) * std;
  return init::uniform_(t, -bound, bound, gen);
}

Tensor& kaiming_normal_(Tensor& t, double a, std::string_view mode, std::string_view nonlinearity, Generator* gen) {
  STRATA_CHECK(t.defined(), "[init.kaiming_normal_] undefined tensor");
  if (t.numel() == 0) return t;
  const int64_t fan = correct_fan(t, mode);
  const double gain = calculate_gain(nonlinearity, a);
  const double std = gain / std::sqrt(static_cast<double>(fan));
  return init::normal_(t, 0.0, std, gen);
}

}  // namespace strata::nn::init
