// The cpu backend's recurrent layers: the whole time loop of one layer/direction. Forward: xg = x W_ih^T + b_ih
// (+ b_hh except for GRU) as one GEMM over T*B rows; per step one GEMM against W_hh^T packed once per sequence
// (kernels/cpu/gemm.h, PackedB) adds h' W_hh^T to the step's gate block (GRU: into its own buffer with b_hh) and
// one fused kernel (kernels/cpu/rnn_cell.h) applies the gates. Backward: per step (reversed) one fused kernel
// gives the pre-activation gradients and one GEMM (W_hh packed once) takes dh back through W_hh; then dx, dW_ih
// and dW_hh are one GEMM each over all steps.
#include "backend/rnn.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "backend/cpu/families.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/rnn_cell.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

// Sizes of one call; `reverse` maps step s to time index t.
struct Dims3 {
  int64_t T, B, I, H, G;
  bool reverse;
  int64_t time(int64_t s) const { return reverse ? T - 1 - s : s; }
  int64_t prev_time(int64_t t) const { return reverse ? t + 1 : t - 1; }
};

using RNNMode = RnnCell;

// Below this many elements the bias loops stay on the calling thread.
constexpr int64_t kParallelElems = int64_t{1} << 16;

template <class T>
void fill_rows(T* dst, int64_t rows, int64_t n, const T* a, const T* b) {
#pragma omp parallel for schedule(static) if (rows * n >= kParallelElems && !omp_in_parallel())
  for (int64_t r = 0; r < rows; ++r) {
    T* d = dst + r * n;
    for (int64_t j = 0; j < n; ++j) d[j] = (a ? a[j] : T(0)) + (b ? b[j] : T(0));
  }
}

// Column sums. Each thread takes one contiguous range of columns and streams it down the rows (a column-block
// walk with a row stride of 3-4 KiB measured slower than one thread); every sum runs over the rows in order, so
// its bits do not depend on the split.
template <class T>
void col_sums(const T* a, int64_t rows, int64_t n, T* out) {
#pragma omp parallel if (rows * n >= kParallelElems && !omp_in_parallel())
  {
    const int64_t nt = omp_get_num_threads(), i = omp_get_thread_num();
    const int64_t j0 = n * i / nt / 16 * 16, j1 = i + 1 == nt ? n : n * (i + 1) / nt / 16 * 16;
    for (int64_t j = j0; j < j1; ++j) out[j] = T(0);
    for (int64_t r = 0; r < rows; ++r) {
      const T* ar = a + r * n;
      for (int64_t j = j0; j < j1; ++j) out[j] += ar[j];
    }
  }
}

// Batch rows never mix in a recurrence, so each thread takes one contiguous block of rows through the whole
// sequence (its per-step GEMM runs single-threaded inside the region, then its gates): one fork per sequence
// instead of a barrier per step, and the gate kernels are shared out too. A row's bits do not depend on its
// block (gemm_prepacked sums every element in a fixed K order; the cell kernels work row by row), so any thread
// count gives the same results. Small batches stay on the calling thread (the GEMM then threads over N).
template <class F>
void for_row_blocks(int64_t B, F&& fn) {
  constexpr int64_t kMinRows = 8;  // fewer rows per thread: the W_hh stream costs more than the split saves
  const int64_t nt = std::min<int64_t>(omp_get_max_threads(), B / kMinRows);
  if (nt <= 1 || omp_in_parallel()) {
    fn(int64_t{0}, B);
    return;
  }
#pragma omp parallel num_threads(static_cast <int>(nt))
  {
    const int64_t n = omp_get_num_threads(), i = omp_get_thread_num();
    const int64_t b0 = B * i / n, b1 = B * (i + 1) / n;
    if (b1 > b0) fn(b0, b1 - b0);
  }
}

