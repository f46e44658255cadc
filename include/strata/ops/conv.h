#pragma once
// Convolution and pooling over NCHW tensors (functional forms; nn::Conv2d and the pooling modules wrap them).
#include <array>
#include <cstdint>
#include <utility>

#include "strata/core/tensor.h"

namespace strata {

using Size2 = std::array<int64_t, 2>;  // (height, width)

// x: (N, C_in, H, W)  weight: (C_out, C_in / groups, kH, kW)  bias: (C_out) or undefined
// -> (N, C_out, H_out, W_out), H_out = (H + 2 pad - dilation (kH - 1) - 1) / stride + 1.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Size2 stride = {1, 1},
              Size2 padding = {0, 0}, Size2 dilation = {1, 1}, int64_t groups = 1);
// The adjoint of conv2d (a "deconvolution"), argument order as torch.nn.functional.conv_transpose2d.
// x: (N, C_in, H, W)  weight: (C_in, C_out / groups, kH, kW)  bias: (C_out) or undefined
// -> (N, C_out, H_out, W_out), H_out = (H - 1) stride - 2 pad + dilation (kH - 1) + output_padding + 1;
// output_padding must be smaller than stride or dilation (it picks one of the input sizes a strided conv2d maps
// to the same output size).
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), Size2 stride = {1, 1},
                        Size2 padding = {0, 0}, Size2 output_padding = {0, 0}, int64_t groups = 1,
                        Size2 dilation = {1, 1});
// x: (N, C, H, W) -> (N, C, H_out, W_out); stride defaults to the kernel size (stride {0, 0}).
// padding pads with -inf; ceil_mode as PyTorch.
Tensor max_pool2d(const Tensor& x, Size2 kernel, Size2 stride = {0, 0}, Size2 padding = {0, 0}, Size2 dilation = {1, 1},
                  bool ceil_mode = false);
// max_pool2d and its argmax indices (int64, flat ih * W + iw within each (n, c) plane; not differentiable).
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Size2 kernel, Size2 stride = {0, 0},
                                                  Size2 padding = {0, 0}, Size2 dilation = {1, 1},
                                                  bool ceil_mode = false);
// Zero padding counted in the divisor when count_include_pad (PyTorch's default).
Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride = {0, 0}, Size2 padding = {0, 0}, bool ceil_mode = false,
                  bool count_include_pad = true);
// x: (N, C, H, W) -> (N, C, out_h, out_w) with PyTorch's start/end index rule.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);

}  // namespace strata
