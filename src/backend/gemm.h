#pragma once
// Kernel family: GEMM. One batched slot serves matmul, mm, bmm, addmm and linear (the op layer turns vectors,
// transposed views and broadcast batch dims into this one form). Tensors live on the backend's device.
#include <algorithm>
#include <cstdint>

#include "backend/backend.h"

namespace strata::backend {

// How the last two dims (rows, cols) with strides (s0, s1) of a GEMM operand are read: row-major with leading
// dim ld, or transposed (a column-major view such as x.t()) with leading dim ld. Strides of size-1 dims do not
// matter. ok == false: no BLAS layout fits (the op passes a contiguous copy instead).
struct MatLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 0;
};

inline MatLayout mat_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1) {
  if ((cols <= 1 || s1 == 1) && (rows <= 1 || s0 >= std::max<int64_t>(cols, 1))) {
    return {true, false, rows <= 1 ? std::max<int64_t>(cols, 1) : s0};
  }
  if ((rows <= 1 || s0 == 1) && (cols <= 1 || s1 >= std::max<int64_t>(rows, 1))) {
    return {true, true, cols <= 1 ? std::max<int64_t>(rows, 1) : s1};
  }
  return {};
}
// The layout of x's last two dims (x at least 2-D).
inline MatLayout mat_layout(const Tensor& x) {
  const int64_t d = x.dim();
  return mat_layout(x.size(d - 2), x.size(d - 1), x.stride(d - 2), x.stride(d - 1));
}

struct GemmKernels {
  // out[i] = alpha * a[i] @ b[i] + beta * out[i] for every index i of out's batch dims (beta == 0 ignores out's
  // old values, NaN included).
  //   a: (*ba, n, k), b: (*bb, k, m), same dtype; their batch dims are right-aligned and broadcast to out's (size-1
  //      or missing dims repeat). Any strides, as long as mat_layout(a) and mat_layout(b) are ok.
  //   out: contiguous (*batch, n, m), of a's dtype for float32/float64, float32 (the accumulator) for
  //      float16/bfloat16 a and b.
  void (*matmul)(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
};

}  // namespace strata::backend
