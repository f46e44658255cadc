// The ref backend's convolution, pooling and upsampling: the naive direct loops (kernels/cpu *_reference, one
// thread), and naive upsampling written here (each output's source pixels computed on the spot, no tables).
// float16/bfloat16 pooling widens to float32 buffers around the float reference.
#include "backend/conv.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "backend/ref/families.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;

template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void conv2d_forward(const ConvGeom& g, const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b) {
  dispatch_float(y.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv2d_forward_reference<T>(g, x.data_ptr<T>(), w.data_ptr<T>(), ptr<T>(b), y.data_ptr<T>());
  });
}

void conv2d_backward_data(const ConvGeom& g, const Tensor& dx, const Tensor& dy, const Tensor& w) {
  dispatch_float(dx.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv2d_backward_data_reference<T>(g, dy.data_ptr<T>(), w.data_ptr<T>(), dx.data_ptr<T>());
  });
}

void conv2d_backward_weight(const ConvGeom& g, const Tensor& dw, const Tensor& db, const Tensor& dy, const Tensor& x) {
  dispatch_float(dy.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv2d_backward_weight_reference<T>(g, dy.data_ptr<T>(), ptr<T>(x), ptr<T>(dw), ptr<T>(db));
  });
}

// Sum of the (N, C, H, W) buffer dy over N, H, W into db (C).
template <class T>
void channel_sums(int64_t n, int64_t c, int64_t hw, const T* dy, T* db) {
  for (int64_t ci = 0; ci < c; ++ci) {
    T s = 0;
    for (int64_t ni = 0; ni < n; ++ni) {
      for (int64_t q = 0; q < hw; ++q) s += dy[(ni * c + ci) * hw + q];
    }
    db[ci] = s;
  }
}

void conv_transpose2d_forward(const ConvGeom& g, const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b) {
  dispatch_float(y.dtype(), "conv_transpose2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* py = y.data_ptr<T>();
    kc::conv2d_backward_data_reference<T>(g, x.data_ptr<T>(), w.data_ptr<T>(), py);
    if (!b.defined()) return;
    const T* pb = b.data_ptr<T>();
    for (int64_t n = 0; n < g.n; ++n) {
      for (int64_t c = 0; c < g.c; ++c) {
        for (int64_t q = 0; q < g.h * g.w; ++q) py[(n * g.c + c) * g.h * g.w + q] += pb[c];
      }
    }
  });
}

void conv_transpose2d_backward_bias(const ConvGeom& g, const Tensor& db, const Tensor& dy) {
  dispatch_float(dy.dtype(), "conv_transpose2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    channel_sums<T>(g.n, g.c, g.h * g.w, dy.data_ptr<T>(), db.data_ptr<T>());
  });
}

// n elements of p (storage S) as their compute type C.
template <class C, class S>
std::vector<C> widen(const S* p, int64_t n) {
  std::vector<C> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<C>(p[i]);
  return v;
}

void max_pool2d_forward(const PoolGeom& g, const Tensor& y, const Tensor& idx, const Tensor& x) {
  dispatch_float_io(x.dtype(), "max_pool2d", [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    const int64_t ny = g.planes * g.ho * g.wo;
    const std::vector<C> xc = widen<C>(x.data_ptr<S>(), g.planes * g.h * g.w);
    std::vector<C> yc(static_cast<size_t>(ny));
    std::vector<int64_t> ic(static_cast<size_t>(ny));
    kc::max_pool2d_forward_reference<C>(g, xc.data(), yc.data(), ic.data());
    S* py = y.data_ptr<S>();
    for (int64_t i = 0; i < ny; ++i) py[i] = static_cast<S>(yc[static_cast<size_t>(i)]);
    if (idx.defined()) std::copy(ic.begin(), ic.end(), idx.data_ptr<int64_t>());
  });
}

void max_pool2d_backward(const PoolGeom& g, const Tensor& dx, const Tensor& dy, const Tensor& idx) {
  dispatch_float(dx.dtype(), "max_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::max_pool2d_backward_reference<T>(g, dy.data_ptr<T>(), idx.data_ptr<int64_t>(), dx.data_ptr<T>());
  });
}

