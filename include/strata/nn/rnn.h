#pragma once
// Recurrent layers as PyTorch 1.13 defines them: RNN (tanh or relu), LSTM and GRU over sequences, and the
// single-step cells RNNCell, LSTMCell and GRUCell. Parameter names, shapes, gate orders and the default
// initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) match PyTorch, so its state_dicts load as they
// are. Each (layer, direction) runs as one fused op (strata::rnn_layer, ops/rnn.h); see docs/rnn.md.
//
// Shapes (L = num_layers, D = 2 if bidirectional else 1, H = hidden_size):
//   input  (T, B, input_size), or (B, T, input_size) with batch_first, or unbatched (T, input_size)
//   h0, c0 (L*D, B, H), or (L*D, H) for unbatched input; undefined means zeros
//   output (T, B, D*H) (batch_first: (B, T, D*H)); h_n, c_n (L*D, B, H)
#include <string>
#include <vector>

#include "strata/core/generator.h"
#include "strata/nn/module.h"
#include "strata/ops/rnn.h"

namespace strata::nn {

// Constructor options, e.g. LSTM(64, 256, {.num_layers = 2, .dropout = 0.1, .batch_first = true}).
struct RNNOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;  // on the outputs of every layer but the last, in training mode
  bool bidirectional = false;
  std::string nonlinearity = "tanh";  // RNN only: "tanh" or "relu"
  DType dtype = kFloat32;
  Generator* gen = nullptr;  // for the initialisation and the dropout masks
};

struct RNNOutput {
  Tensor output;  // (T, B, D*H)
  Tensor h_n;     // (L*D, B, H)
};

struct LSTMOutput {
  Tensor output;  // (T, B, D*H)
  Tensor h_n;     // (L*D, B, H)
  Tensor c_n;     // (L*D, B, H)
};

// Shared by RNN, LSTM and GRU. forward(x) returns the output sequence from zero initial states, so that
// these layers fit in a Sequential.
class RNNBase : public Module {
 public:
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Generator* gen = nullptr);

  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  const RNNOptions& options() const { return opts_; }
  RNNMode mode() const { return mode_; }

  // The parameters of (layer, direction) (direction 1 = reverse); biases undefined without bias.
  const Tensor& weight_ih(int64_t layer, int64_t direction = 0) const { return slot(layer, direction).w_ih; }
  const Tensor& weight_hh(int64_t layer, int64_t direction = 0) const { return slot(layer, direction).w_hh; }
  const Tensor& bias_ih(int64_t layer, int64_t direction = 0) const { return slot(layer, direction).b_ih; }
  const Tensor& bias_hh(int64_t layer, int64_t direction = 0) const { return slot(layer, direction).b_hh; }

 protected:
  RNNBase(RNNMode mode, int64_t input_size, int64_t hidden_size, RNNOptions opts);
  // Runs every layer and direction; c0 only for LSTM. Returns output, h_n, c_n.
  LSTMOutput run(const Tensor& x, const Tensor& h0, const Tensor& c0);

 private:
  struct Slot {
    Tensor w_ih, w_hh, b_ih, b_hh;  // handles of the registered parameters
  };
  const Slot& slot(int64_t layer, int64_t direction) const;
  RNNMode mode_;
  int64_t input_size_, hidden_size_;
  RNNOptions opts_;
  std::vector<Slot> slots_;  // layer * D + direction
};

class RNN : public RNNBase {
 public:
  RNN(int64_t input_size, int64_t hidden_size, RNNOptions opts = {});
  std::string type_name() const override { return "RNN"; }
  using RNNBase::forward;
  RNNOutput forward(const Tensor& x, const Tensor& h0);
};

class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, RNNOptions opts = {});
  std::string type_name() const override { return "LSTM"; }
  using RNNBase::forward;
  LSTMOutput forward(const Tensor& x, const Tensor& h0, const Tensor& c0);
};

class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, RNNOptions opts = {});
  std::string type_name() const override { return "GRU"; }
  using RNNBase::forward;
  RNNOutput forward(const Tensor& x, const Tensor& h0);
};

// ---- Cells: one time step. x: (B, input_size) or (input_size); h, c: (B, H) or (H); undefined = zeros. ----

class RNNCellBase : public Module {
 public:
  std::string extra_repr() const override;
  void reset_parameters(Generator* gen = nullptr);
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }

  Tensor weight_ih;  // (G*H, input_size)
  Tensor weight_hh;  // (G*H, H)
  Tensor bias_ih;    // (G*H), undefined without bias
  Tensor bias_hh;    // (G*H)

 protected:
  RNNCellBase(RNNMode mode, int64_t input_size, int64_t hidden_size, bool bias, DType dtype, Generator* gen);
  // Runs one step; returns (h', c') (c' only for LSTM).
  std::pair<Tensor, Tensor> step(const Tensor& x, const Tensor& h, const Tensor& c);
  RNNMode mode_;

 private:
  int64_t input_size_, hidden_size_;
};

class RNNCell : public RNNCellBase {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, bool bias = true, const std::string& nonlinearity = "tanh",
          DType dtype = kFloat32, Generator* gen = nullptr);
  std::string type_name() const override { return "RNNCell"; }
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  Tensor forward(const Tensor& x, const Tensor& h);
};

struct LSTMCellOutput {
  Tensor h;  // (B, H)
  Tensor c;  // (B, H)
};

class LSTMCell : public RNNCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true, DType dtype = kFloat32, Generator* gen = nullptr);
  std::string type_name() const override { return "LSTMCell"; }
  Tensor forward(const Tensor& x) override { return forward(x, Tensor(), Tensor()).h; }
  LSTMCellOutput forward(const Tensor& x, const Tensor& h, const Tensor& c);
};

class GRUCell : public RNNCellBase {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true, DType dtype = kFloat32, Generator* gen = nullptr);
  std::string type_name() const override { return "GRUCell"; }
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  Tensor forward(const Tensor& x, const Tensor& h);
};

}  // namespace strata::nn
