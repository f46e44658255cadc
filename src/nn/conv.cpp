// Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Upsample.
#include "strata/nn/conv.h"

#include <cmath>

#include "nn/repr.h"
#include "strata/core/error.h"
#include "strata/nn/init.h"
#include "strata/ops/creation.h"
#include "strata/ops/indexing.h"
#include "strata/ops/upsample.h"

namespace strata::nn {

namespace {

// As PyTorch prints a kernel/stride argument: an int when it was given as one, else a tuple.
std::string show(const Ints2& v) { return v.same ? std::to_string(v.h) : detail::py_pair(v.h, v.w); }

}  // namespace

Conv2dPadding::Conv2dPadding(const std::string& m) : mode(m) {
  STRATA_CHECK(m == "same" || m == "valid", "[Conv2d] invalid padding string '", m,
               "', should be one of {'valid', 'same'}");
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, Ints2 kernel_size, Ints2 stride, Conv2dPadding padding,
               Ints2 dilation, int64_t groups, bool has_bias, DType dtype, Generator* gen)
    : in_(in_channels),
      out_(out_channels),
      groups_(groups),
      kernel_(kernel_size.size2()),
      stride_(stride.size2()),
      dilation_(dilation.size2()),
      padding_(std::move(padding)) {
  STRATA_CHECK(in_channels > 0 && out_channels > 0, "[Conv2d] channels must be positive, got in_channels=", in_channels,
               ", out_channels=", out_channels);
  STRATA_CHECK(groups > 0, "[Conv2d] groups must be a positive integer, got ", groups);
  STRATA_CHECK(in_channels % groups == 0, "[Conv2d] in_channels (", in_channels, ") must be divisible by groups (",
               groups, ")");
  STRATA_CHECK(out_channels % groups == 0, "[Conv2d] out_channels (", out_channels, ") must be divisible by groups (",
               groups, ")");
  STRATA_CHECK(kernel_[0] > 0 && kernel_[1] > 0, "[Conv2d] kernel_size must be positive, got ",
               detail::py_pair(kernel_[0], kernel_[1]));
  STRATA_CHECK(stride_[0] > 0 && stride_[1] > 0, "[Conv2d] stride must be positive, got ",
               detail::py_pair(stride_[0], stride_[1]));
  STRATA_CHECK(dilation_[0] > 0 && dilation_[1] > 0, "[Conv2d] dilation must be positive, got ",
               detail::py_pair(dilation_[0], dilation_[1]));
  STRATA_CHECK(padding_.size[0] >= 0 && padding_.size[1] >= 0, "[Conv2d] padding must be non-negative, got ",
               detail::py_pair(padding_.size[0], padding_.size[1]));
  STRATA_CHECK(padding_.mode != "same" || (stride_[0] == 1 && stride_[1] == 1),
               "[Conv2d] padding='same' is not supported for strided convolutions");
  STRATA_CHECK(is_floating(dtype), "[Conv2d] dtype must be floating point, got ", dtype);
  weight = register_parameter(
      "weight", empty({out_channels, in_channels / groups, kernel_[0], kernel_[1]}, TensorOptions(dtype)));
  if (has_bias) bias = register_parameter("bias", empty({out_channels}, TensorOptions(dtype)));
  reset_parameters(gen);
}

void Conv2d::reset_parameters(Generator* gen) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    const double bound = fan_in > 0 ? 1 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound, gen);
  }
}

