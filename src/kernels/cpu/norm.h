#pragma once
// Layer-norm kernels over a contiguous (M, N) view: each of the M rows of N values is normalised with its
// own mean and biased variance, then scaled by weight (N) and shifted by bias (N) when given (nullptr
// otherwise). Statistics accumulate in double. Rows run in parallel when the work is large.
//
// Forward:  y = (x - mean) * rstd * w + b,  rstd = 1 / sqrt(var + eps); mean and rstd are saved (M each).
// Backward: with xhat = (x - mean) rstd and g = dy * w,
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dw = sum_rows dy * xhat,  db = sum_rows dy.
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/cpu/reduce.h"

namespace strata::kernels::cpu {

template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t M, int64_t N, double eps) {
  detail::for_chunks(M, detail::go_parallel(M * N, M), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * N;
      T* yr = y + r * N;
      double s = 0;
      for (int64_t j = 0; j < N; ++j) s += static_cast<double>(xr[j]);
      const double mu = N > 0 ? s / static_cast<double>(N) : 0.0;
      double ss = 0;
      for (int64_t j = 0; j < N; ++j) {
        const double d = static_cast<double>(xr[j]) - mu;
        ss += d * d;
      }
      const double var = N > 0 ? ss / static_cast<double>(N) : 0.0;
      const double rs = 1.0 / std::sqrt(var + eps);
      mean[r] = static_cast<T>(mu);
      rstd[r] = static_cast<T>(rs);
      const T m = static_cast<T>(mu), q = static_cast<T>(rs);
      for (int64_t j = 0; j < N; ++j) {
        T v = (xr[j] - m) * q;
        if (w) v = v * w[j];
        if (b) v = v + b[j];
        yr[j] = v;
      }
    }
  });
}

// dx (M, N) always; dw / db (N) when not nullptr (they are overwritten).
template <class T>
void layer_norm_backward(const T* dy, const T* x, const T* mean, const T* rstd, const T* w, T* dx, T* dw, T* db,
                         int64_t M, int64_t N) {
  if (dx) {
    detail::for_chunks(M, detail::go_parallel(M * N, M), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* dyr = dy + r * N;
        const T* xr = x + r * N;
        T* dxr = dx + r * N;
        const double m = static_cast<double>(mean[r]), q = static_cast<double>(rstd[r]);
        double sg = 0, sgx = 0;
        for (int64_t j = 0; j < N; ++j) {
          const double g = static_cast<double>(dyr[j]) * (w ? static_cast<double>(w[j]) : 1.0);
          const double xh = (static_cast<double>(xr[j]) - m) * q;
          sg += g;
          sgx += g * xh;
        }
        const double a = sg / static_cast<double>(N), c = sgx / static_cast<double>(N);
        for (int64_t j = 0; j < N; ++j) {
          const double g = static_cast<double>(dyr[j]) * (w ? static_cast<double>(w[j]) : 1.0);
          const double xh = (static_cast<double>(xr[j]) - m) * q;
          dxr[j] = static_cast<T>(q * (g - a - xh * c));
        }
      }
    });
  }
  if (dw || db) {
    // Column sums: split the columns across threads, rows in order (deterministic).
    detail::for_chunks(N, detail::go_parallel(M * N, N), [&](int64_t c0, int64_t c1) {
      std::vector<double> aw(static_cast<size_t>(c1 - c0), 0.0), ab(static_cast<size_t>(c1 - c0), 0.0);
      for (int64_t r = 0; r < M; ++r) {
        const T* dyr = dy + r * N;
        const T* xr = x + r * N;
        const double m = static_cast<double>(mean[r]), q = static_cast<double>(rstd[r]);
        for (int64_t j = c0; j < c1; ++j) {
          const double d = static_cast<double>(dyr[j]);
          aw[static_cast<size_t>(j - c0)] += d * (static_cast<double>(xr[j]) - m) * q;
          ab[static_cast<size_t>(j - c0)] += d;
        }
      }
      for (int64_t j = c0; j < c1; ++j) {
        if (dw) dw[j] = static_cast<T>(aw[static_cast<size_t>(j - c0)]);
        if (db) db[j] = static_cast<T>(ab[static_cast<size_t>(j - c0)]);
      }
    });
  }
}

}  // namespace strata::kernels::cpu
