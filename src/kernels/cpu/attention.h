#pragma once
// Fused scaled dot-product attention over a batch of independent (L, S) problems:
//   S = scale * Q K^T (+ mask),  P = softmax_rows(S),  P' = P * drop,  O = P' V
// and its backward from dO (and optionally dP', the gradient of the returned weights):
//   dV = P'^T dO,  dP = (dO V^T + dP') * drop,  dS = P * (dP - rowsum(dP * P)),  dQ = scale dS K,  dK = scale dS^T Q
// Operands are row-major matrices with unit column stride; item b of an operand starts at ptr + off[b]
// (offsets in elements, so permuted views such as the heads of a fused qkv projection need no copy).
// Scores, probabilities and dS live in contiguous (batch, L, S) buffers. A row whose every key is masked
// gets P = 0 (so O = 0 and zero gradients) instead of PyTorch's NaN.
// With at least as many items as threads, OpenMP runs over the items (each GEMM single-threaded, the
// (L, S) block stays in cache between the three steps); otherwise items run in turn with threaded GEMMs.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/softmax.h"

namespace strata::kernels::cpu {

template <class T>
struct AttnOperand {
  const T* p = nullptr;
  const int64_t* off = nullptr;  // per batch item
  int64_t ld = 0;                // row stride
};

// Additive (float) or boolean (true = attend) mask; element (i, j) of item b at p[off[b] + i*rs + j*cs].
template <class T>
struct AttnMask {
  const T* add = nullptr;
  const bool* keep = nullptr;
  const int64_t* off = nullptr;
  int64_t rs = 0, cs = 0;
  bool causal = false;  // key j > query i is masked (top-left aligned, as PyTorch's is_causal)
};

struct AttnDims {
  int64_t batch = 0, L = 0, S = 0, E = 0, Ev = 0;
};

namespace detail {

template <class F>
void for_attn_items(int64_t batch, int64_t work, const F& f) {
  const bool par =
      batch >= omp_get_max_threads() && omp_get_max_threads() > 1 && !omp_in_parallel() && work >= kParallelGrain;
  if (!par) {
    for (int64_t b = 0; b < batch; ++b) f(b);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < batch; ++b) f(b);
}

// Masks row i of item b's scores in place and turns it into probabilities (zeros when fully masked).
template <class T>
void masked_softmax_row(T* row, int64_t b, int64_t i, int64_t S, const AttnMask<T>& m) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  int64_t n = S;  // keys [n, S) are causally masked
  if (m.causal) n = std::min<int64_t>(S, i + 1);
  if (m.add) {
    const T* mp = m.add + m.off[b] + i * m.rs;
    for (int64_t j = 0; j < n; ++j) row[j] += mp[j * m.cs];
  }
  if (m.keep) {
    const bool* mp = m.keep + m.off[b] + i * m.rs;
    for (int64_t j = 0; j < n; ++j) row[j] = mp[j * m.cs] ? row[j] : kNegInf;
  }
  for (int64_t j = n; j < S; ++j) row[j] = T(0);
  const T mx = n > 0 ? row_max(row, n) : kNegInf;
  if (mx == kNegInf) {  // every key masked: zeros (NaN scores still propagate)
    for (int64_t j = 0; j < n; ++j) row[j] = T(0);
    return;
  }
  for (int64_t j = 0; j < n; ++j) row[j] = exp_of(static_cast<T>(row[j] - mx));
  const T inv = static_cast<T>(1.0 / row_sum(row, n));
  for (int64_t j = 0; j < n; ++j) row[j] *= inv;
}

}  // namespace detail

// Causal self-attention (L == S) skips the masked upper triangle in blocks of kCausalBlock query rows: row block
// [i0, i1) needs keys [0, i1) only, and key block [j0, j1) gets gradient from rows [j0, L) only. At L = 128 that is
// 5/8 of the GEMM work (the GPT step's profile, docs/performance.md "Profiling"). P is exactly 0 where skipped.
inline constexpr int64_t kCausalBlock = 32;
inline bool causal_blocks(const AttnDims& d, bool causal) {
  return causal && d.L == d.S && d.L > kCausalBlock && d.E > 0 && d.Ev > 0;
}

