#include "kernels/cpu/conv.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/conv_dnnl.h"
#include "kernels/cpu/gemm.h"
#include "strata/core/error.h"
#include "strata/core/threading.h"

namespace strata::kernels::cpu {

namespace {

// OpenMP over images (single-threaded GEMM inside) when every thread gets an image and the work is worth a
// parallel region; otherwise images one after another with GEMM threaded on its own.
bool over_batch(const ConvGeom& g) {
  const int64_t nt = omp_get_max_threads();
  const int64_t flops = g.n * g.cout * g.k() * g.p();
  return nt > 1 && !omp_in_parallel() && g.n >= nt && flops >= (int64_t{1} << 16);
}

// Runs body(image, thread_buffer) for every image; each thread owns a column buffer of `buf_size`.
template <class T, class Body>
void for_each_image(const ConvGeom& g, int64_t buf_size, Body&& body) {
  if (over_batch(g)) {
#pragma omp parallel
    {
      std::unique_ptr<T[]> buf(new T[static_cast<size_t>(buf_size)]);  // uninitialised: fully written per image
#pragma omp for schedule(static)
      for (int64_t n = 0; n < g.n; ++n) body(n, buf.get());
    }
  } else {
    std::unique_ptr<T[]> buf(new T[static_cast<size_t>(buf_size)]);
    for (int64_t n = 0; n < g.n; ++n) body(n, buf.get());
  }
}

// The weight gradient sums over the batch. The batch is cut into chunks by its size alone (never by the thread
// count); each chunk sums its images in order into its own accumulator and the accumulators are added in chunk
// order, so dW and db are bit-identical on any number of threads. 8 chunks keep 2-8 threads busy; the cap keeps
// the accumulators of a large layer (ResNet's 512 x 4608) under 64 MiB.
int64_t weight_chunks(int64_t n, int64_t acc_bytes) {
  constexpr int64_t kChunks = 8, kMaxBytes = int64_t{64} << 20;
  return std::max<int64_t>(1, std::min({n, kChunks, kMaxBytes / std::max<int64_t>(acc_bytes, 1)}));
}

}  // namespace

// Rows here are short (LeNet: 10-28 values): plain loops, which GCC vectorises inline, cost less than the
// memcpy/memset calls it would otherwise turn them into (no-tree-loop-distribute-patterns).
#define STRATA_INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))

namespace {

// Unit stride and dilation (LeNet, ResNet's 3x3 s1 layers): each input channel is copied once into a
// zero-padded plane, after which every column row is a plain run of wo values, with no bounds arithmetic.
// The padded plane lives in a per-thread buffer reused across calls.
template <class T>
STRATA_INLINE_COPIES void im2col_unit_stride(const ConvGeom& g, const T* x, T* col) {
  const int64_t hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw, p = g.p();
  thread_local std::vector<T> padded;
  if (padded.size() < static_cast<size_t>(hp * wp)) padded.resize(static_cast<size_t>(hp * wp));
  T* pad = padded.data();
  for (int64_t q = 0; q < hp * wp; ++q) pad[q] = T(0);
  for (int64_t ci = 0; ci < g.c; ++ci) {
    const T* xc = x + ci * g.h * g.w;
    for (int64_t ih = 0; ih < g.h; ++ih) {
      T* dst = pad + (ih + g.ph) * wp + g.pw;
      const T* src = xc + ih * g.w;
      for (int64_t iw = 0; iw < g.w; ++iw) dst[iw] = src[iw];
    }
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((ci * g.kh + i) * g.kw + j) * p;
        for (int64_t oh = 0; oh < g.ho; ++oh) {
          const T* src = pad + (oh + i) * wp + j;
          T* dst = row + oh * g.wo;
          for (int64_t ow = 0; ow < g.wo; ++ow) dst[ow] = src[ow];
        }
      }
    }
  }
}

