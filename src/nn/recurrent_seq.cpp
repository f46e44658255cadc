// RNNSequence, LSTMSequence, GRUSequence: batch-first recurrent layers whose forward(x) returns one tensor.
#include "strata/nn/recurrent_seq.h"

#include "strata/core/error.h"
#include "strata/ops/indexing.h"

namespace strata::nn {

namespace {

RNNOptions batch_first(RNNOptions o) {
  o.batch_first = true;
  return o;
}

std::string repr_with(std::string base, bool return_sequences) {
  return base + ", return_sequences=" + (return_sequences ? "True" : "False");
}

Tensor sequence_forward(RNNBase& m, const Tensor& x, bool return_sequences) {
  STRATA_CHECK(x.defined() && x.dim() == 3, "[", m.type_name(), "] expected a batch-first input (N, T, ",
               m.input_size(), "), got ", x.defined() ? x.shape() : Shape{});
  Tensor out = m.RNNBase::forward(x);  // (N, T, D*H)
  if (return_sequences) return out;
  return last_time_step(out, m.hidden_size(), m.options().bidirectional);
}

}  // namespace

Tensor last_time_step(const Tensor& output, int64_t hidden_size, bool bidirectional) {
  const int64_t D = bidirectional ? 2 : 1;
  STRATA_CHECK(output.dim() == 3 && output.size(1) >= 1 && output.size(2) == D * hidden_size,
               "[last_time_step] expected an output sequence (N, T, ", D * hidden_size, "), got ", output.shape());
  const int64_t T = output.size(1);
  Tensor fwd = output.select(1, T - 1);
  if (!bidirectional) return fwd;
  // Forward direction after the whole sequence is at t = T-1; the backward direction's is at t = 0.
  return cat({fwd.narrow(1, 0, hidden_size), output.select(1, 0).narrow(1, hidden_size, hidden_size)}, 1);
}

RNNSequence::RNNSequence(int64_t input_size, int64_t hidden_size, RNNOptions opts, bool return_sequences)
    : RNN(input_size, hidden_size, batch_first(std::move(opts))), return_sequences_(return_sequences) {}
std::string RNNSequence::extra_repr() const { return repr_with(RNN::extra_repr(), return_sequences_); }
Tensor RNNSequence::forward(const Tensor& x) { return sequence_forward(*this, x, return_sequences_); }

LSTMSequence::LSTMSequence(int64_t input_size, int64_t hidden_size, RNNOptions opts, bool return_sequences)
    : LSTM(input_size, hidden_size, batch_first(std::move(opts))), return_sequences_(return_sequences) {}
std::string LSTMSequence::extra_repr() const { return repr_with(LSTM::extra_repr(), return_sequences_); }
Tensor LSTMSequence::forward(const Tensor& x) { return sequence_forward(*this, x, return_sequences_); }

GRUSequence::GRUSequence(int64_t input_size, int64_t hidden_size, RNNOptions opts, bool return_sequences)
    : GRU(input_size, hidden_size, batch_first(std::move(opts))), return_sequences_(return_sequences) {}
std::string GRUSequence::extra_repr() const { return repr_with(GRU::extra_repr(), return_sequences_); }
Tensor GRUSequence::forward(const Tensor& x) { return sequence_forward(*this, x, return_sequences_); }

}  // namespace strata::nn
