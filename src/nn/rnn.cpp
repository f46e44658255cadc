// RNN, LSTM, GRU and their cells: argument checks, PyTorch's parameter layout, and the loop over layers and
// directions; the recurrence itself is the fused op strata::rnn_layer (src/ops/rnn.cpp).
#include "strata/nn/rnn.h"

#include <cmath>
#include <sstream>

#include "strata/core/error.h"
#include "strata/nn/init.h"
#include "strata/ops/creation.h"
#include "strata/ops/indexing.h"
#include "strata/ops/normalization.h"

namespace strata::nn {

namespace {

RNNMode rnn_mode_from(const std::string& nonlinearity, const char* layer) {
  if (nonlinearity == "tanh") return RNNMode::RNNTanh;
  if (nonlinearity == "relu") return RNNMode::RNNRelu;
  STRATA_FAIL("[", layer, "] unknown nonlinearity '", nonlinearity, "' (expected 'tanh' or 'relu')");
}

void check_sizes(const char* layer, int64_t input_size, int64_t hidden_size, DType dtype) {
  STRATA_CHECK(input_size > 0 && hidden_size > 0, "[", layer,
               "] input_size and hidden_size must be positive, got input_size=", input_size,
               ", hidden_size=", hidden_size);
  STRATA_CHECK(is_floating(dtype), "[", layer, "] dtype must be a float type, got ", dtype);
}

void init_uniform(Module& m, int64_t hidden_size, Generator* gen) {
  const double k = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (Tensor p : m.parameters()) init::uniform_(p, -k, k, gen);
}

}  // namespace

// ---- RNNBase ----

RNNBase::RNNBase(RNNMode mode, int64_t input_size, int64_t hidden_size, RNNOptions opts)
    : mode_(mode), input_size_(input_size), hidden_size_(hidden_size), opts_(std::move(opts)) {
  const std::string nm = mode == RNNMode::LSTM ? "LSTM" : mode == RNNMode::GRU ? "GRU" : "RNN";
  check_sizes(nm.c_str(), input_size, hidden_size, opts_.dtype);
  STRATA_CHECK(opts_.num_layers >= 1, "[", nm, "] num_layers must be at least 1, got ", opts_.num_layers);
  STRATA_CHECK(opts_.dropout >= 0 && opts_.dropout <= 1, "[", nm, "] dropout must be in [0, 1], got ", opts_.dropout);
  const int64_t G = rnn_gate_count(mode), D = opts_.bidirectional ? 2 : 1, H = hidden_size;
  const TensorOptions to(opts_.dtype);
  for (int64_t l = 0; l < opts_.num_layers; ++l) {
    for (int64_t dir = 0; dir < D; ++dir) {
      const std::string sfx = "_l" + std::to_string(l) + (dir == 1 ? "_reverse" : "");
      const int64_t in = l == 0 ? input_size : H * D;
      Slot s;
      s.w_ih = register_parameter("weight_ih" + sfx, empty({G * H, in}, to));
      s.w_hh = register_parameter("weight_hh" + sfx, empty({G * H, H}, to));
      if (opts_.bias) {
        s.b_ih = register_parameter("bias_ih" + sfx, empty({G * H}, to));
        s.b_hh = register_parameter("bias_hh" + sfx, empty({G * H}, to));
      }
      slots_.push_back(s);
    }
  }
  reset_parameters(opts_.gen);
}

void RNNBase::reset_parameters(Generator* gen) { init_uniform(*this, hidden_size_, gen); }

const RNNBase::Slot& RNNBase::slot(int64_t layer, int64_t direction) const {
  const int64_t D = opts_.bidirectional ? 2 : 1;
  STRATA_CHECK(layer >= 0 && layer < opts_.num_layers && direction >= 0 && direction < D, "[", type_name(),
               "] no parameters for layer ", layer, " direction ", direction, " (num_layers=", opts_.num_layers,
               ", bidirectional=", opts_.bidirectional ? "True" : "False", ")");
  return slots_[static_cast<size_t>(layer * D + direction)];
}

std::string RNNBase::extra_repr() const {
  std::ostringstream os;
  os << input_size_ << ", " << hidden_size_;
  if (opts_.num_layers != 1) os << ", num_layers=" << opts_.num_layers;
  if (mode_ == RNNMode::RNNRelu) os << ", nonlinearity=relu";
  if (!opts_.bias) os << ", bias=False";
  if (opts_.batch_first) os << ", batch_first=True";
  if (opts_.dropout != 0) os << ", dropout=" << opts_.dropout;
  if (opts_.bidirectional) os << ", bidirectional=True";
  return os.str();
}

Tensor RNNBase::forward(const Tensor& x) { return run(x, Tensor(), Tensor()).output; }

LSTMOutput RNNBase::run(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  const std::string nm = type_name();
  const bool lstm = mode_ == RNNMode::LSTM;
  const int64_t L = opts_.num_layers, D = opts_.bidirectional ? 2 : 1, H = hidden_size_;
  STRATA_CHECK(x.defined(), "[", nm, "] undefined input");
  STRATA_CHECK((x.dim() == 2 || x.dim() == 3) && x.size(-1) == input_size_, "[", nm, "] expected input of shape ",
               opts_.batch_first ? "(B, T, " : "(T, B, ", input_size_, ") or unbatched (T, ", input_size_, "), got ",
               x.shape());
  STRATA_CHECK(x.dtype() == opts_.dtype, "[", nm, "] input has dtype ", x.dtype(), " but the parameters have ",
               opts_.dtype);
  const bool unbatched = x.dim() == 2;
  Tensor xs = unbatched ? x.unsqueeze(1) : (opts_.batch_first ? x.transpose(0, 1) : x);
  const int64_t B = xs.size(1);
  const Shape hshape = unbatched ? Shape{L * D, H} : Shape{L * D, B, H};
  auto state = [&](const Tensor& s, const char* what) {
    if (!s.defined()) return zeros({L * D, B, H}, TensorOptions(opts_.dtype).with_device(x.device()));
    STRATA_CHECK(s.shape() == hshape, "[", nm, "] expected ", what, " of shape ", hshape, ", got ", s.shape(),
                 " (input ", x.shape(), ")");
    STRATA_CHECK(s.dtype() == opts_.dtype, "[", nm, "] ", what, " has dtype ", s.dtype(), " but the parameters have ",
                 opts_.dtype);
    return unbatched ? s.unsqueeze(1) : s;
  };
  Tensor h0s = state(h0, "h0");
  Tensor c0s = lstm ? state(c0, "c0") : Tensor();
  STRATA_CHECK(lstm || !c0.defined(), "[", nm, "] c0 is only for LSTM");

  TensorList hs, cs;
  Tensor layer_in = xs;
  for (int64_t l = 0; l < L; ++l) {
    TensorList outs;
    for (int64_t dir = 0; dir < D; ++dir) {
      const int64_t k = l * D + dir;
      const Slot& s = slots_[static_cast<size_t>(k)];
      RNNLayerResult r = rnn_layer(mode_, layer_in, h0s.select(0, k), lstm ? c0s.select(0, k) : Tensor(), s.w_ih,
                                   s.w_hh, s.b_ih, s.b_hh, dir == 1);
      outs.push_back(r.output);
      hs.push_back(r.h_n);
      if (lstm) cs.push_back(r.c_n);
    }
    layer_in = D == 2 ? cat(outs, 2) : outs[0];
    if (l + 1 < L && opts_.dropout > 0 && is_training()) layer_in = dropout(layer_in, opts_.dropout, true, opts_.gen);
  }
  LSTMOutput res;
  res.output = unbatched ? layer_in.squeeze(1) : (opts_.batch_first ? layer_in.transpose(0, 1) : layer_in);
  res.h_n = stack(hs, 0);
  if (lstm) res.c_n = stack(cs, 0);
  if (unbatched) {
    res.h_n = res.h_n.squeeze(1);
    if (lstm) res.c_n = res.c_n.squeeze(1);
  }
  return res;
}

RNN::RNN(int64_t input_size, int64_t hidden_size, const RNNOptions& opts)
    : RNNBase(rnn_mode_from(opts.nonlinearity, "RNN"), input_size, hidden_size, opts) {}

RNNOutput RNN::forward(const Tensor& x, const Tensor& h0) {
  LSTMOutput r = run(x, h0, Tensor());
  return {r.output, r.h_n};
}

LSTM::LSTM(int64_t input_size, int64_t hidden_size, RNNOptions opts)
    : RNNBase(RNNMode::LSTM, input_size, hidden_size, std::move(opts)) {}

LSTMOutput LSTM::forward(const Tensor& x, const Tensor& h0, const Tensor& c0) { return run(x, h0, c0); }

GRU::GRU(int64_t input_size, int64_t hidden_size, RNNOptions opts)
    : RNNBase(RNNMode::GRU, input_size, hidden_size, std::move(opts)) {}

RNNOutput GRU::forward(const Tensor& x, const Tensor& h0) {
  LSTMOutput r = run(x, h0, Tensor());
  return {r.output, r.h_n};
}

// ---- Cells ----

RNNCellBase::RNNCellBase(RNNMode mode, int64_t input_size, int64_t hidden_size, bool bias, DType dtype, Generator* gen)
    : mode_(mode), input_size_(input_size), hidden_size_(hidden_size) {
  const char* nm = mode == RNNMode::LSTM ? "LSTMCell" : mode == RNNMode::GRU ? "GRUCell" : "RNNCell";
  check_sizes(nm, input_size, hidden_size, dtype);
  const int64_t GH = rnn_gate_count(mode) * hidden_size;
  const TensorOptions to(dtype);
  weight_ih = register_parameter("weight_ih", empty({GH, input_size}, to));
  weight_hh = register_parameter("weight_hh", empty({GH, hidden_size}, to));
  if (bias) {
    bias_ih = register_parameter("bias_ih", empty({GH}, to));
    bias_hh = register_parameter("bias_hh", empty({GH}, to));
  }
  reset_parameters(gen);
}

void RNNCellBase::reset_parameters(Generator* gen) { init_uniform(*this, hidden_size_, gen); }

std::string RNNCellBase::extra_repr() const {
  std::string s = std::to_string(input_size_) + ", " + std::to_string(hidden_size_);
  if (!bias_ih.defined()) s += ", bias=False";
  if (mode_ == RNNMode::RNNRelu) s += ", nonlinearity=relu";
  return s;
}

std::pair<Tensor, Tensor> RNNCellBase::step(const Tensor& x, const Tensor& h, const Tensor& c) {
  const std::string nm = type_name();
  const int64_t H = hidden_size_;
  STRATA_CHECK(x.defined(), "[", nm, "] undefined input");
  STRATA_CHECK((x.dim() == 1 || x.dim() == 2) && x.size(-1) == input_size_, "[", nm, "] expected input of shape (B, ",
               input_size_, ") or (", input_size_, "), got ", x.shape());
  STRATA_CHECK(x.dtype() == weight_ih.dtype(), "[", nm, "] input has dtype ", x.dtype(), " but the parameters have ",
               weight_ih.dtype());
  const bool unbatched = x.dim() == 1;
  const int64_t B = unbatched ? 1 : x.size(0);
  const Shape hshape = unbatched ? Shape{H} : Shape{B, H};
  auto state = [&](const Tensor& s, const char* what) {
    if (!s.defined()) return zeros({B, H}, TensorOptions(x.dtype()).with_device(x.device()));
    STRATA_CHECK(s.shape() == hshape, "[", nm, "] expected ", what, " of shape ", hshape, ", got ", s.shape(),
                 " (input ", x.shape(), ")");
    STRATA_CHECK(s.dtype() == x.dtype(), "[", nm, "] ", what, " has dtype ", s.dtype(), " but the input has ",
                 x.dtype());
    return unbatched ? s.unsqueeze(0) : s;
  };
  const bool lstm = mode_ == RNNMode::LSTM;
  Tensor hb = state(h, "h");
  Tensor cb = lstm ? state(c, "c") : Tensor();
  Tensor xb = (unbatched ? x.unsqueeze(0) : x).unsqueeze(0);  // (1, B, I)
  RNNLayerResult r = rnn_layer(mode_, xb, hb, cb, weight_ih, weight_hh, bias_ih, bias_hh, false);
  if (unbatched) return {r.h_n.squeeze(0), lstm ? r.c_n.squeeze(0) : Tensor()};
  return {r.h_n, r.c_n};
}

RNNCell::RNNCell(int64_t input_size, int64_t hidden_size, bool bias, const std::string& nonlinearity, DType dtype,
                 Generator* gen)
    : RNNCellBase(rnn_mode_from(nonlinearity, "RNNCell"), input_size, hidden_size, bias, dtype, gen) {}

Tensor RNNCell::forward(const Tensor& x, const Tensor& h) { return step(x, h, Tensor()).first; }

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, bool bias, DType dtype, Generator* gen)
    : RNNCellBase(RNNMode::LSTM, input_size, hidden_size, bias, dtype, gen) {}

LSTMCellOutput LSTMCell::forward(const Tensor& x, const Tensor& h, const Tensor& c) {
  auto [hn, cn] = step(x, h, c);
  return {hn, cn};
}

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, bool bias, DType dtype, Generator* gen)
    : RNNCellBase(RNNMode::GRU, input_size, hidden_size, bias, dtype, gen) {}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h) { return step(x, h, Tensor()).first; }

}  // namespace strata::nn