// The adjoint of im2col_unit_stride: rows accumulate into a zero padded plane, whose interior is then added
// to dx.
template <class T>
STRATA_INLINE_COPIES void col2im_unit_stride(const ConvGeom& g, const T* col, T* dx) {
  const int64_t hp = g.h + 2 * g.ph, wp = g.w + 2 * g.pw, p = g.p();
  thread_local std::vector<T> padded;
  if (padded.size() < static_cast<size_t>(hp * wp)) padded.resize(static_cast<size_t>(hp * wp));
  T* pad = padded.data();
  for (int64_t ci = 0; ci < g.c; ++ci) {
    for (int64_t q = 0; q < hp * wp; ++q) pad[q] = T(0);
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((ci * g.kh + i) * g.kw + j) * p;
        for (int64_t oh = 0; oh < g.ho; ++oh) {
          T* dst = pad + (oh + i) * wp + j;
          const T* src = row + oh * g.wo;
          for (int64_t ow = 0; ow < g.wo; ++ow) dst[ow] += src[ow];
        }
      }
    }
    T* xc = dx + ci * g.h * g.w;
    for (int64_t ih = 0; ih < g.h; ++ih) {
      const T* src = pad + (ih + g.ph) * wp + g.pw;
      T* dst = xc + ih * g.w;
      for (int64_t iw = 0; iw < g.w; ++iw) dst[iw] += src[iw];
    }
  }
}

}  // namespace

template <class T>
STRATA_INLINE_COPIES void im2col(const ConvGeom& g, const T* x, T* col) {
  if (g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1) {
    im2col_unit_stride(g, x, col);
    return;
  }
  const int64_t hw = g.h * g.w, p = g.p();
  for (int64_t ci = 0; ci < g.c; ++ci) {
    const T* xc = x + ci * hw;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((ci * g.kh + i) * g.kw + j) * p;
        const int64_t w0 = j * g.dw - g.pw;  // input column of ow = 0
        // Output columns whose input column lies inside [0, W): ow in [lo, hi).
        const int64_t lo = w0 >= 0 ? 0 : std::min(g.wo, (-w0 + g.sw - 1) / g.sw);
        const int64_t hi = std::clamp<int64_t>(g.w - w0 > 0 ? (g.w - w0 + g.sw - 1) / g.sw : 0, lo, g.wo);
        for (int64_t oh = 0; oh < g.ho; ++oh) {
          T* r = row + oh * g.wo;
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) {
            for (int64_t ow = 0; ow < g.wo; ++ow) r[ow] = T(0);
            continue;
          }
          const T* xr = xc + ih * g.w;  // input column of ow is w0 + ow * sw
          for (int64_t ow = 0; ow < lo; ++ow) r[ow] = T(0);
          if (g.sw == 1) {
            const T* src = xr + w0;
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[w0 + ow * g.sw];
          }
          for (int64_t ow = hi; ow < g.wo; ++ow) r[ow] = T(0);
        }
      }
    }
  }
}

template <class T>
STRATA_INLINE_COPIES void col2im(const ConvGeom& g, const T* col, T* dx) {
  if (g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1) {
    col2im_unit_stride(g, col, dx);
    return;
  }
  const int64_t hw = g.h * g.w, p = g.p();
  for (int64_t ci = 0; ci < g.c; ++ci) {
    T* xc = dx + ci * hw;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((ci * g.kh + i) * g.kw + j) * p;
        const int64_t w0 = j * g.dw - g.pw;
        const int64_t lo = w0 >= 0 ? 0 : std::min(g.wo, (-w0 + g.sw - 1) / g.sw);
        const int64_t hi = std::clamp<int64_t>(g.w - w0 > 0 ? (g.w - w0 + g.sw - 1) / g.sw : 0, lo, g.wo);
        for (int64_t oh = 0; oh < g.ho; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          const T* r = row + oh * g.wo;
          T* xr = xc + ih * g.w;
          if (g.sw == 1) {
            T* dst = xr + w0;
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += r[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) xr[w0 + ow * g.sw] += r[ow];
          }
        }
      }
    }
  }
}

#undef STRATA_INLINE_COPIES

template <class T>
void conv2d_forward_im2col(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  const int64_t k = g.k(), p = g.p(), cog = g.cout_g(), in_size = g.c * g.h * g.w, out_size = g.cout * p;
  const bool pw = g.pointwise();
  for_each_image<T>(g, pw ? 0 : g.groups * k * p, [&](int64_t n, T* buf) {
    const T* xn = x + n * in_size;
    T* yn = y + n * out_size;
    const T* col = xn;
    if (!pw) {
      im2col(g, xn, buf);
      col = buf;
    }
    if (b != nullptr) {
      for (int64_t co = 0; co < g.cout; ++co) std::fill(yn + co * p, yn + (co + 1) * p, b[co]);
    }
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      gemm<T>(false, false, cog, p, k, T(1), w + grp * cog * k, k, col + grp * k * p, p, b != nullptr ? T(1) : T(0),
              yn + grp * cog * p, p);
    }
  });
}

