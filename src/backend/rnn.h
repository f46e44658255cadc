#pragma once
// Kernel family: recurrent layers. One fused layer/direction over a whole sequence, forward and backward
// through time (the time loop lives in the backend: it is one GEMM and one cell kernel per step).
// Tensors passed in live on the backend's device, are contiguous and have one dtype (float32 or float64).
#include <cstdint>

#include "backend/backend.h"

namespace strata::backend {

enum class RnnCell : uint8_t { Tanh, Relu, Lstm, Gru };

struct RnnGeometry {
  RnnCell cell = RnnCell::Tanh;
  int64_t T = 0, B = 0, I = 0, H = 0;
  int64_t G = 1;         // gates: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n)
  bool reverse = false;  // step s reads time T - 1 - s
};

// The layer's inputs: x (T, B, I), h0 (B, H), c0 (B, H) (LSTM only, else undefined), w_ih (G*H, I),
// w_hh (G*H, H), b_ih and b_hh (G*H) (both defined or both undefined).
struct RnnInputs {
  Tensor x, h0, c0, w_ih, w_hh, b_ih, b_hh;
};

// What the forward keeps for backward, allocated by the op: xg (T, B, G*H) (pre-activations in; for LSTM
// the activated gates afterwards); cs (T, B, H) the LSTM cell states; save (T, B, 4H) GRU's r, z, n and
// W_hn h' + b_hn. Undefined where the cell has none.
struct RnnWorkspace {
  Tensor xg, cs, save;
};

// Gradients of the inputs, allocated by the op with the inputs' shapes; undefined where not wanted.
struct RnnGrads {
  Tensor x, h0, c0, w_ih, w_hh, b_ih, b_hh;
};

struct RnnKernels {
  // Fills ws, out (T, B, H), h_n (B, H) and c_n (B, H; LSTM only, else undefined).
  void (*forward)(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, const Tensor& out,
                  const Tensor& h_n, const Tensor& c_n);
  // From the gradients of (out, h_n, c_n) (each may be undefined: zero), the forward's ws and out.
  void (*backward)(const RnnGeometry& g, const RnnInputs& in, const RnnWorkspace& ws, const Tensor& out,
                   const Tensor& dout, const Tensor& dh_n, const Tensor& dc_n, const RnnGrads& grads);
};

}  // namespace strata::backend
