#pragma once
// Softmax-family kernels over a contiguous (outer, n, inner) block: the softmax (class) dim has n entries
// at stride `inner`. The last dim (inner == 1) goes row by row; otherwise a block of up to kCols adjacent
// positions is processed together so that every pass reads memory in order. All are stable: the max is
// subtracted before exponentiating, and sums accumulate in double.
//
// The loss kernels see logits / log-probabilities as (N, C, D) (D = 1 for (N, C) inputs), targets as
// (N, D) int64 already checked by the op layer, and optional class weights (C).
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/reduce.h"
#include "kernels/cpu/vec_math.h"

namespace strata::kernels::cpu {

inline constexpr int64_t kCols = 64;  // positions per block when the softmax dim is not the last

namespace detail {

// The one exp of this family (softmax, log_softmax, the losses, logsumexp): every call sits in a plain
// elementwise loop; float uses the branch-free polynomial exp (vec_math.h, 1 ulp) so GCC vectorises those
// loops, double keeps std::exp.
template <class T>
inline T exp_of(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return vec::exp_f(v);
  } else {
    return std::exp(v);
  }
}

// Sum (float lanes, double cascade) and max of n contiguous values.
template <class T>
inline double row_sum(const T* p, int64_t n) {
  return static_cast<double>(reduce_row(
      p, n, T{}, T(0), [](T v, T) { return v; }, AddOp{}, false));
}
template <class T>
inline T row_max(const T* p, int64_t n) {
  return static_cast<T>(reduce_row(
      p, n, T{}, -std::numeric_limits<T>::infinity(), [](T v, T) { return v; }, MaxOp{}, false));
}

// f(o, i0, bw) over blocks of bw adjacent positions (same o, positions i0 .. i0 + bw) of an
// (outer, n, inner) block, in parallel when the work is large.
template <class F>
void for_position_blocks(int64_t outer, int64_t n, int64_t inner, const F& f) {
  const int64_t per = (inner + kCols - 1) / kCols;
  const int64_t blocks = outer * per;
  for_chunks(blocks, go_parallel(outer * n * inner, blocks), [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t o = blk / per, i0 = (blk % per) * kCols;
      f(o, i0, std::min(kCols, inner - i0));
    }
  });
}

}  // namespace detail

// y = softmax(x) (or log_softmax when `log`) along the middle dim of (outer, n, inner).
template <class T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (outer * n * inner == 0) return;
  detail::for_position_blocks(outer, n, inner, [&](int64_t o, int64_t i0, int64_t bw) {
    const T* xb = x + o * n * inner + i0;
    T* yb = y + o * n * inner + i0;
    if (inner == 1) {
      // max, then exp into y, then the sum of y (vectorised, cascaded), then scale or shift.
      const T m = detail::row_max(xb, n);
      for (int64_t r = 0; r < n; ++r) yb[r] = detail::exp_of(static_cast<T>(xb[r] - m));
      const double s = detail::row_sum(yb, n);
      if (log) {
        const T ls = static_cast<T>(std::log(s));  // y = (x - m) - log(s): m + log(s) would round
        for (int64_t r = 0; r < n; ++r) yb[r] = (xb[r] - m) - ls;
      } else {
        const T inv = static_cast<T>(1.0 / s);
        for (int64_t r = 0; r < n; ++r) yb[r] *= inv;
      }
      return;
    }
    T m[kCols];
    double s[kCols];
    for (int64_t j = 0; j < bw; ++j) {
      m[j] = xb[j];
      s[j] = 0;
    }
    for (int64_t r = 1; r < n; ++r) {
      for (int64_t j = 0; j < bw; ++j) m[j] = MaxOp{}(m[j], xb[r * inner + j]);
    }
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t j = 0; j < bw; ++j) {
        const T e = detail::exp_of(static_cast<T>(xb[r * inner + j] - m[j]));
        if (!log) yb[r * inner + j] = e;
        s[j] += static_cast<double>(e);
      }
    }
    if (log) {
      T ls[kCols];
      for (int64_t j = 0; j < bw; ++j) ls[j] = static_cast<T>(std::log(s[j]));
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < bw; ++j) yb[r * inner + j] = (xb[r * inner + j] - m[j]) - ls[j];
      }
    } else {
      T inv[kCols];
      for (int64_t j = 0; j < bw; ++j) inv[j] = static_cast<T>(1.0 / s[j]);
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < bw; ++j) yb[r * inner + j] *= inv[j];
      }
    }
  });
}

