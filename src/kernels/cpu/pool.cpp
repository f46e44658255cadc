#include "kernels/cpu/pool.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/loops.h"
#include "strata/core/dtype.h"

namespace strata::kernels::cpu {

namespace {

// body(plane) for every plane; OpenMP over planes when the work (elements touched) is large.
template <class Body>
void for_each_plane(const PoolGeom& g, int64_t work_per_plane, Body&& body) {
  const bool par =
      g.planes > 1 && g.planes * work_per_plane >= kParallelGrain && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < g.planes; ++p) body(p);
}

// The clipped avg window of output (oh, ow) and its divisor.
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  int64_t divisor;
};
AvgWindow avg_window(const PoolGeom& g, bool count_include_pad, int64_t oh, int64_t ow) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = std::min(h0 + g.kh, g.h + g.ph), w1 = std::min(w0 + g.kw, g.w + g.pw);
  const int64_t pool = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.h), w1 = std::min(w1, g.w);
  return {h0, h1, w0, w1, count_include_pad ? pool : (h1 - h0) * (w1 - w0)};
}

int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

namespace {
// Fast path for the common 2x2 window with stride 2, no padding, no dilation: every window lies inside the
// image, so the bounds arithmetic of the general loop goes away. Same scan order and rule (first maximum
// wins ties, a NaN wins) as the general loop.
// Sizes by value: through the PoolGeom reference GCC reloads them after every index store (they might alias).
// Branch-free selects for the usual case; a window holding a NaN takes the general rule's scalar scan.
template <class T>
void max_pool2d_2x2s2_plane(const int64_t ho, const int64_t wo, const int64_t w, const T* xp, T* yp, int64_t* ip) {
  for (int64_t oh = 0; oh < ho; ++oh) {
    const T* x0 = xp + 2 * oh * w;
    const T* x1 = x0 + w;
    T* yr = yp + oh * wo;
    int64_t* ir = ip + oh * wo;
    const int64_t base = 2 * oh * w;
    int nan = 0;  // any NaN in this row's windows: only then the scalar pass below
    for (int64_t ow = 0; ow < wo; ++ow) {
      const T a = x0[2 * ow], b = x0[2 * ow + 1], c = x1[2 * ow], d = x1[2 * ow + 1];
      nan |= static_cast<int>(a != a) | static_cast<int>(b != b) | static_cast<int>(c != c) | static_cast<int>(d != d);
      // Later positions win only when strictly greater: ties keep the first index.
      const bool gb = b > a;
      const T m1 = gb ? b : a;
      const int64_t i1 = gb ? 1 : 0;
      const bool gd = d > c;
      const T m2 = gd ? d : c;
      const int64_t i2 = gd ? w + 1 : w;
      const bool g2 = m2 > m1;
      yr[ow] = g2 ? m2 : m1;
      ir[ow] = base + 2 * ow + (g2 ? i2 : i1);
    }
    for (int64_t ow = 0; nan != 0 && ow < wo; ++ow) {
      const T a = x0[2 * ow], b = x0[2 * ow + 1], c = x1[2 * ow], d = x1[2 * ow + 1];
      if (!(a != a || b != b || c != c || d != d)) continue;
      const int64_t pos[4] = {base + 2 * ow, base + 2 * ow + 1, base + w + 2 * ow, base + w + 2 * ow + 1};
      T best = -std::numeric_limits<T>::infinity();
      int64_t best_i = pos[0];
      for (const int64_t q : pos) {
        const T v = xp[q];
        if (v > best || v != v) {
          best = v;
          best_i = q;
        }
      }
      yr[ow] = best;
      ir[ow] = best_i;
    }
  }
}
}  // namespace

// The general rule's scan of window (oh, ow) of plane xp (storage S read as T): the flat index of its maximum
// (the first maximum wins, a NaN wins) and its value in best. A window with no position inside the image
// (possible with dilation) gives index -1 and -inf.
template <class T, class S>
inline int64_t window_argmax(const PoolGeom& g, const S* xp, int64_t oh, int64_t ow, T& best) {
  int64_t h0 = oh * g.sh - g.ph;
  const int64_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.h);
  while (h0 < 0) h0 += g.dh;
  int64_t w0 = ow * g.sw - g.pw;
  const int64_t w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.w);
  while (w0 < 0) w0 += g.dw;
  int64_t best_i = h0 < h1 && w0 < w1 ? h0 * g.w + w0 : -1;
  best = -std::numeric_limits<T>::infinity();
  for (int64_t ih = h0; ih < h1; ih += g.dh) {
    for (int64_t iw = w0; iw < w1; iw += g.dw) {
      const T v = static_cast<T>(xp[ih * g.w + iw]);
      if (v > best || std::isnan(v)) {
        best = v;
        best_i = ih * g.w + iw;
      }
    }
  }
  return best_i;
}

