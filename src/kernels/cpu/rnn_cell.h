#pragma once
// Fused gate updates of the recurrent cells, one time step over B rows (PyTorch's gate orders and formulas).
// Gate blocks are laid out per row as [gate0 | gate1 | ...], each H wide; every pointer is a contiguous
// (B, k*H) block. Pre-activations arrive with both biases already added, except GRU's hidden-side n block,
// which must stay apart from the input side (it is scaled by r).
//   RNN:  h = act(a),  a = W_ih x + b_ih + W_hh h' + b_hh,  act = tanh or relu
//   LSTM: gates i, f, g, o:  c = f c' + i g,  h = o tanh(c)   (i, f, o sigmoid; g tanh)
//   GRU:  gates r, z, n:  r = s(x_r + h_r), z = s(x_z + h_z), n = tanh(x_n + r h_n),  h = (1 - z) n + z h'
// The fast kernels use the vectorisable float math of vec_math.h for float (std:: for double); each has a
// plain *_reference beside it (std:: math in double, no tricks), which the kernel tests compare against.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/cpu/vec_math.h"

namespace strata::kernels::cpu {

namespace rnn_detail {
inline float sigm(float x) { return vec::sigmoid_f(x); }
inline double sigm(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline float th(float x) { return vec::tanh_f(x); }
inline double th(double x) { return std::tanh(x); }
}  // namespace rnn_detail

// ---- RNN (tanh / relu) ----

// h = act(a); a: (B, H) pre-activations, h: (B, H).
template <class T>
void rnn_cell_forward(const T* a, T* h, int64_t B, int64_t H, bool relu) {
  const int64_t n = B * H;
  if (relu) {
    for (int64_t j = 0; j < n; ++j) h[j] = a[j] > T(0) ? a[j] : T(0);
  } else {
    for (int64_t j = 0; j < n; ++j) h[j] = rnn_detail::th(a[j]);
  }
}

// da = dh * act'(a), written from the saved output h (tanh' = 1 - h^2, relu' = [h > 0]).
template <class T>
void rnn_cell_backward(const T* h, const T* dh, T* da, int64_t B, int64_t H, bool relu) {
  const int64_t n = B * H;
  if (relu) {
    for (int64_t j = 0; j < n; ++j) da[j] = h[j] > T(0) ? dh[j] : T(0);
  } else {
    for (int64_t j = 0; j < n; ++j) da[j] = dh[j] * (T(1) - h[j] * h[j]);
  }
}

// ---- LSTM ----

// One row of each kernel below; the restrict-qualified blocks (disjoint by construction) let GCC vectorise.
template <class T>
void lstm_row_forward(T* __restrict gi, T* __restrict gf, T* __restrict gg, T* __restrict go, const T* __restrict cp,
                      T* __restrict c, T* __restrict h, int64_t H) {
  using namespace rnn_detail;
  for (int64_t j = 0; j < H; ++j) {
    const T i = sigm(gi[j]), f = sigm(gf[j]), g = th(gg[j]), o = sigm(go[j]);
    const T cn = f * cp[j] + i * g;
    gi[j] = i;
    gf[j] = f;
    gg[j] = g;
    go[j] = o;
    c[j] = cn;
    h[j] = o * th(cn);
  }
}

// gates: (B, 4H), pre-activations in, activations out (i, f, g, o, kept for backward).
// c_prev, c, h: (B, H).
template <class T>
void lstm_cell_forward(T* gates, const T* c_prev, T* c, T* h, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    T* gi = gates + b * 4 * H;
    lstm_row_forward<T>(gi, gi + H, gi + 2 * H, gi + 3 * H, c_prev + b * H, c + b * H, h + b * H, H);
  }
}

// From the saved activations and cell states: dgates (B, 4H) (gradients of the pre-activations), and
// dc (B, H) updated in place from dL/dc to dL/dc_prev. dh: (B, H), the total gradient reaching h.
template <class T>
void lstm_row_backward(const T* __restrict gi, const T* __restrict gf, const T* __restrict gg, const T* __restrict go,
                       const T* __restrict c, const T* __restrict cp, const T* __restrict dh, T* __restrict dc,
                       T* __restrict di, T* __restrict df, T* __restrict dg, T* __restrict dout, int64_t H) {
  using namespace rnn_detail;
  for (int64_t j = 0; j < H; ++j) {
    const T i = gi[j], f = gf[j], g = gg[j], o = go[j];
    const T tc = th(c[j]);
    const T dct = dc[j] + dh[j] * o * (T(1) - tc * tc);
    di[j] = dct * g * i * (T(1) - i);
    df[j] = dct * cp[j] * f * (T(1) - f);
    dg[j] = dct * i * (T(1) - g * g);
    dout[j] = dh[j] * tc * o * (T(1) - o);
    dc[j] = dct * f;
  }
}

template <class T>
void lstm_cell_backward(const T* gates, const T* c, const T* c_prev, const T* dh, T* dc, T* dgates, int64_t B,
                        int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    const T* g = gates + b * 4 * H;
    T* d = dgates + b * 4 * H;
    const int64_t o = b * H;
    lstm_row_backward<T>(g, g + H, g + 2 * H, g + 3 * H, c + o, c_prev + o, dh + o, dc + o, d, d + H, d + 2 * H,
                         d + 3 * H, H);
  }
}