template <class T>
void forward_impl(RNNMode mode, const Dims3& d, const T* x, const T* h0, const T* c0, const T* wih, const T* whh,
                  const T* bih, const T* bhh, const RnnWorkspace& ws, T* out, T* h_n, T* c_n) {
  const int64_t B = d.B, H = d.H, GH = d.G * H, TB = d.T * d.B;
  const bool gru = mode == RNNMode::Gru;
  T* xg = ws.xg.data_ptr<T>();
  const bool has_bias = bih != nullptr;
  if (has_bias) fill_rows<T>(xg, TB, GH, bih, gru ? nullptr : bhh);
  kc::gemm<T>(false, true, TB, GH, d.I, T(1), x, d.I, wih, d.I, has_bias ? T(1) : T(0), xg, GH);
  Tensor hg_t;
  T* hg = nullptr;
  if (gru) {
    hg_t = Tensor::empty({B, GH}, ws.xg.dtype());
    hg = hg_t.data_ptr<T>();
  }
  T* cs = mode == RNNMode::Lstm ? ws.cs.data_ptr<T>() : nullptr;
  T* save = gru ? ws.save.data_ptr<T>() : nullptr;
  const kc::PackedB<T> whh_t(true, H, GH, whh, H);  // W_hh^T, packed once for all T steps
  // Rows b0 .. b0+nb of the batch through all T steps (every pointer below is offset to row b0).
  for_row_blocks(B, [&](int64_t b0, int64_t nb) {
    for (int64_t s = 0; s < d.T; ++s) {
      const int64_t t = d.time(s);
      const T* hp = (s == 0 ? h0 : out + d.prev_time(t) * B * H) + b0 * H;
      T* xg_t = xg + (t * B + b0) * GH;
      T* h_t = out + (t * B + b0) * H;
      switch (mode) {
        case RNNMode::Tanh:
        case RNNMode::Relu:
          kc::gemm_prepacked<T>(false, nb, T(1), hp, H, whh_t, T(1), xg_t, GH);
          for (int64_t b = 0; b < nb; ++b) {  // row by row: a row's bits do not depend on the block it is in
            kc::rnn_cell_forward<T>(xg_t + b * GH, h_t + b * H, 1, H, mode == RNNMode::Relu);
          }
          break;
        case RNNMode::Lstm: {
          kc::gemm_prepacked<T>(false, nb, T(1), hp, H, whh_t, T(1), xg_t, GH);
          const T* cp = (s == 0 ? c0 : cs + d.prev_time(t) * B * H) + b0 * H;
          kc::lstm_cell_forward<T>(xg_t, cp, cs + (t * B + b0) * H, h_t, nb, H);
          break;
        }
        case RNNMode::Gru: {
          T* hg_r = hg + b0 * GH;
          if (has_bias) fill_rows<T>(hg_r, nb, GH, bhh, nullptr);
          kc::gemm_prepacked<T>(false, nb, T(1), hp, H, whh_t, has_bias ? T(1) : T(0), hg_r, GH);
          kc::gru_cell_forward<T>(xg_t, hg_r, hp, save + (t * B + b0) * 4 * H, h_t, nb, H);
          break;
        }
      }
    }
  });
  const int64_t last = d.time(d.T - 1);
  std::memcpy(h_n, out + last * B * H, sizeof(T) * static_cast<size_t>(B * H));
  if (c_n && cs) std::memcpy(c_n, cs + last * B * H, sizeof(T) * static_cast<size_t>(B * H));
}