template <class T>
void conv2d_backward_data_im2col(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const int64_t k = g.k(), p = g.p(), cog = g.cout_g(), in_size = g.c * g.h * g.w, out_size = g.cout * p;
  const bool pw = g.pointwise();
  for_each_image<T>(g, pw ? 0 : g.groups * k * p, [&](int64_t n, T* buf) {
    const T* dyn = dy + n * out_size;
    T* dxn = dx + n * in_size;
    T* dcol = pw ? dxn : buf;  // pointwise: the column gradient is the input gradient
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      gemm<T>(true, false, k, p, cog, T(1), w + grp * cog * k, k, dyn + grp * cog * p, p, T(0), dcol + grp * k * p, p);
    }
    if (!pw) {
      std::fill(dxn, dxn + in_size, T(0));
      col2im(g, buf, dxn);
    }
  });
}

template <class T>
void conv2d_backward_weight_im2col(const ConvGeom& g, const T* dy, const T* x, T* dw, T* db) {
  const int64_t k = g.k(), p = g.p(), cog = g.cout_g(), in_size = g.c * g.h * g.w, out_size = g.cout * p;
  const int64_t w_size = g.cout * k, acc_size = w_size + g.cout;
  const bool pw = g.pointwise();
  const int64_t chunks = weight_chunks(g.n, acc_size * static_cast<int64_t>(sizeof(T)));
  const int64_t buf_size = (pw || dw == nullptr) ? 0 : g.groups * k * p;
  std::vector<T> acc(static_cast<size_t>(chunks * acc_size), T(0));
  auto run_chunk = [&](int64_t c, T* buf) {
    T* a = acc.data() + c * acc_size;
    for (int64_t n = c * g.n / chunks; n < (c + 1) * g.n / chunks; ++n) {
      const T* dyn = dy + n * out_size;
      if (dw != nullptr) {
        const T* col = x + n * in_size;
        if (!pw) {
          im2col(g, col, buf);
          col = buf;
        }
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          gemm<T>(false, true, cog, k, p, T(1), dyn + grp * cog * p, p, col + grp * k * p, p, T(1), a + grp * cog * k,
                  k);
        }
      }
      if (db != nullptr) {
        T* adb = a + w_size;
        for (int64_t co = 0; co < g.cout; ++co) {
          const T* r = dyn + co * p;
          T s = 0;
          for (int64_t q = 0; q < p; ++q) s += r[q];
          adb[co] += s;
        }
      }
    }
  };
  const int64_t flops = g.n * g.cout * k * p;
  if (chunks > 1 && omp_get_max_threads() > 1 && !omp_in_parallel() && flops >= (int64_t{1} << 16)) {
#pragma omp parallel
    {
      std::unique_ptr<T[]> buf(new T[static_cast<size_t>(buf_size)]);
#pragma omp for schedule(static)
      for (int64_t c = 0; c < chunks; ++c) run_chunk(c, buf.get());
    }
  } else {
    std::unique_ptr<T[]> buf(new T[static_cast<size_t>(buf_size)]);
    for (int64_t c = 0; c < chunks; ++c) run_chunk(c, buf.get());
  }
  for (int64_t c = 1; c < chunks; ++c) {
    const T* a = acc.data() + c * acc_size;
    for (int64_t i = 0; i < acc_size; ++i) acc[static_cast<size_t>(i)] += a[i];
  }
  if (dw != nullptr) std::copy(acc.begin(), acc.begin() + w_size, dw);
  if (db != nullptr) std::copy(acc.begin() + w_size, acc.begin() + acc_size, db);
}

// ---- dispatch: oneDNN or im2col ------------------------------------------------------------------------------

