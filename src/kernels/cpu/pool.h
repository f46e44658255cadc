#pragma once
// 2-D pooling kernels over contiguous (planes, H, W) buffers (planes = N * C), OpenMP over planes for large inputs.
// Window rules follow PyTorch's CPU kernels:
//   max:      window rows oh*sh - ph + i*dh (i < kh), padding acts as -inf; ties keep the first index, NaN wins.
//             idx holds the flat index ih * W + iw of the maximum within its plane.
//   avg:      [oh*sh - ph, min(that + kh, H + ph)) clipped to the image; divisor = the unclipped window size
//             when count_include_pad, else the clipped one.
//   adaptive: rows [floor(oh * H / Ho), ceil((oh + 1) * H / Ho)).
// Backward kernels overwrite dx. Each kernel has a naive single-threaded reference beside it for the tests.
#include <cstdint>

namespace strata::kernels::cpu {

struct PoolGeom {
  int64_t planes = 1, h = 1, w = 1, ho = 1, wo = 1;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

template <class T>
void max_pool2d_forward(const PoolGeom& g, const T* x, T* y, int64_t* idx);
template <class T>
void max_pool2d_backward(const PoolGeom& g, const T* dy, const int64_t* idx, T* dx);
// max_pool2d_forward for float16/bfloat16 storage S, read as float with the general rule; y in S. idx may be
// null (no indices wanted).
template <class S>
void max_pool2d_forward_lowp(const PoolGeom& g, const S* x, S* y, int64_t* idx);
// The same gradient from the input instead of stored indices: each window's argmax is found again in x (storage
// S: float, double, or float16/bfloat16 read as float) and dy (also S) is added there; dx (T) is overwritten.
// T may also be S itself (16-bit dx, no float32 buffer) when max_pool2d_windows_disjoint(g): every input element
// then receives at most one gradient.
template <class S, class T>
void max_pool2d_backward_recompute(const PoolGeom& g, const S* x, const S* dy, T* dx);
// True when no two windows share an input element (stride >= dilated kernel extent in both dims).
inline bool max_pool2d_windows_disjoint(const PoolGeom& g) {
  return g.sh >= (g.kh - 1) * g.dh + 1 && g.sw >= (g.kw - 1) * g.dw + 1;
}

template <class T>
void avg_pool2d_forward(const PoolGeom& g, bool count_include_pad, const T* x, T* y);
template <class T>
void avg_pool2d_backward(const PoolGeom& g, bool count_include_pad, const T* dy, T* dx);

// Uses planes, h, w, ho, wo of g.
template <class T>
void adaptive_avg_pool2d_forward(const PoolGeom& g, const T* x, T* y);
template <class T>
void adaptive_avg_pool2d_backward(const PoolGeom& g, const T* dy, T* dx);

// References: per output element, a scan over the kernel positions with explicit bounds checks.
template <class T>
void max_pool2d_forward_reference(const PoolGeom& g, const T* x, T* y, int64_t* idx);
template <class T>
void avg_pool2d_forward_reference(const PoolGeom& g, bool count_include_pad, const T* x, T* y);
template <class T>
void adaptive_avg_pool2d_forward_reference(const PoolGeom& g, const T* x, T* y);
// Backward references: dx = 0, then every output element adds dy / divisor to its window (max: dy to idx).
template <class T>
void max_pool2d_backward_reference(const PoolGeom& g, const T* dy, const int64_t* idx, T* dx);
template <class T>
void avg_pool2d_backward_reference(const PoolGeom& g, bool count_include_pad, const T* dy, T* dx);
template <class T>
void adaptive_avg_pool2d_backward_reference(const PoolGeom& g, const T* dy, T* dx);

}  // namespace strata::kernels::cpu
