#pragma once
// Recurrent layers with a single-tensor forward over batch-first sequences, for layer lists (nn::Sequential,
// the `strata` CLI's model configs). Each is nn::RNN / LSTM / GRU with batch_first = true, so the parameters
// and state_dict keys stay PyTorch's (weight_ih_l0, weight_hh_l0_reverse, ...), and forward(x) returns:
//
//   return_sequences = true:   output (N, T, D*H), the underlying layer's output unchanged
//   return_sequences = false:  (N, D*H): output[:, T-1, 0:H] (the forward direction's last step) and, when
//                              bidirectional, output[:, 0, H:2H] (the backward direction's last step, which is
//                              time 0), joined; this equals torch.cat([h_n[-2], h_n[-1]], 1) of the last layer.
//                              Note that PyTorch's output[:, -1] differs in the backward half: it is the
//                              backward direction after one step only.
//
// x: (N, T, input_size). Initial states are zeros. D = 2 if bidirectional else 1, H = hidden_size.
#include "strata/nn/rnn.h"

namespace strata::nn {

// The (N, D*H) summary above of a batch-first output sequence (N, T, D*H).
Tensor last_time_step(const Tensor& output, int64_t hidden_size, bool bidirectional);

class RNNSequence : public RNN {
 public:
  // opts.batch_first is forced to true.
  RNNSequence(int64_t input_size, int64_t hidden_size, RNNOptions opts = {}, bool return_sequences = false);
  std::string extra_repr() const override;
  using RNN::forward;
  Tensor forward(const Tensor& x) override;
  bool return_sequences() const { return return_sequences_; }

 private:
  bool return_sequences_;
};

class LSTMSequence : public LSTM {
 public:
  LSTMSequence(int64_t input_size, int64_t hidden_size, RNNOptions opts = {}, bool return_sequences = false);
  std::string extra_repr() const override;
  using LSTM::forward;
  Tensor forward(const Tensor& x) override;
  bool return_sequences() const { return return_sequences_; }

 private:
  bool return_sequences_;
};

class GRUSequence : public GRU {
 public:
  GRUSequence(int64_t input_size, int64_t hidden_size, RNNOptions opts = {}, bool return_sequences = false);
  std::string extra_repr() const override;
  using GRU::forward;
  Tensor forward(const Tensor& x) override;
  bool return_sequences() const { return return_sequences_; }

 private:
  bool return_sequences_;
};

}  // namespace strata::nn
