#pragma once
// Reduction kernels over a contiguous (outer, reduced) block layout: out[o] = reduce(in[o * n .. o * n + n)).
// The op layer permutes the reduced dims to the end (copying only when the layout needs it).
#include <omp.h>

#include <cstdint>

#include "kernels/cpu/loops.h"

namespace strata::kernels::cpu {

// Sum of n contiguous values; float accumulates in double, as four independent partial sums.
template <class T>
inline T sum_contiguous(const T* p, int64_t n) {
  double acc[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc[0] += p[i];
    acc[1] += p[i + 1];
    acc[2] += p[i + 2];
    acc[3] += p[i + 3];
  }
  for (; i < n; ++i) acc[0] += p[i];
  return static_cast<T>((acc[0] + acc[1]) + (acc[2] + acc[3]));
}

template <class T>
void sum_rows(const T* in, T* out, int64_t outer, int64_t n) {
  if (outer * n >= kParallelGrain && outer > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < outer; ++o) out[o] = sum_contiguous(in + o * n, n);
  } else {
    for (int64_t o = 0; o < outer; ++o) out[o] = sum_contiguous(in + o * n, n);
  }
}

// Naive reference: plain sequential double accumulation.
template <class T>
void sum_rows_reference(const T* in, T* out, int64_t outer, int64_t n) {
  for (int64_t o = 0; o < outer; ++o) {
    double acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += in[o * n + i];
    out[o] = static_cast<T>(acc);
  }
}

}  // namespace strata::kernels::cpu
