#pragma once
// One recurrent layer in one direction over a whole sequence, fused (the op behind nn::RNN, nn::LSTM,
// nn::GRU and their cells). Forward: one GEMM projects every time step's input onto all gates, then each
// step makes one GEMM for the hidden projection of all gates and one fused gate kernel. Autograd records a
// single node for the whole sequence; its backward walks the steps in reverse (one GEMM per step for dh)
// and forms dW_ih, dW_hh and dx with one GEMM each over all steps. Not twice differentiable.
#include "strata/core/tensor.h"

namespace strata {

enum class RNNMode { kRNNTanh, kRNNRelu, kLSTM, kGRU };

// Gates per mode: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
int64_t rnn_gate_count(RNNMode mode);

struct RNNLayerResult {
  Tensor output;  // (T, B, H): h_t for every step, in time order (also for reverse)
  Tensor h_n;     // (B, H): the last state computed (h_{T-1}, or h_0 of the sequence for reverse)
  Tensor c_n;     // (B, H): LSTM only
};

// x: (T, B, I) with T >= 1; h0: (B, H); c0: (B, H) for LSTM, else undefined.
// w_ih: (G*H, I), w_hh: (G*H, H), b_ih / b_hh: (G*H) or both undefined. reverse runs t = T-1 down to 0.
// float32 or float64, all of one dtype.
RNNLayerResult rnn_layer(RNNMode mode, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                         const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, bool reverse = false);

}  // namespace strata
