#pragma once
// Training-mode batch-norm kernels over a contiguous (N, C, S) view (S = the product of the spatial dims, 1
// for (N, C) input): each channel's N * S values are normalised with their mean and biased variance, then
// scaled by weight (C) and shifted by bias (C) when given (nullptr otherwise). Statistics accumulate in
// double (8 lanes per row, detail::lane_sum), variance in two passes. Channels run in parallel when the work
// is large. The reference for both is batch_norm composed of mean/var/sub/mul ops (tests/ops/batch_norm_test.cpp).
//
// Forward:  y = (x - mean) * rstd * w + b,  rstd = 1 / sqrt(var + eps); mean, var (biased) and rstd are
//           written per channel (C each; var feeds the running statistics).
// Backward: with xhat = (x - mean) rstd and M = N * S,
//   db = sum dy,  dw = sum dy * xhat,  dx = w * rstd * (dy - db / M - xhat * dw / M).
#include <cmath>
#include <cstdint>

#include "kernels/cpu/reduce.h"

namespace strata::kernels::cpu {

namespace detail {
// The sum of f(j) over j in [0, S), in double, in 8 independent lanes combined pairwise: a single running sum
// waits for each add (~4 cycles an element); 8 chains keep the adds pipelined and let the compiler use vector
// adds. The order depends on S alone, so results do not depend on the thread count.
template <class F>
inline double lane_sum(int64_t S, F f) {
  double acc[8] = {};
  int64_t j = 0;
  for (; j + 8 <= S; j += 8) {
    for (int l = 0; l < 8; ++l) acc[l] += f(j + l);
  }
  double tail = 0;
  for (; j < S; ++j) tail += f(j);
  return (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))) + tail;
}

// One channel's pieces, shared by the fused kernels and the phases of synchronised batch norm (the same code in
// the same order, so that both give the same bits). Channel c of an (N, C, S) array is N rows of S values.

// Sum of channel c.
template <class T>
double channel_sum(const T* x, int64_t c, int64_t N, int64_t C, int64_t S) {
  double s = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T* xr = x + (n * C + c) * S;
    s += lane_sum(S, [xr](int64_t j) { return static_cast<double>(xr[j]); });
  }
  return s;
}

// Sum of (x - mu)^2 over channel c.
template <class T>
double channel_sq(const T* x, double mu, int64_t c, int64_t N, int64_t C, int64_t S) {
  double ss = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T* xr = x + (n * C + c) * S;
    ss += lane_sum(S, [xr, mu](int64_t j) {
      const double d = static_cast<double>(xr[j]) - mu;
      return d * d;
    });
  }
  return ss;
}

// y = (x - m) * scale + shift over channel c.
template <class T>
void channel_apply(const T* x, T* y, T m, T scale, T shift, int64_t c, int64_t N, int64_t C, int64_t S) {
  for (int64_t n = 0; n < N; ++n) {
    const T* xr = x + (n * C + c) * S;
    T* yr = y + (n * C + c) * S;
    for (int64_t j = 0; j < S; ++j) yr[j] = (xr[j] - m) * scale + shift;
  }
}

// sdy = sum dy, sdyx = sum dy * (x - mu) over channel c.
template <class T>
void channel_grad_sums(const T* dy, const T* x, double mu, int64_t c, int64_t N, int64_t C, int64_t S, double& sdy,
                       double& sdyx) {
  sdy = 0;
  sdyx = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T* g = dy + (n * C + c) * S;
    const T* xr = x + (n * C + c) * S;
    sdy += lane_sum(S, [g](int64_t j) { return static_cast<double>(g[j]); });
    sdyx +=
        lane_sum(S, [g, xr, mu](int64_t j) { return static_cast<double>(g[j]) * (static_cast<double>(xr[j]) - mu); });
  }
}

// dx = k * (dy - sdy / M - (x - mean) * rs * dwc / M) with k = w rstd and dwc = sdyx * rs (sum dy * xhat), as
// dx = a dy + bx (x - mean) + c_0, over channel c.
template <class T>
void channel_grad_input(const T* dy, const T* x, T* dx, T m, double w, double rs, double sdy, double sdyx, double M,
                        int64_t c, int64_t N, int64_t C, int64_t S) {
  const double dwc = sdyx * rs, k = w * rs, inv_m = M > 0 ? 1.0 / M : 0.0;
  const T a = static_cast<T>(k), bx = static_cast<T>(-k * rs * dwc * inv_m), c_0 = static_cast<T>(-k * sdy * inv_m);
  for (int64_t n = 0; n < N; ++n) {
    const T* g = dy + (n * C + c) * S;
    const T* xr = x + (n * C + c) * S;
    T* d = dx + (n * C + c) * S;
    for (int64_t j = 0; j < S; ++j) d[j] = a * g[j] + bx * (xr[j] - m) + c_0;
  }
}
}  // namespace detail