std::string Conv2d::extra_repr() const {
  std::string s = std::to_string(in_) + ", " + std::to_string(out_) +
                  ", kernel_size=" + detail::py_pair(kernel_[0], kernel_[1]) +
                  ", stride=" + detail::py_pair(stride_[0], stride_[1]);
  if (!padding_.mode.empty()) {
    s += ", padding=" + padding_.mode;
  } else if (padding_.size[0] != 0 || padding_.size[1] != 0) {
    s += ", padding=" + detail::py_pair(padding_.size[0], padding_.size[1]);
  }
  if (dilation_[0] != 1 || dilation_[1] != 1) s += ", dilation=" + detail::py_pair(dilation_[0], dilation_[1]);
  if (groups_ != 1) s += ", groups=" + std::to_string(groups_);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

Tensor Conv2d::forward(const Tensor& x) {
  STRATA_CHECK(x.defined() && x.dim() == 4 && x.size(1) == in_, "[Conv2d] expected input (N, ", in_, ", H, W), got ",
               x.defined() ? x.shape() : Shape{});
  if (padding_.mode != "same") return conv2d(x, weight, bias, stride_, padding_.size, dilation_, groups_);
  // PyTorch's rule: total = dilation (k - 1) per dim, left = total / 2; an odd total gets its extra row
  // or column on the bottom / right, added by an explicit pad before a symmetric convolution.
  Size2 left{0, 0}, extra{0, 0};
  for (int i = 0; i < 2; ++i) {
    const int64_t total = dilation_[static_cast<size_t>(i)] * (kernel_[static_cast<size_t>(i)] - 1);
    left[static_cast<size_t>(i)] = total / 2;
    extra[static_cast<size_t>(i)] = total - 2 * (total / 2);
  }
  Tensor in = x;
  if (extra[0] != 0 || extra[1] != 0) in = pad(x, {0, extra[1], 0, extra[0]});
  return conv2d(in, weight, bias, stride_, left, dilation_, groups_);
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, Ints2 kernel_size, Ints2 stride,
                                 Ints2 padding, Ints2 output_padding, int64_t groups, bool has_bias, Ints2 dilation,
                                 DType dtype, Generator* gen)
    : in_(in_channels),
      out_(out_channels),
      groups_(groups),
      kernel_(kernel_size.size2()),
      stride_(stride.size2()),
      padding_(padding.size2()),
      output_padding_(output_padding.size2()),
      dilation_(dilation.size2()) {
  STRATA_CHECK(in_channels > 0 && out_channels > 0,
               "[ConvTranspose2d] channels must be positive, got in_channels=", in_channels,
               ", out_channels=", out_channels);
  STRATA_CHECK(groups > 0, "[ConvTranspose2d] groups must be a positive integer, got ", groups);
  STRATA_CHECK(in_channels % groups == 0, "[ConvTranspose2d] in_channels (", in_channels,
               ") must be divisible by groups (", groups, ")");
  STRATA_CHECK(out_channels % groups == 0, "[ConvTranspose2d] out_channels (", out_channels,
               ") must be divisible by groups (", groups, ")");
  STRATA_CHECK(kernel_[0] > 0 && kernel_[1] > 0, "[ConvTranspose2d] kernel_size must be positive, got ",
               detail::py_pair(kernel_[0], kernel_[1]));
  STRATA_CHECK(stride_[0] > 0 && stride_[1] > 0, "[ConvTranspose2d] stride must be positive, got ",
               detail::py_pair(stride_[0], stride_[1]));
  STRATA_CHECK(dilation_[0] > 0 && dilation_[1] > 0, "[ConvTranspose2d] dilation must be positive, got ",
               detail::py_pair(dilation_[0], dilation_[1]));
  STRATA_CHECK(padding_[0] >= 0 && padding_[1] >= 0, "[ConvTranspose2d] padding must be non-negative, got ",
               detail::py_pair(padding_[0], padding_[1]));
  for (size_t d = 0; d < 2; ++d) {
    STRATA_CHECK(output_padding_[d] >= 0 && (output_padding_[d] < stride_[d] || output_padding_[d] < dilation_[d]),
                 "[ConvTranspose2d] output_padding must be smaller than either stride or dilation, got output_padding ",
                 detail::py_pair(output_padding_[0], output_padding_[1]), ", stride ",
                 detail::py_pair(stride_[0], stride_[1]), ", dilation ", detail::py_pair(dilation_[0], dilation_[1]));
  }
  STRATA_CHECK(is_floating(dtype), "[ConvTranspose2d] dtype must be floating point, got ", dtype);
  weight = register_parameter(
      "weight", empty({in_channels, out_channels / groups, kernel_[0], kernel_[1]}, TensorOptions(dtype)));
  if (has_bias) bias = register_parameter("bias", empty({out_channels}, TensorOptions(dtype)));
  reset_parameters(gen);
}

void ConvTranspose2d::reset_parameters(Generator* gen) {
  // PyTorch's _ConvNd.reset_parameters: fan_in from weight.size(1) kH kW, here out / groups kH kW.
  init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu", gen);
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    const double bound = fan_in > 0 ? 1 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound, gen);
  }
}

std::string ConvTranspose2d::extra_repr() const {
  std::string s = std::to_string(in_) + ", " + std::to_string(out_) +
                  ", kernel_size=" + detail::py_pair(kernel_[0], kernel_[1]) +
                  ", stride=" + detail::py_pair(stride_[0], stride_[1]);
  if (padding_[0] != 0 || padding_[1] != 0) s += ", padding=" + detail::py_pair(padding_[0], padding_[1]);
  if (output_padding_[0] != 0 || output_padding_[1] != 0) {
    s += ", output_padding=" + detail::py_pair(output_padding_[0], output_padding_[1]);
  }
  if (dilation_[0] != 1 || dilation_[1] != 1) s += ", dilation=" + detail::py_pair(dilation_[0], dilation_[1]);
  if (groups_ != 1) s += ", groups=" + std::to_string(groups_);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  STRATA_CHECK(x.defined() && x.dim() == 4 && x.size(1) == in_, "[ConvTranspose2d] expected input (N, ", in_,
               ", H, W), got ", x.defined() ? x.shape() : Shape{});
  return conv_transpose2d(x, weight, bias, stride_, padding_, output_padding_, groups_, dilation_);
}

