// The ref backend's recurrent layers: the same time loop as the cpu backend's, single-threaded, over the naive
// GEMM (kernels::cpu::gemm_naive) and the *_reference cell kernels of kernels/cpu/rnn_cell.h.
#include "backend/rnn.h"

#include <cstring>
#include <utility>
#include <vector>

#include "backend/ref/families.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/rnn_cell.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;

template <class T>
const T* cptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}
template <class T>
T* mptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

int64_t time_of(const RnnGeometry& g, int64_t s) { return g.reverse ? g.T - 1 - s : s; }
int64_t prev_time(const RnnGeometry& g, int64_t t) { return g.reverse ? t + 1 : t - 1; }

template <class T>
void forward_impl(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, T* out, T* h_n, T* c_n) {
  const int64_t B = g.B, H = g.H, GH = g.G * H, TB = g.T * g.B;
  const bool gru = g.cell == RnnCell::Gru, lstm = g.cell == RnnCell::Lstm;
  const T *x = cptr<T>(in.x), *h0 = cptr<T>(in.h0), *c0 = cptr<T>(in.c0), *wih = cptr<T>(in.w_ih),
          *whh = cptr<T>(in.w_hh), *bih = cptr<T>(in.b_ih), *bhh = cptr<T>(in.b_hh);
  const bool has_bias = bih != nullptr;
  T* xg = mptr<T>(ws.xg);
  T* cs = mptr<T>(ws.cs);
  T* save = mptr<T>(ws.save);
  // xg = b_ih (+ b_hh except GRU) + x W_ih^T
  for (int64_t r = 0; r < TB; ++r) {
    for (int64_t j = 0; j < GH; ++j) xg[r * GH + j] = has_bias ? bih[j] + (gru ? T(0) : bhh[j]) : T(0);
  }
  kc::gemm_naive<T>(false, true, TB, GH, g.I, T(1), x, g.I, wih, g.I, T(1), xg, GH);
  std::vector<T> hg(gru ? static_cast<size_t>(B * GH) : 0);
  for (int64_t s = 0; s < g.T; ++s) {
    const int64_t t = time_of(g, s);
    const T* hp = s == 0 ? h0 : out + prev_time(g, t) * B * H;
    T* xg_t = xg + t * B * GH;
    T* h_t = out + t * B * H;
    if (gru) {
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t j = 0; j < GH; ++j) hg[b * GH + j] = has_bias ? bhh[j] : T(0);
      }
      kc::gemm_naive<T>(false, true, B, GH, H, T(1), hp, H, whh, H, T(1), hg.data(), GH);
      kc::gru_cell_forward_reference<T>(xg_t, hg.data(), hp, save + t * B * 4 * H, h_t, B, H);
      continue;
    }
    kc::gemm_naive<T>(false, true, B, GH, H, T(1), hp, H, whh, H, T(1), xg_t, GH);
    if (lstm) {
      const T* cp = s == 0 ? c0 : cs + prev_time(g, t) * B * H;
      kc::lstm_cell_forward_reference<T>(xg_t, cp, cs + t * B * H, h_t, B, H);
    } else {
      kc::rnn_cell_forward_reference<T>(xg_t, h_t, B, H, g.cell == RnnCell::Relu);
    }
  }
  const int64_t last = time_of(g, g.T - 1);
  for (int64_t k = 0; k < B * H; ++k) {
    h_n[k] = out[last * B * H + k];
    if (lstm) c_n[k] = cs[last * B * H + k];
  }
}