template <class T>
void max_pool2d_forward(const PoolGeom& g, const T* x, T* y, int64_t* idx) {
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  const bool fast = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 &&
                    g.dw == 1 && 2 * g.ho <= g.h && 2 * g.wo <= g.w;
  for_each_plane(g, ohw * g.kh * g.kw, [&](int64_t p) {
    const T* xp = x + p * hw;
    T* yp = y + p * ohw;
    int64_t* ip = idx + p * ohw;
    if (fast) {
      max_pool2d_2x2s2_plane(g.ho, g.wo, g.w, xp, yp, ip);
      return;
    }
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        T best;
        ip[oh * g.wo + ow] = window_argmax(g, xp, oh, ow, best);
        yp[oh * g.wo + ow] = best;
      }
    }
  });
}

template <class T>
void max_pool2d_backward(const PoolGeom& g, const T* dy, const int64_t* idx, T* dx) {
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  for_each_plane(g, hw + ohw, [&](int64_t p) {
    T* dxp = dx + p * hw;
    std::fill(dxp, dxp + hw, T(0));
    const T* dyp = dy + p * ohw;
    const int64_t* ip = idx + p * ohw;
    for (int64_t o = 0; o < ohw; ++o) {
      if (ip[o] >= 0) dxp[ip[o]] += dyp[o];
    }
  });
}

template <class S>
void max_pool2d_forward_lowp(const PoolGeom& g, const S* x, S* y, int64_t* idx) {
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  for_each_plane(g, ohw * g.kh * g.kw, [&](int64_t p) {
    const S* xp = x + p * hw;
    S* yp = y + p * ohw;
    int64_t* ip = idx != nullptr ? idx + p * ohw : nullptr;
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        float best;
        const int64_t bi = window_argmax(g, xp, oh, ow, best);
        yp[oh * g.wo + ow] = S(best);  // exact: best is one of the 16-bit inputs (or -inf)
        if (ip != nullptr) ip[oh * g.wo + ow] = bi;
      }
    }
  });
}

template <class S, class T>
void max_pool2d_backward_recompute(const PoolGeom& g, const S* x, const S* dy, T* dx) {
  // C: what values are compared and summed in (float for 16-bit storage).
  using C = std::conditional_t<std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>, float, S>;
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  for_each_plane(g, hw + ohw * g.kh * g.kw, [&](int64_t p) {
    const S* xp = x + p * hw;
    const S* dyp = dy + p * ohw;
    T* dxp = dx + p * hw;
    std::fill(dxp, dxp + hw, T{});
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        C best;  // the forward's general rule, so the same element wins
        const int64_t best_i = window_argmax(g, xp, oh, ow, best);
        if (best_i < 0) continue;
        if constexpr (std::is_same_v<T, C>) {
          dxp[best_i] += static_cast<C>(dyp[oh * g.wo + ow]);
        } else {
          dxp[best_i] = dyp[oh * g.wo + ow];  // 16-bit dx: windows do not overlap (max_pool2d_windows_disjoint)
        }
      }
    }
  });
}

template <class T>
void avg_pool2d_forward(const PoolGeom& g, bool count_include_pad, const T* x, T* y) {
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  for_each_plane(g, ohw * g.kh * g.kw, [&](int64_t p) {
    const T* xp = x + p * hw;
    T* yp = y + p * ohw;
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const AvgWindow a = avg_window(g, count_include_pad, oh, ow);
        T s = 0;
        for (int64_t ih = a.h0; ih < a.h1; ++ih)
          for (int64_t iw = a.w0; iw < a.w1; ++iw) s += xp[ih * g.w + iw];
        yp[oh * g.wo + ow] = (a.h0 >= a.h1 || a.w0 >= a.w1) ? T(0) : s / static_cast<T>(a.divisor);
      }
    }
  });
}