// ---- GRU ----

// xg: (B, 3H) input-side pre-activations (with b_ih); hg: (B, 3H) hidden-side (with b_hh); h_prev, h: (B, H).
// save: (B, 4H) receives r, z, n and the hidden-side n block (W_hn h' + b_hn) for backward.
template <class T>
void gru_row_forward(const T* __restrict xr, const T* __restrict xz, const T* __restrict xn, const T* __restrict hr,
                     const T* __restrict hz, const T* __restrict hn, const T* __restrict hp, T* __restrict sr,
                     T* __restrict sz, T* __restrict sn, T* __restrict shn, T* __restrict h, int64_t H) {
  using namespace rnn_detail;
  for (int64_t j = 0; j < H; ++j) {
    const T r = sigm(xr[j] + hr[j]), z = sigm(xz[j] + hz[j]);
    const T n = th(xn[j] + r * hn[j]);
    sr[j] = r;
    sz[j] = z;
    sn[j] = n;
    shn[j] = hn[j];
    h[j] = n + z * (hp[j] - n);
  }
}

template <class T>
void gru_cell_forward(const T* xg, const T* hg, const T* h_prev, T* save, T* h, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    const T* x = xg + b * 3 * H;
    const T* hh = hg + b * 3 * H;
    T* s = save + b * 4 * H;
    gru_row_forward<T>(x, x + H, x + 2 * H, hh, hh + H, hh + 2 * H, h_prev + b * H, s, s + H, s + 2 * H, s + 3 * H,
                       h + b * H, H);
  }
}

// dgx: (B, 3H) gradients of the input-side pre-activations; dgh: (B, 3H) of the hidden-side ones (they differ
// in the n block by the factor r); dh_prev: (B, H) receives the direct part dh * z (the GEMM through W_hh
// adds the rest).
template <class T>
void gru_row_backward(const T* __restrict sr, const T* __restrict sz, const T* __restrict sn, const T* __restrict shn,
                      const T* __restrict hp, const T* __restrict d, T* __restrict dxr, T* __restrict dxz,
                      T* __restrict dxn, T* __restrict dhr, T* __restrict dhz, T* __restrict dhn, T* __restrict dp,
                      int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    const T r = sr[j], z = sz[j], n = sn[j];
    const T dn = d[j] * (T(1) - z) * (T(1) - n * n);
    const T dz = d[j] * (hp[j] - n) * z * (T(1) - z);
    const T dr = dn * shn[j] * r * (T(1) - r);
    dxr[j] = dr;
    dhr[j] = dr;
    dxz[j] = dz;
    dhz[j] = dz;
    dxn[j] = dn;
    dhn[j] = dn * r;
    dp[j] = d[j] * z;
  }
}

template <class T>
void gru_cell_backward(const T* save, const T* h_prev, const T* dh, T* dgx, T* dgh, T* dh_prev, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    const T* s = save + b * 4 * H;
    T* gx = dgx + b * 3 * H;
    T* gh = dgh + b * 3 * H;
    const int64_t o = b * H;
    gru_row_backward<T>(s, s + H, s + 2 * H, s + 3 * H, h_prev + o, dh + o, gx, gx + H, gx + 2 * H, gh, gh + H,
                        gh + 2 * H, dh_prev + o, H);
  }
}

// ---- Naive references (same contracts; double-precision std:: math, one formula per line) ----