// Gradient of softmax / log_softmax from the output y and its gradient g:
//   softmax:     gx = y * (g - sum(g * y))        log_softmax:  gx = g - exp(y) * sum(g)
template <class T>
void softmax_backward(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (outer * n * inner == 0) return;
  detail::for_position_blocks(outer, n, inner, [&](int64_t o, int64_t i0, int64_t bw) {
    const int64_t base = o * n * inner + i0;
    const T* yb = y + base;
    const T* gb = g + base;
    T* ob = gx + base;
    double s[kCols];
    for (int64_t j = 0; j < bw; ++j) s[j] = 0;
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t j = 0; j < bw; ++j) {
        const int64_t k = r * inner + j;
        s[j] += log ? static_cast<double>(gb[k]) : static_cast<double>(gb[k]) * static_cast<double>(yb[k]);
      }
    }
    T st[kCols];
    for (int64_t j = 0; j < bw; ++j) st[j] = static_cast<T>(s[j]);
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t j = 0; j < bw; ++j) {
        const int64_t k = r * inner + j;
        ob[k] = log ? gb[k] - detail::exp_of(yb[k]) * st[j] : yb[k] * (gb[k] - st[j]);
      }
    }
  });
}

// Naive references: one position at a time, all in double.
template <class T>
void softmax_forward_reference(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = x + o * n * inner + i;
      double m = -INFINITY;
      for (int64_t r = 0; r < n; ++r) m = std::max(m, static_cast<double>(p[r * inner]));
      double s = 0;
      for (int64_t r = 0; r < n; ++r) s += std::exp(static_cast<double>(p[r * inner]) - m);
      for (int64_t r = 0; r < n; ++r) {
        const double v = static_cast<double>(p[r * inner]) - m;
        y[o * n * inner + i + r * inner] = static_cast<T>(log ? v - std::log(s) : std::exp(v) / s);
      }
    }
  }
}

template <class T>
void softmax_backward_reference(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * n * inner + i;
      double s = 0;
      for (int64_t r = 0; r < n; ++r) {
        const double gv = g[base + r * inner], yv = y[base + r * inner];
        s += log ? gv : gv * yv;
      }
      for (int64_t r = 0; r < n; ++r) {
        const double gv = g[base + r * inner], yv = y[base + r * inner];
        gx[base + r * inner] = static_cast<T>(log ? gv - std::exp(yv) * s : yv * (gv - s));
      }
    }
  }
}

// ---- negative log-likelihood and cross-entropy ----

struct LossShape {
  int64_t N = 0, C = 0, D = 1;  // input (N, C, D), targets (N, D)
  int64_t ignore_index = -100;
};

// NLL: loss[p] = -w[t] * lp[n, t, d] (0 where t == ignore_index). Writes per-position losses when `loss`
// is non-null and returns the sums of the losses and of the targets' weights.
template <class T>
void nll_forward(const LossShape& s, const T* lp, const int64_t* target, const T* weight, T* loss, double* total,
                 double* total_weight) {
  double tl = 0, tw = 0;
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t d = 0; d < s.D; ++d) {
      const int64_t p = n * s.D + d, t = target[p];
      double l = 0;
      if (t != s.ignore_index) {
        const double w = weight ? static_cast<double>(weight[t]) : 1.0;
        l = -w * static_cast<double>(lp[(n * s.C + t) * s.D + d]);
        tl += l;
        tw += w;
      }
      if (loss) loss[p] = static_cast<T>(l);
    }
  }
  *total = tl;
  *total_weight = tw;
}