MaxPool2d::MaxPool2d(Ints2 kernel_size, Ints2 stride, Ints2 padding, Ints2 dilation, bool ceil_mode)
    : kernel_(kernel_size),
      stride_(stride.h == 0 && stride.w == 0 ? kernel_size : stride),
      padding_(padding),
      dilation_(dilation),
      ceil_mode_(ceil_mode) {
  STRATA_CHECK(kernel_.h > 0 && kernel_.w > 0, "[MaxPool2d] kernel_size must be positive, got ", show(kernel_));
  STRATA_CHECK(stride_.h > 0 && stride_.w > 0, "[MaxPool2d] stride must be positive, got ", show(stride_));
  STRATA_CHECK(padding_.h * 2 <= kernel_.h && padding_.w * 2 <= kernel_.w,
               "[MaxPool2d] pad should be at most half of kernel size, got padding ", show(padding_), " and kernel ",
               show(kernel_));
}

std::string MaxPool2d::extra_repr() const {
  return "kernel_size=" + show(kernel_) + ", stride=" + show(stride_) + ", padding=" + show(padding_) +
         ", dilation=" + show(dilation_) + ", ceil_mode=" + detail::py_bool(ceil_mode_);
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return max_pool2d(x, kernel_.size2(), stride_.size2(), padding_.size2(), dilation_.size2(), ceil_mode_);
}

AvgPool2d::AvgPool2d(Ints2 kernel_size, Ints2 stride, Ints2 padding, bool ceil_mode, bool count_include_pad)
    : kernel_(kernel_size),
      stride_(stride.h == 0 && stride.w == 0 ? kernel_size : stride),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad) {
  STRATA_CHECK(kernel_.h > 0 && kernel_.w > 0, "[AvgPool2d] kernel_size must be positive, got ", show(kernel_));
  STRATA_CHECK(stride_.h > 0 && stride_.w > 0, "[AvgPool2d] stride must be positive, got ", show(stride_));
  STRATA_CHECK(padding_.h * 2 <= kernel_.h && padding_.w * 2 <= kernel_.w,
               "[AvgPool2d] pad should be at most half of kernel size, got padding ", show(padding_), " and kernel ",
               show(kernel_));
}

std::string AvgPool2d::extra_repr() const {
  return "kernel_size=" + show(kernel_) + ", stride=" + show(stride_) + ", padding=" + show(padding_);
}

Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, kernel_.size2(), stride_.size2(), padding_.size2(), ceil_mode_, count_include_pad_);
}

std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + show(out_); }

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, out_.size2()); }

Upsample::Upsample(UpsampleOptions options) : opts_(std::move(options)) {
  STRATA_CHECK(opts_.size.has_value() != opts_.scale_factor.has_value(),
               "[Upsample] give exactly one of size and scale_factor");
  STRATA_CHECK(opts_.mode == "nearest" || opts_.mode == "bilinear", "[Upsample] mode must be \"nearest\" or ",
               "\"bilinear\", got \"", opts_.mode, "\"");
  STRATA_CHECK(!opts_.align_corners || opts_.mode == "bilinear",
               "[Upsample] align_corners can only be set with mode \"bilinear\"");
  if (opts_.size) {
    STRATA_CHECK((*opts_.size)[0] > 0 && (*opts_.size)[1] > 0, "[Upsample] size must be positive, got ",
                 detail::py_pair((*opts_.size)[0], (*opts_.size)[1]));
  } else {
    STRATA_CHECK((*opts_.scale_factor)[0] > 0 && (*opts_.scale_factor)[1] > 0,
                 "[Upsample] scale_factor must be positive, got (", (*opts_.scale_factor)[0], ", ",
                 (*opts_.scale_factor)[1], ")");
  }
}

std::string Upsample::extra_repr() const {
  std::string s;
  if (opts_.size) {
    s = "size=" + detail::py_pair((*opts_.size)[0], (*opts_.size)[1]);
  } else {
    const auto& f = *opts_.scale_factor;
    s = "scale_factor=" +
        (f[0] == f[1] ? detail::py_float(f[0]) : "(" + detail::py_float(f[0]) + ", " + detail::py_float(f[1]) + ")");
  }
  s += ", mode='" + opts_.mode + "'";
  if (opts_.mode == "bilinear") s += ", align_corners=" + detail::py_bool(opts_.align_corners);
  return s;
}

Tensor Upsample::forward(const Tensor& x) {
  STRATA_CHECK(x.defined() && x.dim() == 4, "[Upsample] expected a 4-D (N, C, H, W) input, got shape ",
               x.defined() ? x.shape() : Shape{});
  const bool nearest = opts_.mode == "nearest";
  if (opts_.size) {
    return nearest ? upsample_nearest2d(x, *opts_.size) : upsample_bilinear2d(x, *opts_.size, opts_.align_corners);
  }
  const auto [sh, sw] = *opts_.scale_factor;
  return nearest ? upsample_nearest2d(x, sh, sw) : upsample_bilinear2d(x, sh, sw, opts_.align_corners);
}

}  // namespace strata::nn