template <class T>
void avg_pool2d_backward(const PoolGeom& g, bool count_include_pad, const T* dy, T* dx) {
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  for_each_plane(g, hw + ohw * g.kh * g.kw, [&](int64_t p) {
    T* dxp = dx + p * hw;
    std::fill(dxp, dxp + hw, T(0));
    const T* dyp = dy + p * ohw;
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const AvgWindow a = avg_window(g, count_include_pad, oh, ow);
        if (a.h0 >= a.h1 || a.w0 >= a.w1) continue;
        const T v = dyp[oh * g.wo + ow] / static_cast<T>(a.divisor);
        for (int64_t ih = a.h0; ih < a.h1; ++ih)
          for (int64_t iw = a.w0; iw < a.w1; ++iw) dxp[ih * g.w + iw] += v;
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_forward(const PoolGeom& g, const T* x, T* y) {
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  for_each_plane(g, hw + ohw, [&](int64_t p) {
    const T* xp = x + p * hw;
    T* yp = y + p * ohw;
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.h, g.ho), h1 = adaptive_end(oh, g.h, g.ho);
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.w, g.wo), w1 = adaptive_end(ow, g.w, g.wo);
        T s = 0;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) s += xp[ih * g.w + iw];
        yp[oh * g.wo + ow] = s / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_backward(const PoolGeom& g, const T* dy, T* dx) {
  const int64_t hw = g.h * g.w, ohw = g.ho * g.wo;
  for_each_plane(g, hw + ohw, [&](int64_t p) {
    T* dxp = dx + p * hw;
    std::fill(dxp, dxp + hw, T(0));
    const T* dyp = dy + p * ohw;
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.h, g.ho), h1 = adaptive_end(oh, g.h, g.ho);
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.w, g.wo), w1 = adaptive_end(ow, g.w, g.wo);
        const T v = dyp[oh * g.wo + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) dxp[ih * g.w + iw] += v;
      }
    }
  });
}

// ---- references -------------------------------------------------------------------------------------------

namespace {
// f(plane, o, ih, iw) for every (output, in-bounds kernel position) pair of a max/avg pool window, in
// row-major kernel order; avg windows have no dilation.
template <class F>
void for_each_window_term(const PoolGeom& g, int64_t dh, int64_t dw, F f) {
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oh = 0; oh < g.ho; ++oh)
      for (int64_t ow = 0; ow < g.wo; ++ow)
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t ih = oh * g.sh - g.ph + i * dh, iw = ow * g.sw - g.pw + j * dw;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            f(p, oh * g.wo + ow, ih, iw);
          }
}
// The PyTorch avg divisor computed from scratch: the window clipped to the padded image, or to the image.
int64_t ref_avg_divisor(const PoolGeom& g, bool count_include_pad, int64_t oh, int64_t ow) {
  int64_t n = 0;
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t ih = oh * g.sh - g.ph + i, iw = ow * g.sw - g.pw + j;
      const bool in_padded = ih < g.h + g.ph && iw < g.w + g.pw;  // ih >= -ph always holds
      const bool in_image = ih >= 0 && ih < g.h && iw >= 0 && iw < g.w;
      n += count_include_pad ? in_padded : in_image;
    }
  return n;
}
}  // namespace

template <class T>
void max_pool2d_forward_reference(const PoolGeom& g, const T* x, T* y, int64_t* idx) {
  const int64_t n_out = g.planes * g.ho * g.wo, ohw = g.ho * g.wo;
  std::fill(y, y + n_out, -std::numeric_limits<T>::infinity());
  std::fill(idx, idx + n_out, int64_t{-1});
  for_each_window_term(g, g.dh, g.dw, [&](int64_t p, int64_t o, int64_t ih, int64_t iw) {
    const T v = x[(p * g.h + ih) * g.w + iw];
    T& best = y[p * ohw + o];
    int64_t& bi = idx[p * ohw + o];
    if (bi < 0 || v > best || std::isnan(v)) {
      best = v;
      bi = ih * g.w + iw;
    }
  });
}

template <class T>
void max_pool2d_backward_reference(const PoolGeom& g, const T* dy, const int64_t* idx, T* dx) {
  std::fill(dx, dx + g.planes * g.h * g.w, T(0));
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t o = 0; o < g.ho * g.wo; ++o) {
      const int64_t i = idx[p * g.ho * g.wo + o];
      if (i >= 0) dx[p * g.h * g.w + i] += dy[p * g.ho * g.wo + o];
    }
}

template <class T>
void avg_pool2d_forward_reference(const PoolGeom& g, bool count_include_pad, const T* x, T* y) {
  const int64_t ohw = g.ho * g.wo;
  std::fill(y, y + g.planes * ohw, T(0));
  for_each_window_term(g, 1, 1, [&](int64_t p, int64_t o, int64_t ih, int64_t iw) {
    y[p * ohw + o] +=
        x[(p * g.h + ih) * g.w + iw] / static_cast<T>(ref_avg_divisor(g, count_include_pad, o / g.wo, o % g.wo));
  });
}

template <class T>
void avg_pool2d_backward_reference(const PoolGeom& g, bool count_include_pad, const T* dy, T* dx) {
  const int64_t ohw = g.ho * g.wo;
  std::fill(dx, dx + g.planes * g.h * g.w, T(0));
  for_each_window_term(g, 1, 1, [&](int64_t p, int64_t o, int64_t ih, int64_t iw) {
    dx[(p * g.h + ih) * g.w + iw] +=
        dy[p * ohw + o] / static_cast<T>(ref_avg_divisor(g, count_include_pad, o / g.wo, o % g.wo));
  });
}