// NLL gradient: gx[n, t, d] = -w[t] * g[p] * scale, zero elsewhere. g is per position (g_stride 1) or a
// single value (g_stride 0).
template <class T>
void nll_backward(const LossShape& s, const int64_t* target, const T* weight, const T* g, int64_t g_stride,
                  double scale, T* gx) {
  for (int64_t i = 0; i < s.N * s.C * s.D; ++i) gx[i] = T(0);
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t d = 0; d < s.D; ++d) {
      const int64_t p = n * s.D + d, t = target[p];
      if (t == s.ignore_index) continue;
      const double w = weight ? static_cast<double>(weight[t]) : 1.0;
      gx[(n * s.C + t) * s.D + d] = static_cast<T>(-w * static_cast<double>(g[p * g_stride]) * scale);
    }
  }
}

// Sum of the weights of all classes (C without weights).
template <class T>
double class_weight_sum(const T* weight, int64_t C) {
  if (!weight) return static_cast<double>(C);
  double w = 0;
  for (int64_t c = 0; c < C; ++c) w += static_cast<double>(weight[c]);
  return w;
}

// Cross-entropy on logits z with label smoothing eps (PyTorch 1.13):
//   loss[p] = (1 - eps) w[t] (lse - z_t) + (eps / C) sum_c w[c] (lse - z_c),   lse = log sum_c exp(z_c)
// (0 where ignored). Writes lse[p] (kept for the backward) and loss[p] (both N * D), and returns the sums
// of the losses and of the targets' weights (summed in order: independent of the thread count).
template <class T>
void cross_entropy_forward(const LossShape& s, const T* z, const int64_t* target, const T* weight, double eps,
                           double* lse, double* loss, double* total, double* total_weight) {
  const int64_t C = s.C, D = s.D;
  const double wsum = class_weight_sum(weight, C);
  detail::for_chunks(s.N, detail::go_parallel(s.N * C * D, s.N), [&](int64_t b, int64_t e) {
    std::vector<T> scratch(D == 1 ? static_cast<size_t>(C) : 0);
    for (int64_t n = b; n < e; ++n) {
      if (D == 1) {
        // A row of C logits: max, exp into scratch, cascaded sum, then the smoothing term sum_c w_c z_c.
        const T* zr = z + n * C;
        const T m = detail::row_max(zr, C);
        for (int64_t c = 0; c < C; ++c) scratch[static_cast<size_t>(c)] = detail::exp_of(static_cast<T>(zr[c] - m));
        const double l_se = static_cast<double>(m) + std::log(detail::row_sum(scratch.data(), C));
        const int64_t t = target[n];
        lse[n] = l_se;
        double l = 0;
        if (t != s.ignore_index) {
          const double wt = weight ? static_cast<double>(weight[t]) : 1.0;
          l = (1 - eps) * wt * (l_se - static_cast<double>(zr[t]));
          if (eps > 0) {
            double sw = 0;
            for (int64_t c = 0; c < C; ++c) sw += (weight ? static_cast<double>(weight[c]) : 1.0) * zr[c];
            l += eps / static_cast<double>(C) * (l_se * wsum - sw);
          }
        }
        loss[n] = l;
        continue;
      }
      for (int64_t d0 = 0; d0 < D; d0 += kCols) {
        const int64_t bw = std::min(kCols, D - d0);
        const T* zb = z + n * C * D + d0;
        T m[kCols];
        double se[kCols], sw[kCols];
        for (int64_t j = 0; j < bw; ++j) {
          m[j] = zb[j];
          se[j] = 0;
          sw[j] = 0;
        }
        for (int64_t c = 1; c < C; ++c) {
          for (int64_t j = 0; j < bw; ++j) m[j] = MaxOp{}(m[j], zb[c * D + j]);
        }
        for (int64_t c = 0; c < C; ++c) {
          const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
          for (int64_t j = 0; j < bw; ++j) {
            const T v = zb[c * D + j];
            se[j] += static_cast<double>(detail::exp_of(static_cast<T>(v - m[j])));
            if (eps > 0) sw[j] += wc * static_cast<double>(v);
          }
        }
        for (int64_t j = 0; j < bw; ++j) {
          const int64_t p = n * D + d0 + j, t = target[p];
          const double l_se = static_cast<double>(m[j]) + std::log(se[j]);
          lse[p] = l_se;
          double l = 0;
          if (t != s.ignore_index) {
            const double wt = weight ? static_cast<double>(weight[t]) : 1.0;
            l = (1 - eps) * wt * (l_se - static_cast<double>(zb[t * D + j]));
            if (eps > 0) l += eps / static_cast<double>(C) * (l_se * wsum - sw[j]);
          }
          loss[p] = l;
        }
      }
    }
  });
  double tl = 0, tw = 0;
  for (int64_t p = 0; p < s.N * D; ++p) {
    const int64_t t = target[p];
    if (t == s.ignore_index) continue;
    tl += loss[p];
    tw += weight ? static_cast<double>(weight[t]) : 1.0;
  }
  *total = tl;
  *total_weight = tw;
}

