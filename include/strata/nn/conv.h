#pragma once
// Conv2d and the 2-D pooling modules (wrapping strata/ops/conv.h).
#include <array>
#include <optional>
#include <string>

#include "strata/core/generator.h"
#include "strata/nn/module.h"
#include "strata/ops/conv.h"

namespace strata::nn {

// A (height, width) pair written as one int (3) or two ({3, 5}).
struct Ints2 {
  Ints2(int64_t v) : h(v), w(v), same(true) {}  // NOLINT(google-explicit-constructor)
  Ints2(int64_t a, int64_t b) : h(a), w(b), same(false) {}
  Ints2(Size2 s) : h(s[0]), w(s[1]), same(false) {}  // NOLINT(google-explicit-constructor)
  Size2 size2() const { return {h, w}; }
  int64_t h, w;
  bool same;  // given as one int (printed as one, as PyTorch prints what it was given)
};

// Conv2d padding: a size (one int or {h, w}), or "same" (stride 1 only; output size = input size) or "valid" (0).
struct Conv2dPadding {
  Conv2dPadding(int64_t v) : size{v, v} {}  // NOLINT(google-explicit-constructor)
  Conv2dPadding(int64_t a, int64_t b) : size{a, b} {}
  Conv2dPadding(Size2 s) : size(s) {}  // NOLINT(google-explicit-constructor)
  template <size_t N>
  Conv2dPadding(const char (&m)[N]) : Conv2dPadding(std::string(m)) {}  // NOLINT(google-explicit-constructor)
  explicit Conv2dPadding(const std::string& m);
  Size2 size{0, 0};
  std::string mode;  // "" (explicit size), "same" or "valid"
};

// weight (out, in / groups, kH, kW), bias (out). Default initialisation as PyTorch:
// kaiming_uniform_(a = sqrt(5)) weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) bias, fan_in = in / groups * kH * kW.
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Ints2 kernel_size, Ints2 stride = 1, Conv2dPadding padding = 0,
         Ints2 dilation = 1, int64_t groups = 1, bool has_bias = true, DType dtype = kFloat32,
         Generator* gen = nullptr);
  std::string type_name() const override { return "Conv2d"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Generator* gen = nullptr);

  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  int64_t groups() const { return groups_; }
  Size2 kernel_size() const { return kernel_; }
  Size2 stride() const { return stride_; }
  Size2 dilation() const { return dilation_; }
  const Conv2dPadding& padding() const { return padding_; }

  Tensor weight;
  Tensor bias;  // undefined without bias

 private:
  int64_t in_, out_, groups_;
  Size2 kernel_, stride_, dilation_;
  Conv2dPadding padding_;
};

// The adjoint of Conv2d ("deconvolution"), as torch.nn.ConvTranspose2d: weight (in, out / groups, kH, kW),
// bias (out); output size (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1. Default
// initialisation as PyTorch (the same calls as Conv2d; fan_in = weight.size(1) kH kW = out / groups kH kW).
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Ints2 kernel_size, Ints2 stride = 1, Ints2 padding = 0,
                  Ints2 output_padding = 0, int64_t groups = 1, bool has_bias = true, Ints2 dilation = 1,
                  DType dtype = kFloat32, Generator* gen = nullptr);
  std::string type_name() const override { return "ConvTranspose2d"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;  // (N, in, H, W) -> (N, out, H_out, W_out)
  void reset_parameters(Generator* gen = nullptr);

  Tensor weight;
  Tensor bias;  // undefined without bias

 private:
  int64_t in_, out_, groups_;
  Size2 kernel_, stride_, padding_, output_padding_, dilation_;
};

class MaxPool2d : public Module {
 public:
  // stride 0 (default): the kernel size.
  MaxPool2d(Ints2 kernel_size, Ints2 stride = 0, Ints2 padding = 0, Ints2 dilation = 1, bool ceil_mode = false);
  std::string type_name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  Size2 kernel_size() const { return kernel_.size2(); }

 private:
  Ints2 kernel_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(Ints2 kernel_size, Ints2 stride = 0, Ints2 padding = 0, bool ceil_mode = false,
            bool count_include_pad = true);
  std::string type_name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  Size2 kernel_size() const { return kernel_.size2(); }

 private:
  Ints2 kernel_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
};

// AdaptiveAvgPool2d(1) is global average pooling.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Ints2 output_size) : out_(output_size) {}
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;

 private:
  Ints2 out_;
};

// torch.nn.Upsample for 4-D (N, C, H, W) inputs: exactly one of size and scale_factor; mode "nearest" or
// "bilinear" (align_corners only with bilinear, as PyTorch).
struct UpsampleOptions {
  std::optional<Size2> size;
  std::optional<std::array<double, 2>> scale_factor;
  std::string mode = "nearest";
  bool align_corners = false;
};

class Upsample : public Module {
 public:
  explicit Upsample(UpsampleOptions options);
  std::string type_name() const override { return "Upsample"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  const UpsampleOptions& options() const { return opts_; }

 private:
  UpsampleOptions opts_;
};

}  // namespace strata::nn