// The argmax found again by the forward reference, then the scatter reference, in the compute type.
void max_pool2d_backward_recompute(const PoolGeom& g, const Tensor& dx, const Tensor& x, const Tensor& dy) {
  dispatch_float_io(x.dtype(), "max_pool2d", [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    const int64_t nx = g.planes * g.h * g.w, ny = g.planes * g.ho * g.wo;
    const std::vector<C> xc = widen<C>(x.data_ptr<S>(), nx), dyc = widen<C>(dy.data_ptr<S>(), ny);
    std::vector<C> yc(static_cast<size_t>(ny)), dxc(static_cast<size_t>(nx));
    std::vector<int64_t> ic(static_cast<size_t>(ny));
    kc::max_pool2d_forward_reference<C>(g, xc.data(), yc.data(), ic.data());
    kc::max_pool2d_backward_reference<C>(g, dyc.data(), ic.data(), dxc.data());
    dispatch_float_io(dx.dtype(), "max_pool2d", [&](auto dtag, auto) {
      using D = typename decltype(dtag)::type;
      D* pd = dx.data_ptr<D>();
      for (int64_t i = 0; i < nx; ++i) pd[i] = static_cast<D>(dxc[static_cast<size_t>(i)]);
    });
  });
}

void avg_pool2d_forward(const PoolGeom& g, bool count_include_pad, const Tensor& y, const Tensor& x) {
  dispatch_float(y.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::avg_pool2d_forward_reference<T>(g, count_include_pad, x.data_ptr<T>(), y.data_ptr<T>());
  });
}

void avg_pool2d_backward(const PoolGeom& g, bool count_include_pad, const Tensor& dx, const Tensor& dy) {
  dispatch_float(dx.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::avg_pool2d_backward_reference<T>(g, count_include_pad, dy.data_ptr<T>(), dx.data_ptr<T>());
  });
}

void adaptive_avg_pool2d_forward(const PoolGeom& g, const Tensor& y, const Tensor& x) {
  dispatch_float(y.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::adaptive_avg_pool2d_forward_reference<T>(g, x.data_ptr<T>(), y.data_ptr<T>());
  });
}

void adaptive_avg_pool2d_backward(const PoolGeom& g, const Tensor& dx, const Tensor& dy) {
  dispatch_float(dx.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::adaptive_avg_pool2d_backward_reference<T>(g, dy.data_ptr<T>(), dx.data_ptr<T>());
  });
}

// --- naive upsampling: PyTorch's source-index rules, evaluated per output element in T ---

// Nearest: src(o) = min(floor(o * scale), in - 1).
template <class T>
int64_t nearest_src(int64_t o, int64_t in, double scale) {
  return std::min(static_cast<int64_t>(std::floor(static_cast<T>(o) * static_cast<T>(scale))), in - 1);
}

// Bilinear: the two source taps of output o along one axis and their weights.
template <class T>
struct Tap {
  int64_t i0, i1;
  T l0, l1;
};
template <class T>
Tap<T> bilinear_src(int64_t o, int64_t in, int64_t out, double scale, bool align_corners) {
  T src;
  if (align_corners) {
    const T s = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
    src = s * static_cast<T>(o);
  } else {
    src = static_cast<T>(scale) * (static_cast<T>(o) + T(0.5)) - T(0.5);
  }
  if (src < T(0)) src = T(0);
  Tap<T> t;
  t.i0 = std::min(static_cast<int64_t>(src), in - 1);
  t.i1 = t.i0 < in - 1 ? t.i0 + 1 : t.i0;
  t.l1 = std::min(src - static_cast<T>(t.i0), T(1));
  t.l0 = T(1) - t.l1;
  return t;
}

void nearest_forward(const UpsampleGeom& g, const Tensor& y, const Tensor& x) {
  dispatch_float(y.dtype(), "upsample_nearest2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data_ptr<T>();
    T* py = y.data_ptr<T>();
    for (int64_t p = 0; p < g.planes; ++p) {
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        for (int64_t ow = 0; ow < g.wo; ++ow) {
          const int64_t ih = nearest_src<T>(oh, g.h, g.scale_h), iw = nearest_src<T>(ow, g.w, g.scale_w);
          py[(p * g.ho + oh) * g.wo + ow] = px[(p * g.h + ih) * g.w + iw];
        }
      }
    }
  });
}