// Cross-entropy gradient in one pass over the logits, from the saved lse:
//   gx[n, c, d] = g[p] * scale * (softmax_c * A - (eps / C) w[c] - [c == t] (1 - eps) w[t]),
//   A = (1 - eps) w[t] + (eps / C) sum_c w[c];  zero where ignored. g is per position (g_stride 1) or a
// single value (g_stride 0).
template <class T>
void cross_entropy_backward(const LossShape& s, const T* z, const int64_t* target, const T* weight, double eps,
                            const double* lse, const T* g, int64_t g_stride, double scale, T* gx) {
  const int64_t C = s.C, D = s.D;
  const double ec = eps / static_cast<double>(C);
  const double wsum = class_weight_sum(weight, C);
  detail::for_chunks(s.N, detail::go_parallel(s.N * C * D, s.N), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      if (D == 1) {
        // A row of C logits, as the forward's: one vectorisable loop over the classes (the blocked loop below
        // runs one column wide here; 10x the forward's time on the GPT step's (2048, 96) logits).
        const T* zr = z + n * C;
        T* orow = gx + n * C;
        const int64_t t = target[n];
        if (t == s.ignore_index) {
          for (int64_t c = 0; c < C; ++c) orow[c] = T(0);
          continue;
        }
        const double gp = static_cast<double>(g[n * g_stride]) * scale;
        const double wt = weight ? static_cast<double>(weight[t]) : 1.0;
        const auto a = static_cast<T>(gp * ((1 - eps) * wt + ec * wsum));
        const auto ge = static_cast<T>(gp * ec);
        const auto l = static_cast<T>(lse[n]);
        if (weight) {
          for (int64_t c = 0; c < C; ++c) orow[c] = detail::exp_of(static_cast<T>(zr[c] - l)) * a - ge * weight[c];
        } else {
          for (int64_t c = 0; c < C; ++c) orow[c] = detail::exp_of(static_cast<T>(zr[c] - l)) * a - ge;
        }
        orow[t] -= static_cast<T>(gp * (1 - eps) * wt);
        continue;
      }
      for (int64_t d0 = 0; d0 < D; d0 += kCols) {
        const int64_t bw = std::min(kCols, D - d0);
        const T* zb = z + n * C * D + d0;
        T* ob = gx + n * C * D + d0;
        T a[kCols], l[kCols], ge[kCols];
        for (int64_t j = 0; j < bw; ++j) {
          const int64_t p = n * D + d0 + j, t = target[p];
          const bool ignored = t == s.ignore_index;
          const double gp = ignored ? 0.0 : static_cast<double>(g[p * g_stride]) * scale;
          const double wt = ignored ? 0.0 : (weight ? static_cast<double>(weight[t]) : 1.0);
          a[j] = static_cast<T>(gp * ((1 - eps) * wt + ec * wsum));
          ge[j] = static_cast<T>(gp * ec);
          l[j] = static_cast<T>(lse[p]);
        }
        for (int64_t c = 0; c < C; ++c) {
          const T wc = weight ? weight[c] : T(1);
          for (int64_t j = 0; j < bw; ++j) {
            ob[c * D + j] = detail::exp_of(static_cast<T>(zb[c * D + j] - l[j])) * a[j] - ge[j] * wc;
          }
        }
        for (int64_t j = 0; j < bw; ++j) {
          const int64_t p = n * D + d0 + j, t = target[p];
          if (t == s.ignore_index) {
            for (int64_t c = 0; c < C; ++c) ob[c * D + j] = T(0);  // also clears a NaN from exp(-inf + inf)
            continue;
          }
          const double wt = weight ? static_cast<double>(weight[t]) : 1.0;
          ob[t * D + j] -= static_cast<T>(static_cast<double>(g[p * g_stride]) * scale * (1 - eps) * wt);
        }
      }
    }
  });
}