// Gradients of the inputs (x, h0, c0, w_ih, w_hh, b_ih, b_hh) given those of (output, h_n, c_n).
// Any of dout, dh_n, dc_n may be null (zero); any output pointer may be null (not needed).
template <class T>
void backward_impl(RNNMode mode, const Dims3& d, const T* x, const T* h0, const T* c0, const T* wih, const T* whh,
                   const RnnWorkspace& ws, const T* out, const T* dout, const T* dh_n, const T* dc_n, T* dx, T* dh0,
                   T* dc0, T* dwih, T* dwhh, T* dbih, T* dbhh) {
  const int64_t B = d.B, H = d.H, GH = d.G * H, TB = d.T * d.B, BH = B * H;
  const bool gru = mode == RNNMode::Gru, lstm = mode == RNNMode::Lstm;
  const DType dt = ws.xg.dtype();
  Tensor dgx_t = Tensor::empty({TB, GH}, dt);
  Tensor dgh_t = gru ? Tensor::empty({TB, GH}, dt) : dgx_t;
  Tensor state = Tensor::empty({4, B, H}, dt);  // dh, dc, and GRU's second dh buffer
  T* dgx = dgx_t.data_ptr<T>();
  T* dgh = dgh_t.data_ptr<T>();
  const T* gates = ws.xg.data_ptr<T>();
  const T* cs = lstm ? ws.cs.data_ptr<T>() : nullptr;
  const T* save = gru ? ws.save.data_ptr<T>() : nullptr;
  const kc::PackedB<T> whh_p(false, GH, H, whh, H);  // W_hh, packed once for all T steps
  // Rows b0 .. b0+nb of the batch back through all T steps; dh, dc, dh_alt are this block's rows.
  for_row_blocks(B, [&](int64_t b0, int64_t nb) {
    const int64_t nbh = nb * H;
    T* dh = state.data_ptr<T>() + b0 * H;
    T* dc = dh + BH;
    T* dh_alt = dc + BH;
    for (int64_t k = 0; k < nbh; ++k) {
      dh[k] = dh_n ? dh_n[b0 * H + k] : T(0);
      dc[k] = dc_n ? dc_n[b0 * H + k] : T(0);
    }
    for (int64_t s = d.T - 1; s >= 0; --s) {
      const int64_t t = d.time(s);
      if (dout) {
        const T* g = dout + (t * B + b0) * H;
        for (int64_t k = 0; k < nbh; ++k) dh[k] += g[k];
      }
      T* dgx_s = dgx + (t * B + b0) * GH;
      switch (mode) {
        case RNNMode::Tanh:
        case RNNMode::Relu:
          for (int64_t b = 0; b < nb; ++b) {
            kc::rnn_cell_backward<T>(out + (t * B + b0 + b) * H, dh + b * H, dgx_s + b * GH, 1, H,
                                     mode == RNNMode::Relu);
          }
          kc::gemm_prepacked<T>(false, nb, T(1), dgx_s, GH, whh_p, T(0), dh, H);
          break;
        case RNNMode::Lstm: {
          const T* cp = (s == 0 ? c0 : cs + d.prev_time(t) * BH) + b0 * H;
          kc::lstm_cell_backward<T>(gates + (t * B + b0) * GH, cs + (t * B + b0) * H, cp, dh, dc, dgx_s, nb, H);
          kc::gemm_prepacked<T>(false, nb, T(1), dgx_s, GH, whh_p, T(0), dh, H);
          break;
        }
        case RNNMode::Gru: {
          const T* hp = (s == 0 ? h0 : out + d.prev_time(t) * BH) + b0 * H;
          T* dgh_s = dgh + (t * B + b0) * GH;
          kc::gru_cell_backward<T>(save + (t * B + b0) * 4 * H, hp, dh, dgx_s, dgh_s, dh_alt, nb, H);
          kc::gemm_prepacked<T>(false, nb, T(1), dgh_s, GH, whh_p, T(1), dh_alt, H);
          std::swap(dh, dh_alt);
          break;
        }
      }
    }
    if (dh0) std::memcpy(dh0 + b0 * H, dh, sizeof(T) * static_cast<size_t>(nbh));
    if (dc0 && lstm) std::memcpy(dc0 + b0 * H, dc, sizeof(T) * static_cast<size_t>(nbh));
  });
  if (dx) kc::gemm<T>(false, false, TB, d.I, GH, T(1), dgx, GH, wih, d.I, T(0), dx, d.I);
  if (dwih) kc::gemm<T>(true, false, GH, d.I, TB, T(1), dgx, GH, x, d.I, T(0), dwih, d.I);
  if (dwhh) {
    // The step fed by h0 (t = 0 forward, T-1 reverse), then the others, whose h' are T-1 rows of `out`.
    const int64_t t0 = d.time(0);
    kc::gemm<T>(true, false, GH, H, B, T(1), dgh + t0 * B * GH, GH, h0, H, T(0), dwhh, H);
    if (d.T > 1) {
      const T* dg_rest = d.reverse ? dgh : dgh + B * GH;
      const T* h_rest = d.reverse ? out + BH : out;
      kc::gemm<T>(true, false, GH, H, (d.T - 1) * B, T(1), dg_rest, GH, h_rest, H, T(1), dwhh, H);
    }
  }
  if (dbih) col_sums<T>(dgx, TB, GH, dbih);
  if (dbhh) col_sums<T>(dgh, TB, GH, dbhh);
}

template <class T>
const T* cptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}
template <class T>
T* mptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

Dims3 dims_of(const RnnGeometry& g) { return {g.T, g.B, g.I, g.H, g.G, g.reverse}; }

void forward(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, const Tensor& out, const Tensor& h_n,
             const Tensor& c_n) {
  dispatch_float(in.x.dtype(), "rnn", [&](auto tag) {
    using T = typename decltype(tag)::type;
    forward_impl<T>(g.cell, dims_of(g), cptr<T>(in.x), cptr<T>(in.h0), cptr<T>(in.c0), cptr<T>(in.w_ih),
                    cptr<T>(in.w_hh), cptr<T>(in.b_ih), cptr<T>(in.b_hh), ws, mptr<T>(out), mptr<T>(h_n), mptr<T>(c_n));
  });
}

void backward(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, const Tensor& out, const Tensor& dout,
              const Tensor& dh_n, const Tensor& dc_n, const RnnGrads& gr) {
  dispatch_float(in.x.dtype(), "rnn", [&](auto tag) {
    using T = typename decltype(tag)::type;
    backward_impl<T>(g.cell, dims_of(g), cptr<T>(in.x), cptr<T>(in.h0), cptr<T>(in.c0), cptr<T>(in.w_ih),
                     cptr<T>(in.w_hh), ws, cptr<T>(out), cptr<T>(dout), cptr<T>(dh_n), cptr<T>(dc_n), mptr<T>(gr.x),
                     mptr<T>(gr.h0), mptr<T>(gr.c0), mptr<T>(gr.w_ih), mptr<T>(gr.w_hh), mptr<T>(gr.b_ih),
                     mptr<T>(gr.b_hh));
  });
}

const RnnKernels kRnn{forward, backward};
}  // namespace

const RnnKernels* rnn_kernels() { return &kRnn; }

}  // namespace strata::backend::cpu