void nearest_backward(const UpsampleGeom& g, const Tensor& dx, const Tensor& dy) {
  dispatch_float(dx.dtype(), "upsample_nearest2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* px = dx.data_ptr<T>();
    const T* py = dy.data_ptr<T>();
    std::fill(px, px + g.planes * g.h * g.w, T(0));
    for (int64_t p = 0; p < g.planes; ++p) {
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        for (int64_t ow = 0; ow < g.wo; ++ow) {
          const int64_t ih = nearest_src<T>(oh, g.h, g.scale_h), iw = nearest_src<T>(ow, g.w, g.scale_w);
          px[(p * g.h + ih) * g.w + iw] += py[(p * g.ho + oh) * g.wo + ow];
        }
      }
    }
  });
}

void bilinear_forward(const UpsampleGeom& g, const Tensor& y, const Tensor& x) {
  dispatch_float(y.dtype(), "upsample_bilinear2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data_ptr<T>();
    T* py = y.data_ptr<T>();
    for (int64_t p = 0; p < g.planes; ++p) {
      const T* xp = px + p * g.h * g.w;
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        const Tap<T> th = bilinear_src<T>(oh, g.h, g.ho, g.scale_h, g.align_corners);
        for (int64_t ow = 0; ow < g.wo; ++ow) {
          const Tap<T> tw = bilinear_src<T>(ow, g.w, g.wo, g.scale_w, g.align_corners);
          const T top = tw.l0 * xp[th.i0 * g.w + tw.i0] + tw.l1 * xp[th.i0 * g.w + tw.i1];
          const T bottom = tw.l0 * xp[th.i1 * g.w + tw.i0] + tw.l1 * xp[th.i1 * g.w + tw.i1];
          py[(p * g.ho + oh) * g.wo + ow] = th.l0 * top + th.l1 * bottom;
        }
      }
    }
  });
}

void bilinear_backward(const UpsampleGeom& g, const Tensor& dx, const Tensor& dy) {
  dispatch_float(dx.dtype(), "upsample_bilinear2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* px = dx.data_ptr<T>();
    const T* py = dy.data_ptr<T>();
    std::fill(px, px + g.planes * g.h * g.w, T(0));
    for (int64_t p = 0; p < g.planes; ++p) {
      T* xp = px + p * g.h * g.w;
      for (int64_t oh = 0; oh < g.ho; ++oh) {
        const Tap<T> th = bilinear_src<T>(oh, g.h, g.ho, g.scale_h, g.align_corners);
        for (int64_t ow = 0; ow < g.wo; ++ow) {
          const Tap<T> tw = bilinear_src<T>(ow, g.w, g.wo, g.scale_w, g.align_corners);
          const T v = py[(p * g.ho + oh) * g.wo + ow];
          xp[th.i0 * g.w + tw.i0] += th.l0 * tw.l0 * v;
          xp[th.i0 * g.w + tw.i1] += th.l0 * tw.l1 * v;
          xp[th.i1 * g.w + tw.i0] += th.l1 * tw.l0 * v;
          xp[th.i1 * g.w + tw.i1] += th.l1 * tw.l1 * v;
        }
      }
    }
  });
}

const ConvKernels kConv{conv2d_forward,
                        conv2d_backward_data,
                        conv2d_backward_weight,
                        conv_transpose2d_forward,
                        conv_transpose2d_backward_bias,
                        max_pool2d_forward,
                        max_pool2d_backward,
                        max_pool2d_backward_recompute,
                        avg_pool2d_forward,
                        avg_pool2d_backward,
                        adaptive_avg_pool2d_forward,
                        adaptive_avg_pool2d_backward,
                        nearest_forward,
                        nearest_backward,
                        bilinear_forward,
                        bilinear_backward};
}  // namespace

const ConvKernels* conv_kernels() { return &kConv; }

}  // namespace strata::backend::ref