// Naive reference of the cross-entropy loss per position (double throughout).
template <class T>
void cross_entropy_reference(const LossShape& s, const T* z, const int64_t* target, const T* weight, double eps,
                             double* loss) {
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t d = 0; d < s.D; ++d) {
      const int64_t p = n * s.D + d, t = target[p];
      if (t == s.ignore_index) {
        loss[p] = 0;
        continue;
      }
      double m = -INFINITY, se = 0, smooth = 0;
      for (int64_t c = 0; c < s.C; ++c) m = std::max(m, static_cast<double>(z[(n * s.C + c) * s.D + d]));
      for (int64_t c = 0; c < s.C; ++c) se += std::exp(static_cast<double>(z[(n * s.C + c) * s.D + d]) - m);
      const double lse = m + std::log(se);
      for (int64_t c = 0; c < s.C; ++c) {
        const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
        smooth += wc * (lse - static_cast<double>(z[(n * s.C + c) * s.D + d]));
      }
      const double wt = weight ? static_cast<double>(weight[t]) : 1.0;
      loss[p] = (1 - eps) * wt * (lse - static_cast<double>(z[(n * s.C + t) * s.D + d])) +
                eps / static_cast<double>(s.C) * smooth;
    }
  }
}

// Naive reference of the cross-entropy gradient: the log_softmax backward of dloss/dlog_softmax, where
// dloss/dlp_c = -g scale ((1 - eps) w[t] [c == t] + (eps / C) w[c]).
template <class T>
void cross_entropy_backward_reference(const LossShape& s, const T* z, const int64_t* target, const T* weight,
                                      double eps, const T* g, int64_t g_stride, double scale, T* gx) {
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t d = 0; d < s.D; ++d) {
      const int64_t p = n * s.D + d, t = target[p];
      auto at = [&](int64_t c) { return (n * s.C + c) * s.D + d; };
      if (t == s.ignore_index) {
        for (int64_t c = 0; c < s.C; ++c) gx[at(c)] = T(0);
        continue;
      }
      double m = -INFINITY, se = 0, dsum = 0;
      for (int64_t c = 0; c < s.C; ++c) m = std::max(m, static_cast<double>(z[at(c)]));
      for (int64_t c = 0; c < s.C; ++c) se += std::exp(static_cast<double>(z[at(c)]) - m);
      std::vector<double> dlp(static_cast<size_t>(s.C));
      for (int64_t c = 0; c < s.C; ++c) {
        const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
        double v = eps / static_cast<double>(s.C) * wc;
        if (c == t) v += (1 - eps) * wc;
        dlp[static_cast<size_t>(c)] = -static_cast<double>(g[p * g_stride]) * scale * v;
        dsum += dlp[static_cast<size_t>(c)];
      }
      for (int64_t c = 0; c < s.C; ++c) {
        const double sm = std::exp(static_cast<double>(z[at(c)]) - m) / se;
        gx[at(c)] = static_cast<T>(dlp[static_cast<size_t>(c)] - sm * dsum);
      }
    }
  }
}

}  // namespace strata::kernels::cpu