// probs: (batch, L, S) out; dropped: (batch, L, S) out when drop != nullptr (P * drop), else unused;
// drop: (batch, L, S) keep-mask already scaled by 1 / (1 - p), or nullptr. o: output operand (written).
template <class T>
void attention_forward(const AttnDims& d, T scale, AttnOperand<T> q, AttnOperand<T> k, AttnOperand<T> v,
                       const AttnMask<T>& mask, const T* drop, T* probs, T* dropped, T* o, const int64_t* o_off,
                       int64_t ldo) {
  const int64_t LS = d.L * d.S;
  detail::for_attn_items(d.batch, d.batch * LS * (d.E + d.Ev), [&](int64_t b) {
    T* p = probs + b * LS;
    const bool blocks = causal_blocks(d, mask.causal);
    if (d.E == 0) {
      for (int64_t i = 0; i < LS; ++i) p[i] = T(0);
    } else if (blocks) {
      // Row block [i0, i1) sees keys [0, i1) only; the scores right of that are never read (softmax zeroes them).
      for (int64_t i0 = 0; i0 < d.L; i0 += kCausalBlock) {
        const int64_t i1 = std::min(d.L, i0 + kCausalBlock);
        gemm<T>(false, true, i1 - i0, i1, d.E, scale, q.p + q.off[b] + i0 * q.ld, q.ld, k.p + k.off[b], k.ld, T(0),
                p + i0 * d.S, d.S);
      }
    } else {
      gemm<T>(false, true, d.L, d.S, d.E, scale, q.p + q.off[b], q.ld, k.p + k.off[b], k.ld, T(0), p, d.S);
    }
    for (int64_t i = 0; i < d.L; ++i) detail::masked_softmax_row(p + i * d.S, b, i, d.S, mask);
    const T* pv = p;
    if (drop) {
      T* pd = dropped + b * LS;
      const T* db = drop + b * LS;
      for (int64_t i = 0; i < LS; ++i) pd[i] = p[i] * db[i];
      pv = pd;
    }
    T* ob = o + o_off[b];
    if (d.S == 0) {
      for (int64_t i = 0; i < d.L; ++i) {
        for (int64_t j = 0; j < d.Ev; ++j) ob[i * ldo + j] = T(0);
      }
    } else if (blocks) {
      for (int64_t i0 = 0; i0 < d.L; i0 += kCausalBlock) {
        const int64_t i1 = std::min(d.L, i0 + kCausalBlock);
        gemm<T>(false, false, i1 - i0, d.Ev, i1, T(1), pv + i0 * d.S, d.S, v.p + v.off[b], v.ld, T(0), ob + i0 * ldo,
                ldo);
      }
    } else {
      gemm<T>(false, false, d.L, d.Ev, d.S, T(1), pv, d.S, v.p + v.off[b], v.ld, T(0), ob, ldo);
    }
  });
}