namespace {

ConvAlgo algo_from_env() {
  const char* v = std::getenv("STRATA_CONV");
  if (v == nullptr || *v == '\0') return ConvAlgo::Auto;
  const std::string s(v);
  if (s == "auto") return ConvAlgo::Auto;
  if (s == "im2col") return ConvAlgo::Im2col;
  if (s == "dnnl") return ConvAlgo::Dnnl;
  STRATA_FAIL("STRATA_CONV must be im2col, dnnl or auto, got '", s, "'");
}

std::atomic<ConvAlgo>& algo() {
  static std::atomic<ConvAlgo> a{algo_from_env()};
  return a;
}

// oneDNN for float only, and never in deterministic mode: its weight gradient splits the batch sum by the thread
// count.
template <class T>
bool use_dnnl(const ConvGeom& g, ConvPass pass) {
  if constexpr (!std::is_same_v<T, float>) {
    return false;
  } else {
    if (!dnnl_available() || is_deterministic()) return false;
    switch (algo().load(std::memory_order_relaxed)) {
      case ConvAlgo::Im2col: return false;
      case ConvAlgo::Dnnl: return true;
      case ConvAlgo::Auto: break;
    }
    return conv_prefers_dnnl(g, pass);
  }
}

}  // namespace

void set_conv_algo(ConvAlgo a) { algo().store(a, std::memory_order_relaxed); }
ConvAlgo conv_algo() { return algo().load(std::memory_order_relaxed); }

// Measured per shape (docs/performance.md, "Convolution: im2col or oneDNN, per shape"). oneDNN pays a reorder of
// every activation in and out (NCHW <-> blocked); its direct kernels win once each reordered value carries enough
// multiply-adds: LeNet conv2, the demo's conv2 and ResNet's 3x3 layers (86-288 per value, 1.2-2.2x on fwd and
// bwd_data) but not the 1-channel first layers or the 1x1 projection (9-24 per value, 0.2-0.8x). The weight
// gradient gains only where im2col's GEMMs sum over short output planes (LeNet's 10x10: 1.1-1.7x); from ResNet's
// 14x14 planes up the two tie or oneDNN loses on 2 threads. Grouped convolutions were not measured: im2col.
// A call also has a fixed cost (primitive lookup, two reorders, their parallel regions): LeNet's batch-1 forward
// took 93 us with oneDNN on conv2 (0.24M multiply-adds) and 64 us with im2col, so below a million multiply-adds
// in the whole call im2col is kept.
bool conv_prefers_dnnl(const ConvGeom& g, ConvPass pass) {
  if (g.groups != 1 || (g.kh == 1 && g.kw == 1)) return false;
  const double macs = static_cast<double>(g.cout) * static_cast<double>(g.k()) * static_cast<double>(g.p());
  const double reordered = static_cast<double>(g.c * g.h * g.w + g.cout * g.p());
  if (macs < 48.0 * reordered || macs * static_cast<double>(g.n) < 1e6) return false;
  return pass != ConvPass::BackwardWeight || g.p() < 196;
}

template <class T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    if (use_dnnl<T>(g, ConvPass::Forward) && conv2d_forward_dnnl(g, x, w, b, y)) return;
  }
  conv2d_forward_im2col(g, x, w, b, y);
}

template <class T>
void conv2d_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  if constexpr (std::is_same_v<T, float>) {
    if (use_dnnl<T>(g, ConvPass::BackwardData) && conv2d_backward_data_dnnl(g, dy, w, dx)) return;
  }
  conv2d_backward_data_im2col(g, dy, w, dx);
}

template <class T>
void conv2d_backward_weight(const ConvGeom& g, const T* dy, const T* x, T* dw, T* db) {
  if constexpr (std::is_same_v<T, float>) {
    if (dw != nullptr && use_dnnl<T>(g, ConvPass::BackwardWeight) && conv2d_backward_weight_dnnl(g, dy, x, dw, db))
      return;
  }
  conv2d_backward_weight_im2col(g, dy, x, dw, db);
}

template <class T>
void conv_transpose2d_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  conv2d_backward_data(g, x, w, y);
  if (b == nullptr) return;
  const int64_t hw = g.h * g.w;
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      T* r = y + (n * g.c + c) * hw;
      const T bc = b[c];
      for (int64_t q = 0; q < hw; ++q) r[q] += bc;
    }
  }
}

template <class T>
void conv_transpose2d_backward_bias(const ConvGeom& g, const T* dy, T* db) {
  const int64_t hw = g.h * g.w;
  for (int64_t c = 0; c < g.c; ++c) {
    T s = 0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* r = dy + (n * g.c + c) * hw;
      for (int64_t q = 0; q < hw; ++q) s += r[q];
    }
    db[c] = s;
  }
}

