#pragma once
// 2-D convolution kernels over contiguous NCHW buffers: im2col/col2im + GEMM (kernels::cpu::gemm), OpenMP over
// the images of the batch with single-threaded GEMM inside (per-thread column buffers), or a serial loop over
// images with threaded GEMM when the batch is smaller than the thread count. Groups are GEMMs at offsets into
// one column matrix. 1x1 stride-1 unpadded convolutions skip im2col (the image is the column matrix).
// The weight gradient sums the batch in chunks fixed by the batch size, so it does not depend on the thread count.
//   x: (N, C, H, W)  w: (Cout, C / groups, kh, kw)  b: (Cout) or null  y: (N, Cout, Ho, Wo)
// float convolutions may instead run through oneDNN (kernels/cpu/conv_dnnl.h, when built with it), chosen per
// shape and pass by conv_prefers_dnnl (measured: docs/performance.md, "Convolution: im2col or oneDNN, per shape");
// double and deterministic mode always use im2col.
// Each kernel has a naive direct-loop reference beside it for the tests.
#include <cstdint>

namespace strata::kernels::cpu {

struct ConvGeom {
  int64_t n = 1, c = 1, h = 1, w = 1;  // input
  int64_t cout = 1, kh = 1, kw = 1;    // weight (Cout, C / groups, kh, kw)
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  int64_t groups = 1;
  int64_t ho = 1, wo = 1;  // output
  int64_t cin_g() const { return c / groups; }
  int64_t cout_g() const { return cout / groups; }
  int64_t k() const { return cin_g() * kh * kw; }  // GEMM inner size per group
  int64_t p() const { return ho * wo; }            // output positions per image
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

// col[(ci * kh + i) * kw + j, oh * wo + ow] = x[ci, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside): (C kh kw, P).
template <class T>
void im2col(const ConvGeom& g, const T* x_image, T* col);
// The adjoint: dx_image[...] += col[...] at the same positions (dx_image must be initialised by the caller).
template <class T>
void col2im(const ConvGeom& g, const T* col, T* dx_image);

// y = conv(x, w) + b.
template <class T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y);
// dx = conv2d's input gradient (overwritten).
template <class T>
void conv2d_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx);
// dw = weight gradient (overwritten); db = bias gradient (overwritten, skipped when null); dw may be null
// when only db is wanted.
template <class T>
void conv2d_backward_weight(const ConvGeom& g, const T* dy, const T* x, T* dw, T* db);

// The im2col + GEMM implementations themselves (what the three above run for double, deterministic mode and the
// shapes oneDNN is not chosen for).
template <class T>
void conv2d_forward_im2col(const ConvGeom& g, const T* x, const T* w, const T* b, T* y);
template <class T>
void conv2d_backward_data_im2col(const ConvGeom& g, const T* dy, const T* w, T* dx);
template <class T>
void conv2d_backward_weight_im2col(const ConvGeom& g, const T* dy, const T* x, T* dw, T* db);

// Which implementation float convolutions use: Auto (the default) asks conv_prefers_dnnl per shape and pass;
// Im2col and Dnnl force one (benchmarks, tests). The environment variable STRATA_CONV=auto|im2col|dnnl sets the
// starting value. Dnnl still falls back to im2col where oneDNN is absent or has only reference loops for a shape.
enum class ConvAlgo { Auto, Im2col, Dnnl };
void set_conv_algo(ConvAlgo a);
ConvAlgo conv_algo();
enum class ConvPass { Forward, BackwardData, BackwardWeight };
// Auto's rule: whether oneDNN was measured faster than im2col for this kind of shape and pass.
bool conv_prefers_dnnl(const ConvGeom& g, ConvPass pass);

// Transposed convolution, on the geometry g of the conv2d whose input gradient it is: x (N, g.cout, g.ho, g.wo),
// w (g.cout, g.c / groups, kh, kw) (PyTorch's transposed layout), b (g.c) or null, y (N, g.c, g.h, g.w).
// Its input gradient is conv2d_forward(g, dy, w, nullptr, dx) and its weight gradient
// conv2d_backward_weight(g, x, dy, dw, nullptr), so all of it goes through the same im2col + GEMM paths.
template <class T>
void conv_transpose2d_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y);
// db[c] = sum of dy (N, g.c, g.h, g.w) over (N, H, W) (overwritten).
template <class T>
void conv_transpose2d_backward_bias(const ConvGeom& g, const T* dy, T* db);

// Naive references: direct loops over (n, co, oh, ow, ci, i, j), single-threaded.
template <class T>
void conv2d_forward_reference(const ConvGeom& g, const T* x, const T* w, const T* b, T* y);
template <class T>
void conv2d_backward_data_reference(const ConvGeom& g, const T* dy, const T* w, T* dx);
template <class T>
void conv2d_backward_weight_reference(const ConvGeom& g, const T* dy, const T* x, T* dw, T* db);

}  // namespace strata::kernels::cpu
