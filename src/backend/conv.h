#pragma once
// Kernel family: convolution, pooling and upsampling over contiguous NCHW tensors on the backend's device.
// Geometry comes from the op layer in the plain structs of kernels/cpu (every argument already checked there).
// Outputs are pre-allocated by the op and overwritten. Float slots take float32 or float64 unless noted.
#include "backend/backend.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/pool.h"
#include "kernels/cpu/upsample.h"

namespace strata::backend {

using ConvGeom = kernels::cpu::ConvGeom;          // x (N, C, H, W), w (Cout, C / groups, kh, kw), y (N, Cout, Ho, Wo)
using PoolGeom = kernels::cpu::PoolGeom;          // (planes = N * C, H, W) -> (planes, Ho, Wo)
using UpsampleGeom = kernels::cpu::UpsampleGeom;  // (planes, H, W) -> (planes, Ho, Wo)
// Whether no two max-pool windows share an input element (a pure geometry test).
using kernels::cpu::max_pool2d_windows_disjoint;

struct ConvKernels {
  // --- convolution (one dtype per call; b, dw, db may be undefined) ---
  // y = conv2d(x, w) + b.
  void (*conv2d_forward)(const ConvGeom& g, const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b);
  // dx = conv2d's input gradient from dy (N, Cout, Ho, Wo).
  void (*conv2d_backward_data)(const ConvGeom& g, const Tensor& dx, const Tensor& dy, const Tensor& w);
  // dw = the weight gradient, db = the bias gradient (sum of dy over N, Ho, Wo); either may be undefined.
  void (*conv2d_backward_weight)(const ConvGeom& g, const Tensor& dw, const Tensor& db, const Tensor& dy,
                                 const Tensor& x);
  // Transposed convolution on the geometry of the conv2d it is the input gradient of: x (N, g.cout, g.ho, g.wo),
  // w (g.cout, g.c / groups, kh, kw), b (g.c) or undefined, y (N, g.c, g.h, g.w). Its input and weight gradients
  // are conv2d_forward and conv2d_backward_weight on the same g.
  void (*conv_transpose2d_forward)(const ConvGeom& g, const Tensor& y, const Tensor& x, const Tensor& w,
                                   const Tensor& b);
  // db (g.c) = sum of dy (N, g.c, g.h, g.w) over (N, H, W).
  void (*conv_transpose2d_backward_bias)(const ConvGeom& g, const Tensor& db, const Tensor& dy);

  // --- pooling (window rules: kernels/cpu/pool.h) ---
  // y, x of one dtype: float32/float64, or float16/bfloat16 (read as float). idx (int64, flat ih * W + iw of
  // each window's maximum) may be undefined only for 16-bit x.
  void (*max_pool2d_forward)(const PoolGeom& g, const Tensor& y, const Tensor& idx, const Tensor& x);
  // dx = dy scattered to the stored argmax indices (float32/float64).
  void (*max_pool2d_backward)(const PoolGeom& g, const Tensor& dx, const Tensor& dy, const Tensor& idx);
  // The same gradient with each window's argmax found again in x. x and dy share one dtype S (any float);
  // dx is float32 for 16-bit S, or S itself (16-bit S only when max_pool2d_windows_disjoint(g)).
  void (*max_pool2d_backward_recompute)(const PoolGeom& g, const Tensor& dx, const Tensor& x, const Tensor& dy);
  void (*avg_pool2d_forward)(const PoolGeom& g, bool count_include_pad, const Tensor& y, const Tensor& x);
  void (*avg_pool2d_backward)(const PoolGeom& g, bool count_include_pad, const Tensor& dx, const Tensor& dy);
  // Uses planes, h, w, ho, wo of g.
  void (*adaptive_avg_pool2d_forward)(const PoolGeom& g, const Tensor& y, const Tensor& x);
  void (*adaptive_avg_pool2d_backward)(const PoolGeom& g, const Tensor& dx, const Tensor& dy);

  // --- upsampling (PyTorch's source-index rules: kernels/cpu/upsample.h) ---
  void (*upsample_nearest2d_forward)(const UpsampleGeom& g, const Tensor& y, const Tensor& x);
  void (*upsample_nearest2d_backward)(const UpsampleGeom& g, const Tensor& dx, const Tensor& dy);
  void (*upsample_bilinear2d_forward)(const UpsampleGeom& g, const Tensor& y, const Tensor& x);
  void (*upsample_bilinear2d_backward)(const UpsampleGeom& g, const Tensor& dx, const Tensor& dy);
};

}  // namespace strata::backend
