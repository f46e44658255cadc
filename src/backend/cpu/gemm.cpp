// The cpu backend's GEMM: one call of kernels::cpu::gemm (OpenBLAS or the packed kernel) for a single product,
// gemm_batched over per-item offsets for a batch, and the 16-bit forms with a float32 accumulator.
#include "backend/gemm.h"

#include <type_traits>
#include <vector>

#include "backend/cpu/families.h"
#include "kernels/cpu/gemm.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

Shape leading(const Shape& s, size_t drop) { return Shape(s.data(), s.size() - drop); }

template <class In, class T>
void run_gemm(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  const MatLayout la = mat_layout(a), lb = mat_layout(b);
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  const In* pa = a.data_ptr<In>();
  const In* pb = b.data_ptr<In>();
  T* pc = out.data_ptr<T>();
  const auto al = static_cast<T>(alpha), be = static_cast<T>(beta);
  const size_t nb = out.shape().size() - 2;
  const int64_t batch = leading(out.shape(), 2).numel();
  if (nb == 0 || batch == 1) {
    if constexpr (std::is_same_v<In, T>) {
      kc::gemm<T>(la.trans, lb.trans, n, m, k, al, pa, la.ld, pb, lb.ld, be, pc, m);
    } else {
      kc::gemm_lowp<In>(la.trans, lb.trans, n, m, k, al, pa, la.ld, pb, lb.ld, be, pc, m);
    }
    return;
  }
  if (batch == 0) return;
  // Per-item offsets from the batch strides (0 on broadcast dims).
  Strides sa(nb), sb(nb);
  const size_t ea = a.shape().size() - 2, eb = b.shape().size() - 2;  // batch dims are right-aligned
  for (size_t d = 0; d < nb; ++d) {
    const size_t ia = d + ea - nb, ib = d + eb - nb;
    sa[d] = (d + ea >= nb && a.shape()[ia] != 1) ? a.strides()[ia] : 0;
    sb[d] = (d + eb >= nb && b.shape()[ib] != 1) ? b.strides()[ib] : 0;
  }
  std::vector<int64_t> off(static_cast<size_t>(3 * batch));
  int64_t* oa = off.data();
  int64_t* ob = oa + batch;
  int64_t* oc = ob + batch;
  Shape idx(nb, 0);
  int64_t cur_a = 0, cur_b = 0;
  for (int64_t i = 0; i < batch; ++i) {
    oa[i] = cur_a;
    ob[i] = cur_b;
    oc[i] = i * n * m;
    for (size_t d = nb; d-- > 0;) {  // odometer increment
      cur_a += sa[d];
      cur_b += sb[d];
      if (++idx[d] < out.shape()[d]) break;
      cur_a -= sa[d] * idx[d];
      cur_b -= sb[d] * idx[d];
      idx[d] = 0;
    }
  }
  if constexpr (std::is_same_v<In, T>) {
    kc::gemm_batched<T>(la.trans, lb.trans, batch, n, m, k, al, pa, la.ld, oa, pb, lb.ld, ob, be, pc, m, oc);
  } else {
    kc::gemm_lowp_batched<In>(la.trans, lb.trans, batch, n, m, k, al, pa, la.ld, oa, pb, lb.ld, ob, be, pc, m, oc);
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

}  // namespace strata::backend::cpu