template <class T>
void adaptive_avg_pool2d_forward_reference(const PoolGeom& g, const T* x, T* y) {
  // Input row ih belongs to output row oh when floor(oh H / Ho) <= ih < ceil((oh + 1) H / Ho), i.e.
  // oh * H < (ih + 1) * Ho and ih * Ho < (oh + 1) * H (exact integer form of the same rule).
  auto in_win = [](int64_t o, int64_t i, int64_t in, int64_t out) {
    return o * in < (i + 1) * out && i * out < (o + 1) * in;
  };
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oh = 0; oh < g.ho; ++oh)
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        T s = 0;
        int64_t n = 0;
        for (int64_t ih = 0; ih < g.h; ++ih)
          for (int64_t iw = 0; iw < g.w; ++iw)
            if (in_win(oh, ih, g.h, g.ho) && in_win(ow, iw, g.w, g.wo)) s += x[(p * g.h + ih) * g.w + iw], ++n;
        y[(p * g.ho + oh) * g.wo + ow] = s / static_cast<T>(n);
      }
}

template <class T>
void adaptive_avg_pool2d_backward_reference(const PoolGeom& g, const T* dy, T* dx) {
  auto in_win = [](int64_t o, int64_t i, int64_t in, int64_t out) {
    return o * in < (i + 1) * out && i * out < (o + 1) * in;
  };
  std::fill(dx, dx + g.planes * g.h * g.w, T(0));
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oh = 0; oh < g.ho; ++oh)
      for (int64_t ow = 0; ow < g.wo; ++ow) {
        int64_t n = 0;
        for (int64_t ih = 0; ih < g.h; ++ih)
          for (int64_t iw = 0; iw < g.w; ++iw) n += in_win(oh, ih, g.h, g.ho) && in_win(ow, iw, g.w, g.wo);
        for (int64_t ih = 0; ih < g.h; ++ih)
          for (int64_t iw = 0; iw < g.w; ++iw)
            if (in_win(oh, ih, g.h, g.ho) && in_win(ow, iw, g.w, g.wo))
              dx[(p * g.h + ih) * g.w + iw] += dy[(p * g.ho + oh) * g.wo + ow] / static_cast<T>(n);
      }
}

#define STRATA_POOL_INSTANTIATE(T)                                                               \
  template void max_pool2d_forward<T>(const PoolGeom&, const T*, T*, int64_t*);                  \
  template void max_pool2d_backward<T>(const PoolGeom&, const T*, const int64_t*, T*);           \
  template void avg_pool2d_forward<T>(const PoolGeom&, bool, const T*, T*);                      \
  template void avg_pool2d_backward<T>(const PoolGeom&, bool, const T*, T*);                     \
  template void adaptive_avg_pool2d_forward<T>(const PoolGeom&, const T*, T*);                   \
  template void adaptive_avg_pool2d_backward<T>(const PoolGeom&, const T*, T*);                  \
  template void max_pool2d_forward_reference<T>(const PoolGeom&, const T*, T*, int64_t*);        \
  template void max_pool2d_backward_reference<T>(const PoolGeom&, const T*, const int64_t*, T*); \
  template void avg_pool2d_forward_reference<T>(const PoolGeom&, bool, const T*, T*);            \
  template void avg_pool2d_backward_reference<T>(const PoolGeom&, bool, const T*, T*);           \
  template void adaptive_avg_pool2d_forward_reference<T>(const PoolGeom&, const T*, T*);         \
  template void adaptive_avg_pool2d_backward_reference<T>(const PoolGeom&, const T*, T*);
STRATA_POOL_INSTANTIATE(float)
STRATA_POOL_INSTANTIATE(double)
#undef STRATA_POOL_INSTANTIATE
template void max_pool2d_backward_recompute<float, float>(const PoolGeom&, const float*, const float*, float*);
template void max_pool2d_backward_recompute<double, double>(const PoolGeom&, const double*, const double*, double*);
template void max_pool2d_backward_recompute<BFloat16, float>(const PoolGeom&, const BFloat16*, const BFloat16*, float*);
template void max_pool2d_backward_recompute<Half, float>(const PoolGeom&, const Half*, const Half*, float*);
template void max_pool2d_backward_recompute<BFloat16, BFloat16>(const PoolGeom&, const BFloat16*, const BFloat16*,
                                                                BFloat16*);
template void max_pool2d_backward_recompute<Half, Half>(const PoolGeom&, const Half*, const Half*, Half*);
template void max_pool2d_forward_lowp<BFloat16>(const PoolGeom&, const BFloat16*, BFloat16*, int64_t*);
template void max_pool2d_forward_lowp<Half>(const PoolGeom&, const Half*, Half*, int64_t*);

}  // namespace strata::kernels::cpu