template <class T>
void backward_impl(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, const T* out, const T* dout,
                   const T* dh_n, const T* dc_n, const RnnGrads& gr) {
  const int64_t B = g.B, H = g.H, GH = g.G * H, TB = g.T * g.B, BH = B * H;
  const bool gru = g.cell == RnnCell::Gru, lstm = g.cell == RnnCell::Lstm;
  const T *x = cptr<T>(in.x), *h0 = cptr<T>(in.h0), *c0 = cptr<T>(in.c0), *wih = cptr<T>(in.w_ih),
          *whh = cptr<T>(in.w_hh);
  const T* gates = cptr<T>(ws.xg);
  const T* cs = cptr<T>(ws.cs);
  const T* save = cptr<T>(ws.save);
  std::vector<T> dgx(static_cast<size_t>(TB * GH)), dgh_buf(gru ? static_cast<size_t>(TB * GH) : 0);
  T* dgh = gru ? dgh_buf.data() : dgx.data();
  std::vector<T> dh(static_cast<size_t>(BH)), dc(static_cast<size_t>(BH)), dh_alt(static_cast<size_t>(BH));
  for (int64_t k = 0; k < BH; ++k) {
    dh[k] = dh_n ? dh_n[k] : T(0);
    dc[k] = dc_n ? dc_n[k] : T(0);
  }
  for (int64_t s = g.T - 1; s >= 0; --s) {
    const int64_t t = time_of(g, s);
    if (dout) {
      for (int64_t k = 0; k < BH; ++k) dh[k] += dout[t * BH + k];
    }
    T* dgx_s = dgx.data() + t * B * GH;
    if (gru) {
      const T* hp = s == 0 ? h0 : out + prev_time(g, t) * BH;
      T* dgh_s = dgh + t * B * GH;
      kc::gru_cell_backward_reference<T>(save + t * B * 4 * H, hp, dh.data(), dgx_s, dgh_s, dh_alt.data(), B, H);
      kc::gemm_naive<T>(false, false, B, H, GH, T(1), dgh_s, GH, whh, H, T(1), dh_alt.data(), H);
      std::swap(dh, dh_alt);
      continue;
    }
    if (lstm) {
      const T* cp = s == 0 ? c0 : cs + prev_time(g, t) * BH;
      kc::lstm_cell_backward_reference<T>(gates + t * B * GH, cs + t * BH, cp, dh.data(), dc.data(), dgx_s, B, H);
    } else {
      kc::rnn_cell_backward_reference<T>(out + t * BH, dh.data(), dgx_s, B, H, g.cell == RnnCell::Relu);
    }
    kc::gemm_naive<T>(false, false, B, H, GH, T(1), dgx_s, GH, whh, H, T(0), dh.data(), H);
  }
  if (T* dh0 = mptr<T>(gr.h0)) std::copy(dh.begin(), dh.end(), dh0);
  if (T* dc0 = mptr<T>(gr.c0); dc0 && lstm) std::copy(dc.begin(), dc.end(), dc0);
  if (T* dx = mptr<T>(gr.x))
    kc::gemm_naive<T>(false, false, TB, g.I, GH, T(1), dgx.data(), GH, wih, g.I, T(0), dx, g.I);
  if (T* dwih = mptr<T>(gr.w_ih)) {
    kc::gemm_naive<T>(true, false, GH, g.I, TB, T(1), dgx.data(), GH, x, g.I, T(0), dwih, g.I);
  }
  if (T* dwhh = mptr<T>(gr.w_hh)) {
    // dW_hh = sum over steps of dgh_t^T h'_t, with h' = h0 for the first step.
    for (int64_t k = 0; k < GH * H; ++k) dwhh[k] = T(0);
    for (int64_t s = 0; s < g.T; ++s) {
      const int64_t t = time_of(g, s);
      const T* hp = s == 0 ? h0 : out + prev_time(g, t) * BH;
      kc::gemm_naive<T>(true, false, GH, H, B, T(1), dgh + t * B * GH, GH, hp, H, T(1), dwhh, H);
    }
  }
  auto col_sums = [&](const T* a, T* o) {
    for (int64_t j = 0; j < GH; ++j) {
      T acc = T(0);
      for (int64_t r = 0; r < TB; ++r) acc += a[r * GH + j];
      o[j] = acc;
    }
  };
  if (T* dbih = mptr<T>(gr.b_ih)) col_sums(dgx.data(), dbih);
  if (T* dbhh = mptr<T>(gr.b_hh)) col_sums(dgh, dbhh);
}

void forward(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, const Tensor& out, const Tensor& h_n,
             const Tensor& c_n) {
  dispatch_float(in.x.dtype(), "rnn", [&](auto tag) {
    using T = typename decltype(tag)::type;
    forward_impl<T>(g, in, ws, mptr<T>(out), mptr<T>(h_n), mptr<T>(c_n));
  });
}

void backward(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, const Tensor& out, const Tensor& dout,
              const Tensor& dh_n, const Tensor& dc_n, const RnnGrads& gr) {
  dispatch_float(in.x.dtype(), "rnn", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backward_impl<T>(g, in, ws, cptr<T>(out), cptr<T>(dout), cptr<T>(dh_n), cptr<T>(dc_n), gr);
  });
}

const RnnKernels kRnn{forward, backward};
}  // namespace

const RnnKernels* rnn_kernels() { return &kRnn; }

}  // namespace strata::backend::ref
