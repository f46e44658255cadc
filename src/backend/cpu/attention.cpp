// The cpu backend's attention: the fused kernels of kernels/cpu/attention.h (batched GEMMs, masked softmax in
// cache, OpenMP over the items), with per-item offsets taken from the operands' batch strides.
#include "backend/attention.h"

#include <vector>

#include "backend/cpu/families.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

// Element offsets of the leading (batch) dims of x (all but the last two), enumerated row-major.
std::vector<int64_t> batch_offsets(const Tensor& x) {
  const size_t nb = x.shape().size() - 2;
  const Shape& shape = x.shape();
  const Strides& strides = x.strides();
  int64_t batch = 1;
  for (size_t d = 0; d < nb; ++d) batch *= shape[d];
  std::vector<int64_t> off(static_cast<size_t>(batch));
  std::vector<int64_t> idx(nb, 0);
  int64_t cur = 0;
  for (int64_t i = 0; i < batch; ++i) {
    off[static_cast<size_t>(i)] = cur;
    for (size_t d = nb; d-- > 0;) {
      cur += strides[d];
      if (++idx[d] < shape[d]) break;
      cur -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return off;
}

// A matrix operand's kernel view; `off` keeps its offsets alive.
template <class T>
kc::AttnOperand<T> operand(const Tensor& x, std::vector<int64_t>& off) {
  off = batch_offsets(x);
  return {x.data_ptr<T>(), off.data(), attn_ld(x)};
}

template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void forward(const AttnDims& d, double scale, bool causal, const Tensor& out, const Tensor& probs,
             const Tensor& dropped, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
             const Tensor& drop) {
  dispatch_float(q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<int64_t> qo, ko, vo, mo;
    kc::AttnMask<T> m;
    m.causal = causal;
    if (mask.defined()) {
      if (mask.dtype() == kBool) {
        m.keep = mask.data_ptr<bool>();
      } else {
        m.add = mask.data_ptr<T>();
      }
      mo = batch_offsets(mask);
      m.off = mo.data();
      m.rs = mask.stride(-2);
      m.cs = mask.stride(-1);
    }
    const std::vector<int64_t> oo = batch_offsets(out);
    kc::attention_forward<T>(d, static_cast<T>(scale), operand<T>(q, qo), operand<T>(k, ko), operand<T>(v, vo), m,
                             ptr<T>(drop), probs.data_ptr<T>(), ptr<T>(dropped), out.data_ptr<T>(), oo.data(),
                             attn_ld(out));
  });
}

void backward(const AttnDims& d, double scale, bool causal, const Tensor& dq, const Tensor& dk, const Tensor& dv,
              const Tensor& ds, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& dout,
              const Tensor& d_weights, const Tensor& probs, const Tensor& drop, const Tensor& dropped) {
  dispatch_float(q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<int64_t> qo, ko, vo, go;
    kc::attention_backward<T>(d, static_cast<T>(scale), operand<T>(q, qo), operand<T>(k, ko), operand<T>(v, vo),
                              operand<T>(dout, go), ptr<T>(d_weights), ptr<T>(probs), ptr<T>(drop), ptr<T>(dropped),
                              ptr<T>(ds), ptr<T>(dq), ptr<T>(dk), ptr<T>(dv), causal);
  });
}

const AttentionKernels kAttention{forward, backward};
}  // namespace

const AttentionKernels* attention_kernels() { return &kAttention; }

}  // namespace strata::backend::cpu
