#pragma once
// The one strided iterator behind every elementwise kernel. The op layer describes each operand by a
// pointer and its strides (in elements) over the common output shape (stride 0 on broadcast dims); the
// plan merges dims that are contiguous for every operand, so most calls become one flat loop, and the
// kernel's inner function sees 1-D runs (pointers, strides, length) that it can vectorise.
#include <omp.h>

#include <array>
#include <cstdint>

#include "strata/core/shape.h"

namespace strata::kernels::cpu {

// Below this many elements a loop runs on one thread (OpenMP start-up costs more than it saves).
inline constexpr int64_t kParallelGrain = 32768;

template <int N>
struct LoopPlan {
  Shape sizes;                     // coalesced iteration shape (innermost last); empty means one element
  std::array<Strides, N> strides;  // per operand, in elements, same length as sizes
  int64_t numel = 1;
};

// Builds a plan over `shape` for N operands with the given strides (each the same length as shape).
template <int N>
LoopPlan<N> make_plan(const Shape& shape, const std::array<const Strides*, N>& strides) {
  LoopPlan<N> p;
  p.numel = shape.numel();
  // Drop size-1 dims, then merge dim i into i+1 when every operand is contiguous across them.
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !p.sizes.empty();
    if (merge) {
      for (int k = 0; k < N; ++k) {
        if (p.strides[k].back() != (*strides[k])[d] * shape[d]) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      p.sizes[p.sizes.size() - 1] *= shape[d];
      for (int k = 0; k < N; ++k) p.strides[k][p.strides[k].size() - 1] = (*strides[k])[d];
    } else {
      p.sizes.push_back(shape[d]);
      for (int k = 0; k < N; ++k) p.strides[k].push_back((*strides[k])[d]);
    }
  }
  return p;
}

// Runs inner(ptrs, inner_strides, n) over every 1-D run of the plan, for elements [begin, end) of the
// flattened iteration space. ptrs are typed as char* over each operand's element size `esize[k]`.
template <int N, class Inner>
void run_range(const LoopPlan<N>& p, const std::array<char*, N>& base, const std::array<int64_t, N>& esize,
               int64_t begin, int64_t end, Inner&& inner) {
  if (begin >= end) return;
  const size_t nd = p.sizes.size();
  if (nd == 0) {
    std::array<int64_t, N> zero{};
    inner(base, zero, int64_t{1});
    return;
  }
  const int64_t inner_size = p.sizes[nd - 1];
  std::array<int64_t, N> inner_stride;
  for (int k = 0; k < N; ++k) inner_stride[k] = p.strides[k][nd - 1];
  // Decompose `begin` into a multi-index over the outer dims and an offset inside the inner run.
  Shape idx(nd);
  int64_t rem = begin;
  for (size_t d = nd; d-- > 0;) {
    idx[d] = rem % p.sizes[d];
    rem /= p.sizes[d];
  }
  int64_t pos = begin;
  while (pos < end) {
    std::array<char*, N> ptr;
    for (int k = 0; k < N; ++k) {
      int64_t off = 0;
      for (size_t d = 0; d < nd; ++d) off += idx[d] * p.strides[k][d];
      ptr[k] = base[k] + off * esize[k];
    }
    int64_t n = std::min(inner_size - idx[nd - 1], end - pos);
    inner(ptr, inner_stride, n);
    pos += n;
    idx[nd - 1] += n;
    for (size_t d = nd - 1; d > 0 && idx[d] >= p.sizes[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
}

// Runs the plan, in parallel over contiguous ranges of the flattened space when it is large enough.
template <int N, class Inner>
void run(const LoopPlan<N>& p, const std::array<char*, N>& base, const std::array<int64_t, N>& esize, Inner&& inner) {
  const int64_t total = p.numel;
  if (total <= 0) return;
  if (total < kParallelGrain || omp_get_max_threads() == 1 || omp_in_parallel()) {
    run_range<N>(p, base, esize, 0, total, inner);
    return;
  }
#pragma omp parallel
  {
    int nt = omp_get_num_threads();
    int t = omp_get_thread_num();
    // Split on 16-element boundaries so each thread's vector loops stay aligned with the others'.
    int64_t chunk = ((total + nt - 1) / nt + 15) / 16 * 16;
    int64_t b = std::min<int64_t>(total, t * chunk);
    int64_t e = std::min<int64_t>(total, b + chunk);
    run_range<N>(p, base, esize, b, e, inner);
  }
}

}  // namespace strata::kernels::cpu