// ---- references -------------------------------------------------------------------------------------------

namespace {
// Calls f(n, co, oh, ow, ci, i, j, x_index) for every product term of the convolution whose input position is
// inside the image (padding contributes zeros); x_index is the flat NCHW index of the input element.
template <class F>
void for_each_term(const ConvGeom& g, F f) {
  const int64_t cig = g.cin_g(), cog = g.cout_g();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t co = 0; co < g.cout; ++co)
      for (int64_t oh = 0; oh < g.ho; ++oh)
        for (int64_t ow = 0; ow < g.wo; ++ow)
          for (int64_t ci = 0; ci < cig; ++ci)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const int64_t c = (co / cog) * cig + ci;
                f(n, co, oh, ow, ci, i, j, ((n * g.c + c) * g.h + ih) * g.w + iw);
              }
}
int64_t y_index(const ConvGeom& g, int64_t n, int64_t co, int64_t oh, int64_t ow) {
  return ((n * g.cout + co) * g.ho + oh) * g.wo + ow;
}
int64_t w_index(const ConvGeom& g, int64_t co, int64_t ci, int64_t i, int64_t j) {
  return ((co * g.cin_g() + ci) * g.kh + i) * g.kw + j;
}
}  // namespace

template <class T>
void conv2d_forward_reference(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t co = 0; co < g.cout; ++co)
      for (int64_t q = 0; q < g.p(); ++q) y[(n * g.cout + co) * g.p() + q] = b != nullptr ? b[co] : T(0);
  for_each_term(g, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t i, int64_t j, int64_t xi) {
    y[y_index(g, n, co, oh, ow)] += w[w_index(g, co, ci, i, j)] * x[xi];
  });
}

template <class T>
void conv2d_backward_data_reference(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  std::fill(dx, dx + g.n * g.c * g.h * g.w, T(0));
  for_each_term(g, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t i, int64_t j, int64_t xi) {
    dx[xi] += w[w_index(g, co, ci, i, j)] * dy[y_index(g, n, co, oh, ow)];
  });
}

template <class T>
void conv2d_backward_weight_reference(const ConvGeom& g, const T* dy, const T* x, T* dw, T* db) {
  if (dw != nullptr) {
    std::fill(dw, dw + g.cout * g.k(), T(0));
    for_each_term(g, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t i, int64_t j, int64_t xi) {
      dw[w_index(g, co, ci, i, j)] += x[xi] * dy[y_index(g, n, co, oh, ow)];
    });
  }
  if (db != nullptr) {
    for (int64_t co = 0; co < g.cout; ++co) {
      T s = 0;
      for (int64_t n = 0; n < g.n; ++n)
        for (int64_t q = 0; q < g.p(); ++q) s += dy[(n * g.cout + co) * g.p() + q];
      db[co] = s;
    }
  }
}

#define STRATA_CONV_INSTANTIATE(T)                                                              \
  template void im2col<T>(const ConvGeom&, const T*, T*);                                       \
  template void col2im<T>(const ConvGeom&, const T*, T*);                                       \
  template void conv2d_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*);           \
  template void conv2d_forward_im2col<T>(const ConvGeom&, const T*, const T*, const T*, T*);    \
  template void conv2d_backward_data_im2col<T>(const ConvGeom&, const T*, const T*, T*);        \
  template void conv2d_backward_weight_im2col<T>(const ConvGeom&, const T*, const T*, T*, T*);  \
  template void conv2d_backward_data<T>(const ConvGeom&, const T*, const T*, T*);               \
  template void conv2d_backward_weight<T>(const ConvGeom&, const T*, const T*, T*, T*);         \
  template void conv_transpose2d_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*); \
  template void conv_transpose2d_backward_bias<T>(const ConvGeom&, const T*, T*);               \
  template void conv2d_forward_reference<T>(const ConvGeom&, const T*, const T*, const T*, T*); \
  template void conv2d_backward_data_reference<T>(const ConvGeom&, const T*, const T*, T*);     \
  template void conv2d_backward_weight_reference<T>(const ConvGeom&, const T*, const T*, T*, T*);
STRATA_CONV_INSTANTIATE(float)
STRATA_CONV_INSTANTIATE(double)
#undef STRATA_CONV_INSTANTIATE

}  // namespace strata::kernels::cpu