template <class T>
void batch_norm_train_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* var, T* rstd, int64_t N, int64_t C,
                              int64_t S, double eps) {
  const int64_t M = N * S;
  detail::for_chunks(C, detail::go_parallel(N * C * S, C), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double s = detail::channel_sum(x, c, N, C, S);
      const double mu = M > 0 ? s / static_cast<double>(M) : 0.0;
      const double ss = detail::channel_sq(x, mu, c, N, C, S);
      const double v = M > 0 ? ss / static_cast<double>(M) : 0.0;
      const double rs = 1.0 / std::sqrt(v + eps);
      mean[c] = static_cast<T>(mu);
      var[c] = static_cast<T>(v);
      rstd[c] = static_cast<T>(rs);
      // y = (x - mean) * scale + b with scale = rstd w.
      const T scale = static_cast<T>(rs * (w ? static_cast<double>(w[c]) : 1.0)), shift = b ? b[c] : T(0);
      detail::channel_apply(x, y, mean[c], scale, shift, c, N, C, S);
    }
  });
}

// dx, dw, db may each be nullptr (not wanted); w nullptr means weight 1.
template <class T>
void batch_norm_train_backward(const T* dy, const T* x, const T* mean, const T* rstd, const T* w, T* dx, T* dw, T* db,
                               int64_t N, int64_t C, int64_t S) {
  const auto M = static_cast<double>(N * S);
  detail::for_chunks(C, detail::go_parallel(N * C * S, C), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double rs = static_cast<double>(rstd[c]);
      double sdy = 0, sdyx = 0;  // sum dy, sum dy * (x - mean)
      detail::channel_grad_sums(dy, x, static_cast<double>(mean[c]), c, N, C, S, sdy, sdyx);
      if (db) db[c] = static_cast<T>(sdy);
      if (dw) dw[c] = static_cast<T>(sdyx * rs);  // sum dy * xhat
      if (dx)
        detail::channel_grad_input(dy, x, dx, mean[c], w ? static_cast<double>(w[c]) : 1.0, rs, sdy, sdyx, M, c, N, C,
                                   S);
    }
  });
}

// The same computation in phases, for batch norm synchronised over replicas (ops' sync_batch_norm sums the
// per-channel results over the replicas between the phases). Each phase does what the fused kernels above do, in
// the same order, so that with one replica the results are bit for bit those of the fused kernels.

// sum[c] = sum of channel c's N * S values.
template <class T>
void batch_norm_channel_sums(const T* x, double* sum, int64_t N, int64_t C, int64_t S) {
  detail::for_chunks(C, detail::go_parallel(N * C * S, C), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) sum[c] = detail::channel_sum(x, c, N, C, S);
  });
}

// sq[c] = sum of (x - mean[c])^2 over channel c.
template <class T>
void batch_norm_channel_sq(const T* x, const double* mean, double* sq, int64_t N, int64_t C, int64_t S) {
  detail::for_chunks(C, detail::go_parallel(N * C * S, C), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) sq[c] = detail::channel_sq(x, mean[c], c, N, C, S);
  });
}

// y = (x - mean) * rstd * w + b with the given (double) statistics, rounded as the fused forward rounds them.
template <class T>
void batch_norm_apply(const T* x, const double* mean, const double* rstd, const T* w, const T* b, T* y, int64_t N,
                      int64_t C, int64_t S) {
  detail::for_chunks(C, detail::go_parallel(N * C * S, C), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const T scale = static_cast<T>(rstd[c] * (w ? static_cast<double>(w[c]) : 1.0)), shift = b ? b[c] : T(0);
      detail::channel_apply(x, y, static_cast<T>(mean[c]), scale, shift, c, N, C, S);
    }
  });
}

// sdy[c] = sum dy, sdyx[c] = sum dy * (x - mean) over channel c (mean as saved, in T).
template <class T>
void batch_norm_grad_sums(const T* dy, const T* x, const T* mean, double* sdy, double* sdyx, int64_t N, int64_t C,
                          int64_t S) {
  detail::for_chunks(C, detail::go_parallel(N * C * S, C), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      detail::channel_grad_sums(dy, x, static_cast<double>(mean[c]), c, N, C, S, sdy[c], sdyx[c]);
  });
}

// dx from the sums sdy, sdyx over all M values of each channel (the backward formula above).
template <class T>
void batch_norm_grad_input(const T* dy, const T* x, const T* mean, const T* rstd, const T* w, const double* sdy,
                           const double* sdyx, double M, T* dx, int64_t N, int64_t C, int64_t S) {
  detail::for_chunks(C, detail::go_parallel(N * C * S, C), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      detail::channel_grad_input(dy, x, dx, mean[c], w ? static_cast<double>(w[c]) : 1.0, static_cast<double>(rstd[c]),
                                 sdy[c], sdyx[c], M, c, N, C, S);
  });
}

}  // namespace strata::kernels::cpu