namespace rnn_ref {
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace rnn_ref

template <class T>
void rnn_cell_forward_reference(const T* a, T* h, int64_t B, int64_t H, bool relu) {
  for (int64_t j = 0; j < B * H; ++j) {
    const double v = a[j];
    h[j] = static_cast<T>(relu ? std::max(v, 0.0) : std::tanh(v));
  }
}

template <class T>
void rnn_cell_backward_reference(const T* h, const T* dh, T* da, int64_t B, int64_t H, bool relu) {
  for (int64_t j = 0; j < B * H; ++j) {
    const double hv = h[j];
    const double deriv = relu ? (hv > 0 ? 1.0 : 0.0) : 1.0 - hv * hv;
    da[j] = static_cast<T>(static_cast<double>(dh[j]) * deriv);
  }
}

template <class T>
void lstm_cell_forward_reference(T* gates, const T* c_prev, T* c, T* h, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = 0; j < H; ++j) {
      T* row = gates + b * 4 * H;
      const double i = rnn_ref::sigmoid(row[j]);
      const double f = rnn_ref::sigmoid(row[H + j]);
      const double g = std::tanh(static_cast<double>(row[2 * H + j]));
      const double o = rnn_ref::sigmoid(row[3 * H + j]);
      const double cn = f * c_prev[b * H + j] + i * g;
      row[j] = static_cast<T>(i);
      row[H + j] = static_cast<T>(f);
      row[2 * H + j] = static_cast<T>(g);
      row[3 * H + j] = static_cast<T>(o);
      c[b * H + j] = static_cast<T>(cn);
      h[b * H + j] = static_cast<T>(o * std::tanh(cn));
    }
  }
}

template <class T>
void lstm_cell_backward_reference(const T* gates, const T* c, const T* c_prev, const T* dh, T* dc, T* dgates, int64_t B,
                                  int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = 0; j < H; ++j) {
      const T* row = gates + b * 4 * H;
      T* drow = dgates + b * 4 * H;
      const double i = row[j], f = row[H + j], g = row[2 * H + j], o = row[3 * H + j];
      const int64_t k = b * H + j;
      const double tc = std::tanh(static_cast<double>(c[k]));
      const double dhv = dh[k];
      const double dc_total = dc[k] + dhv * o * (1 - tc * tc);  // through h = o tanh(c), plus from c_{t+1}
      const double d_i = dc_total * g, d_f = dc_total * c_prev[k], d_g = dc_total * i, d_o = dhv * tc;
      drow[j] = static_cast<T>(d_i * i * (1 - i));
      drow[H + j] = static_cast<T>(d_f * f * (1 - f));
      drow[2 * H + j] = static_cast<T>(d_g * (1 - g * g));
      drow[3 * H + j] = static_cast<T>(d_o * o * (1 - o));
      dc[k] = static_cast<T>(dc_total * f);
    }
  }
}

template <class T>
void gru_cell_forward_reference(const T* xg, const T* hg, const T* h_prev, T* save, T* h, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = 0; j < H; ++j) {
      const T* x = xg + b * 3 * H;
      const T* hh = hg + b * 3 * H;
      T* s = save + b * 4 * H;
      const double r = rnn_ref::sigmoid(static_cast<double>(x[j]) + hh[j]);
      const double z = rnn_ref::sigmoid(static_cast<double>(x[H + j]) + hh[H + j]);
      const double n = std::tanh(static_cast<double>(x[2 * H + j]) + r * hh[2 * H + j]);
      s[j] = static_cast<T>(r);
      s[H + j] = static_cast<T>(z);
      s[2 * H + j] = static_cast<T>(n);
      s[3 * H + j] = hh[2 * H + j];
      h[b * H + j] = static_cast<T>((1 - z) * n + z * h_prev[b * H + j]);
    }
  }
}

template <class T>
void gru_cell_backward_reference(const T* save, const T* h_prev, const T* dh, T* dgx, T* dgh, T* dh_prev, int64_t B,
                                 int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = 0; j < H; ++j) {
      const T* s = save + b * 4 * H;
      const double r = s[j], z = s[H + j], n = s[2 * H + j], hn = s[3 * H + j];
      const int64_t k = b * H + j;
      const double d = dh[k];
      const double dn_pre = d * (1 - z) * (1 - n * n);
      const double dz_pre = d * (h_prev[k] - n) * z * (1 - z);
      const double dr_pre = dn_pre * hn * r * (1 - r);
      T* gx = dgx + b * 3 * H;
      T* gh = dgh + b * 3 * H;
      gx[j] = gh[j] = static_cast<T>(dr_pre);
      gx[H + j] = gh[H + j] = static_cast<T>(dz_pre);
      gx[2 * H + j] = static_cast<T>(dn_pre);
      gh[2 * H + j] = static_cast<T>(dn_pre * r);
      dh_prev[k] = static_cast<T>(d * z);
    }
  }
}

}  // namespace strata::kernels::cpu