// dO: operand; d_weights: (batch, L, S) gradient of the returned weights or nullptr. ds: (batch, L, S) scratch,
// left holding dS (the gradient of the masked scores, before the scale). dq (batch, L, E), dk (batch, S, E),
// dv (batch, S, Ev): contiguous outputs, each may be nullptr when not needed.
template <class T>
void attention_backward(const AttnDims& d, T scale, AttnOperand<T> q, AttnOperand<T> k, AttnOperand<T> v,
                        AttnOperand<T> dout, const T* d_weights, const T* probs, const T* drop, const T* dropped, T* ds,
                        T* dq, T* dk, T* dv, bool causal = false) {
  const int64_t LS = d.L * d.S;
  const bool blocks = causal_blocks(d, causal);
  constexpr int64_t kB = kCausalBlock;
  detail::for_attn_items(d.batch, d.batch * LS * (2 * d.E + 2 * d.Ev), [&](int64_t b) {
    const T* p = probs + b * LS;
    const T* pv = drop ? dropped + b * LS : p;
    const T* gob = dout.p + dout.off[b];
    T* g = ds + b * LS;
    if (dv) {
      T* dvb = dv + b * d.S * d.Ev;
      if (d.L == 0) {
        for (int64_t i = 0; i < d.S * d.Ev; ++i) dvb[i] = T(0);
      } else if (blocks) {  // dV[j0:j1] = P'[j0:L, j0:j1]^T dO[j0:L]
        for (int64_t j0 = 0; j0 < d.S; j0 += kB) {
          const int64_t j1 = std::min(d.S, j0 + kB);
          gemm<T>(true, false, j1 - j0, d.Ev, d.L - j0, T(1), pv + j0 * d.S + j0, d.S, gob + j0 * dout.ld, dout.ld,
                  T(0), dvb + j0 * d.Ev, d.Ev);
        }
      } else {
        gemm<T>(true, false, d.S, d.Ev, d.L, T(1), pv, d.S, gob, dout.ld, T(0), dvb, d.Ev);
      }
    }
    if (d.Ev == 0) {
      for (int64_t i = 0; i < LS; ++i) g[i] = T(0);
    } else if (blocks) {  // dP[i0:i1, 0:i1] = dO[i0:i1] V[0:i1]^T; zero right of it (P is 0 there)
      for (int64_t i0 = 0; i0 < d.L; i0 += kB) {
        const int64_t i1 = std::min(d.L, i0 + kB);
        gemm<T>(false, true, i1 - i0, i1, d.Ev, T(1), gob + i0 * dout.ld, dout.ld, v.p + v.off[b], v.ld, T(0),
                g + i0 * d.S, d.S);
        for (int64_t i = i0; i < i1; ++i) std::fill(g + i * d.S + i1, g + (i + 1) * d.S, T(0));
      }
    } else {
      gemm<T>(false, true, d.L, d.S, d.Ev, T(1), gob, dout.ld, v.p + v.off[b], v.ld, T(0), g, d.S);
    }
    if (d_weights) {
      const T* w = d_weights + b * LS;
      for (int64_t i = 0; i < LS; ++i) g[i] += w[i];
    }
    if (drop) {
      const T* db = drop + b * LS;
      for (int64_t i = 0; i < LS; ++i) g[i] *= db[i];
    }
    for (int64_t i = 0; i < d.L; ++i) {
      T* gr = g + i * d.S;
      const T* pr = p + i * d.S;
      double dot = 0;
      for (int64_t j = 0; j < d.S; ++j) dot += static_cast<double>(gr[j]) * static_cast<double>(pr[j]);
      const auto dt = static_cast<T>(dot);
      for (int64_t j = 0; j < d.S; ++j) gr[j] = pr[j] * (gr[j] - dt);
    }
    if (dq) {
      T* dqb = dq + b * d.L * d.E;
      if (d.S == 0) {
        for (int64_t i = 0; i < d.L * d.E; ++i) dqb[i] = T(0);
      } else if (blocks) {  // dQ[i0:i1] = scale dS[i0:i1, 0:i1] K[0:i1]
        for (int64_t i0 = 0; i0 < d.L; i0 += kB) {
          const int64_t i1 = std::min(d.L, i0 + kB);
          gemm<T>(false, false, i1 - i0, d.E, i1, scale, g + i0 * d.S, d.S, k.p + k.off[b], k.ld, T(0), dqb + i0 * d.E,
                  d.E);
        }
      } else {
        gemm<T>(false, false, d.L, d.E, d.S, scale, g, d.S, k.p + k.off[b], k.ld, T(0), dqb, d.E);
      }
    }
    if (dk) {
      T* dkb = dk + b * d.S * d.E;
      if (d.L == 0) {
        for (int64_t i = 0; i < d.S * d.E; ++i) dkb[i] = T(0);
      } else if (blocks) {  // dK[j0:j1] = scale dS[j0:L, j0:j1]^T Q[j0:L]
        for (int64_t j0 = 0; j0 < d.S; j0 += kB) {
          const int64_t j1 = std::min(d.S, j0 + kB);
          gemm<T>(true, false, j1 - j0, d.E, d.L - j0, scale, g + j0 * d.S + j0, d.S, q.p + q.off[b] + j0 * q.ld, q.ld,
                  T(0), dkb + j0 * d.E, d.E);
        }
      } else {
        gemm<T>(true, false, d.S, d.E, d.L, scale, g, d.S, q.p + q.off[b], q.ld, T(0), dkb, d.E);
      }
    }
  });
}

// The reference: one item, contiguous q (L, E), k (S, E), v (S, Ev), optional additive mask (L, S) and
// causal flag, all in double, no dropout. o: (L, Ev).
template <class T>
void attention_forward_reference(int64_t L, int64_t S, int64_t E, int64_t Ev, double scale, const T* q, const T* k,
                                 const T* v, const T* add_mask, bool causal, T* o) {
  std::vector<double> row(static_cast<size_t>(S));
  for (int64_t i = 0; i < L; ++i) {
    double mx = -INFINITY;
    for (int64_t j = 0; j < S; ++j) {
      double s = 0;
      for (int64_t e = 0; e < E; ++e) s += static_cast<double>(q[i * E + e]) * static_cast<double>(k[j * E + e]);
      s = s * scale + (add_mask ? static_cast<double>(add_mask[i * S + j]) : 0.0);
      if (causal && j > i) s = -INFINITY;
      row[static_cast<size_t>(j)] = s;
      mx = std::max(mx, s);
    }
    double sum = 0;
    for (int64_t j = 0; j < S; ++j) {
      double& r = row[static_cast<size_t>(j)];
      r = mx == -INFINITY ? 0.0 : std::exp(r - mx);
      sum += r;
    }
    for (int64_t e = 0; e < Ev; ++e) {
      double acc = 0;
      for (int64_t j = 0; j < S; ++j) acc += row[static_cast<size_t>(j)] * static_cast<double>(v[j * Ev + e]);
      o[i * Ev + e] = static_cast<T>(sum > 0 ? acc / sum : 0.0);
    }
  }
}

}  // namespace strata::kernels::cpu
