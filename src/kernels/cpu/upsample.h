#pragma once
// Nearest and bilinear 2-D resampling over contiguous (planes, H, W) buffers (planes = N * C), with PyTorch's
// source-index rules (aten/src/ATen/native/UpSample.h). scale_h / scale_w: the source step per output step as
// PyTorch computes it: 1 / scale_factor when a scale factor was given, else in / out; align_corners uses
// (in - 1) / (out - 1) instead and ignores them. Coordinates are computed in T (float for float, as PyTorch's
// CPU kernels do), so the chosen source pixels agree with PyTorch's at the same rounding.
#include <cstdint>

namespace strata::kernels::cpu {

struct UpsampleGeom {
  int64_t planes = 1, h = 1, w = 1, ho = 1, wo = 1;
  double scale_h = 1, scale_w = 1;
  bool align_corners = false;  // bilinear only
};

// y[p, oh, ow] = x[p, src(oh), src(ow)], src(o) = min(floor(o * scale), in - 1).
template <class T>
void upsample_nearest2d_forward(const UpsampleGeom& g, const T* x, T* y);
// dx (overwritten) = the sum of dy over the outputs that read each input.
template <class T>
void upsample_nearest2d_backward(const UpsampleGeom& g, const T* dy, T* dx);
// y = the two-tap linear interpolation along each axis.
template <class T>
void upsample_bilinear2d_forward(const UpsampleGeom& g, const T* x, T* y);
template <class T>
void upsample_bilinear2d_backward(const UpsampleGeom& g, const T* dy, T* dx);

}  // namespace strata::kernels::cpu
