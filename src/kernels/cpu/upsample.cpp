#include "kernels/cpu/upsample.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace strata::kernels::cpu {

namespace {

template <class T>
std::vector<int64_t> nearest_index(int64_t in, int64_t out, double scale) {
  std::vector<int64_t> idx(static_cast<size_t>(out));
  const T s = static_cast<T>(scale);
  for (int64_t o = 0; o < out; ++o) {
    idx[static_cast<size_t>(o)] = std::min(static_cast<int64_t>(std::floor(static_cast<T>(o) * s)), in - 1);
  }
  return idx;
}

// One axis of bilinear interpolation: out[o] = l0 * in[i0] + l1 * in[i1].
template <class T>
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
};

template <class T>
Taps<T> linear_taps(int64_t in, int64_t out, double scale, bool align_corners) {
  Taps<T> t;
  t.i0.resize(static_cast<size_t>(out)), t.i1.resize(static_cast<size_t>(out));
  t.l0.resize(static_cast<size_t>(out)), t.l1.resize(static_cast<size_t>(out));
  T s;
  if (align_corners) {
    s = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  } else {
    s = static_cast<T>(scale);
  }
  for (int64_t o = 0; o < out; ++o) {
    T src = align_corners ? s * static_cast<T>(o) : s * (static_cast<T>(o) + T(0.5)) - T(0.5);
    if (src < T(0)) src = T(0);
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    const size_t k = static_cast<size_t>(o);
    t.i0[k] = i0;
    t.i1[k] = i0 + (i0 < in - 1 ? 1 : 0);
    t.l1[k] = std::min(src - static_cast<T>(i0), T(1));
    t.l0[k] = T(1) - t.l1[k];
  }
  return t;
}

// body(input plane, output plane) for every (n, c) plane, in parallel over planes when the output is large.
template <class A, class B, class F>
void for_each_plane(const UpsampleGeom& g, A* in, B* out, F body) {
#pragma omp parallel for schedule(static) if (g.planes * g.ho * g.wo >= (1 << 16))
  for (int64_t p = 0; p < g.planes; ++p) body(in + p * g.h * g.w, out + p * g.ho * g.wo);
}

}  // namespace

template <class T>
void upsample_nearest2d_forward(const UpsampleGeom& g, const T* x, T* y) {
  const auto ih = nearest_index<T>(g.h, g.ho, g.scale_h), iw = nearest_index<T>(g.w, g.wo, g.scale_w);
  for_each_plane(g, x, y, [&](const T* xp, T* yp) {
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      const T* xr = xp + ih[static_cast<size_t>(oh)] * g.w;
      T* yr = yp + oh * g.wo;
      for (int64_t ow = 0; ow < g.wo; ++ow) yr[ow] = xr[iw[static_cast<size_t>(ow)]];
    }
  });
}

template <class T>
void upsample_nearest2d_backward(const UpsampleGeom& g, const T* dy, T* dx) {
  const auto ih = nearest_index<T>(g.h, g.ho, g.scale_h), iw = nearest_index<T>(g.w, g.wo, g.scale_w);
  for_each_plane(g, dx, dy, [&](T* xp, const T* yp) {
    std::fill(xp, xp + g.h * g.w, T(0));
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      T* xr = xp + ih[static_cast<size_t>(oh)] * g.w;
      const T* yr = yp + oh * g.wo;
      for (int64_t ow = 0; ow < g.wo; ++ow) xr[iw[static_cast<size_t>(ow)]] += yr[ow];
    }
  });
}

template <class T>
void upsample_bilinear2d_forward(const UpsampleGeom& g, const T* x, T* y) {
  const Taps<T> th = linear_taps<T>(g.h, g.ho, g.scale_h, g.align_corners);
  const Taps<T> tw = linear_taps<T>(g.w, g.wo, g.scale_w, g.align_corners);
  for_each_plane(g, x, y, [&](const T* xp, T* yp) {
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      const size_t a = static_cast<size_t>(oh);
      const T* r0 = xp + th.i0[a] * g.w;
      const T* r1 = xp + th.i1[a] * g.w;
      const T h0 = th.l0[a], h1 = th.l1[a];
      T* yr = yp + oh * g.wo;
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const size_t b = static_cast<size_t>(ow);
        const int64_t j0 = tw.i0[b], j1 = tw.i1[b];
        yr[ow] = h0 * (tw.l0[b] * r0[j0] + tw.l1[b] * r0[j1]) + h1 * (tw.l0[b] * r1[j0] + tw.l1[b] * r1[j1]);
      }
    }
  });
}

template <class T>
void upsample_bilinear2d_backward(const UpsampleGeom& g, const T* dy, T* dx) {
  const Taps<T> th = linear_taps<T>(g.h, g.ho, g.scale_h, g.align_corners);
  const Taps<T> tw = linear_taps<T>(g.w, g.wo, g.scale_w, g.align_corners);
  for_each_plane(g, dx, dy, [&](T* xp, const T* yp) {
    std::fill(xp, xp + g.h * g.w, T(0));
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      const size_t a = static_cast<size_t>(oh);
      T* r0 = xp + th.i0[a] * g.w;
      T* r1 = xp + th.i1[a] * g.w;
      const T h0 = th.l0[a], h1 = th.l1[a];
      const T* yr = yp + oh * g.wo;
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const size_t b = static_cast<size_t>(ow);
        const T v = yr[ow];
        r0[tw.i0[b]] += h0 * tw.l0[b] * v;
        r0[tw.i1[b]] += h0 * tw.l1[b] * v;
        r1[tw.i0[b]] += h1 * tw.l0[b] * v;
        r1[tw.i1[b]] += h1 * tw.l1[b] * v;
      }
    }
  });
}

#define STRATA_UPSAMPLE_INSTANTIATE(T)                                             \
  template void upsample_nearest2d_forward<T>(const UpsampleGeom&, const T*, T*);  \
  template void upsample_nearest2d_backward<T>(const UpsampleGeom&, const T*, T*); \
  template void upsample_bilinear2d_forward<T>(const UpsampleGeom&, const T*, T*); \
  template void upsample_bilinear2d_backward<T>(const UpsampleGeom&, const T*, T*);
STRATA_UPSAMPLE_INSTANTIATE(float)
STRATA_UPSAMPLE_INSTANTIATE(double)
#undef STRATA_UPSAMPLE_INSTANTIATE

}  // namespace strata::kernels::cpu
