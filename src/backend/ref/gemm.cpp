// The ref backend's GEMM: each batch item's offsets from its full multi-index, then kernels::cpu::gemm_naive
// (i-k-j loops, one thread). 16-bit operands are widened to float32 element by element first.
#include "backend/gemm.h"

#include <type_traits>
#include <vector>

#include "backend/ref/families.h"
#include "kernels/cpu/gemm.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;

// Element offset of batch item `i` (row-major over out's batch dims) in x, whose batch dims are right-aligned
// to out's and broadcast where they are 1 or missing.
int64_t item_offset(const Tensor& x, const Shape& out, int64_t i) {
  const size_t nb = out.size() - 2, ex = x.shape().size() - 2;
  int64_t off = 0;
  for (size_t d = nb; d-- > 0;) {
    const int64_t id = i % out[d];
    i /= out[d];
    if (d + ex >= nb) {
      const size_t dx = d + ex - nb;
      if (x.shape()[dx] != 1) off += id * x.strides()[dx];
    }
  }
  return off;
}

// The (rows, cols) matrix at p with layout l, widened to a row-major float matrix.
template <class In>
std::vector<float> widen(const In* p, int64_t rows, int64_t cols, const MatLayout& l) {
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      w[static_cast<size_t>(r * cols + c)] = static_cast<float>(l.trans ? p[c * l.ld + r] : p[r * l.ld + c]);
    }
  }
  return w;
}

template <class In, class T>
void run_gemm(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  const MatLayout la = mat_layout(a), lb = mat_layout(b);
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  const int64_t batch = Shape(out.shape().data(), out.shape().size() - 2).numel();
  for (int64_t i = 0; i < batch; ++i) {
    const In* pa = a.data_ptr<In>() + item_offset(a, out.shape(), i);
    const In* pb = b.data_ptr<In>() + item_offset(b, out.shape(), i);
    T* pc = out.data_ptr<T>() + i * n * m;
    if constexpr (std::is_same_v<In, T>) {
      kc::gemm_naive<T>(la.trans, lb.trans, n, m, k, static_cast<T>(alpha), pa, la.ld, pb, lb.ld, static_cast<T>(beta),
                        pc, m);
    } else {
      const std::vector<float> wa = widen(pa, n, k, la), wb = widen(pb, k, m, lb);
      kc::gemm_naive<float>(false, false, n, m, k, static_cast<float>(alpha), wa.data(), k, wb.data(), m,
                            static_cast<float>(beta), pc, m);
    }
  }
}

void matmul(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  switch (a.dtype()) {
    case kBFloat16: return run_gemm<BFloat16, float>(out, a, b, alpha, beta);
    case kFloat16: return run_gemm<Half, float>(out, a, b, alpha, beta);
    default:
      dispatch_float(a.dtype(), "matmul", [&](auto tag) {
        using T = typename decltype(tag)::type;
        run_gemm<T, T>(out, a, b, alpha, beta);
      });
  }
}

const GemmKernels kGemm{matmul};
}  // namespace

const GemmKernels* gemm_kernels() { return &kGemm; }

}  // namespace strata::backend::ref
