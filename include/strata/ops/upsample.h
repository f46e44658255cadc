#pragma once
// 2-D resampling of NCHW (or unbatched CHW) tensors, as torch.nn.functional.interpolate with mode "nearest" or
// "bilinear" (nn::Upsample wraps them).
#include "strata/core/tensor.h"
#include "strata/ops/conv.h"

namespace strata {

// x: (N, C, H, W) -> (N, C, output_size[0], output_size[1]); source pixel floor(o * in / out).
Tensor upsample_nearest2d(const Tensor& x, Size2 output_size);
// x: (N, C, H, W) -> (N, C, floor(H * scale_h), floor(W * scale_w)); source pixel floor(o / scale).
Tensor upsample_nearest2d(const Tensor& x, double scale_h, double scale_w);
// Bilinear; align_corners maps the corner pixels' centres onto each other (source o (in - 1) / (out - 1)), else
// half-pixel centres (source (o + 0.5) in / out - 0.5, or with a scale factor (o + 0.5) / scale - 0.5).
Tensor upsample_bilinear2d(const Tensor& x, Size2 output_size, bool align_corners = false);
Tensor upsample_bilinear2d(const Tensor& x, double scale_h, double scale_w, bool align_corners = false);

}  // namespace strata
