#pragma once
// Kernel family: fused scaled dot-product attention over a batch of independent (L, S) problems:
//   S = scale * Q K^T (+ mask),  P = softmax_rows(S),  P' = P * drop,  O = P' V
// and its backward (dV = P'^T dO, dP = (dO V^T + dP') * drop, dS = P * (dP - rowsum(dP * P)), dQ = scale dS K,
// dK = scale dS^T Q). A row whose every key is masked gets P = 0. Tensors live on the backend's device and share
// one float32/float64 dtype (the op runs 16-bit attention in float32); bool masks are the only other dtype.
#include "backend/backend.h"
#include "kernels/cpu/attention.h"

namespace strata::backend {

using AttnDims = kernels::cpu::AttnDims;  // batch = prod(*lead), L, S, E, Ev

struct AttentionKernels {
  // Matrix operands q (*lead, L, E), k (*lead, S, E), v (*lead, S, Ev), dout (*lead, L, Ev) and the output out
  // (*lead, L, Ev) have a unit column stride and a row stride that covers a row; their batch dims may have any
  // strides (permuted head views need no copy). mask: undefined, or (*lead, L, S) bool (true = attend) or additive
  // float, any strides (0 where broadcast). probs, dropped, drop, d_weights, ds: contiguous (*lead, L, S);
  // drop (the keep-mask already scaled by 1 / (1 - p)) and dropped (written: P * drop) are both undefined without
  // dropout. causal: key j > query i is masked (top-left aligned).
  void (*forward)(const AttnDims& d, double scale, bool causal, const Tensor& out, const Tensor& probs,
                  const Tensor& dropped, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                  const Tensor& drop);
  // dq (*lead, L, E), dk (*lead, S, E), dv (*lead, S, Ev): contiguous outputs, each undefined when not wanted.
  // ds (written): dS, the gradient of the masked scores before the scale. d_weights: the gradient of the
  // returned weights P', or undefined.
  void (*backward)(const AttnDims& d, double scale, bool causal, const Tensor& dq, const Tensor& dk, const Tensor& dv,
                   const Tensor& ds, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& dout,
                   const Tensor& d_weights, const Tensor& probs, const Tensor& drop, const Tensor& dropped);
};

// Row stride of a matrix operand as the kernels read it (any value >= 1 for a single row).
inline int64_t attn_ld(const Tensor& x) { return x.size(-2) <= 1 ? std::max<int64_t>(x.size(-1), 1) : x.stride(-2); }

}  // namespace strata::backend
