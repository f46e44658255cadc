// rnn_layer: one fused recurrent layer/direction over a whole sequence, forward and backward through time. The op
// checks shapes, allocates the outputs and the workspace the backward reads, and records autograd; the time loop
// (one GEMM and one fused cell kernel per step) is the rnn family's (src/backend/<device>/rnn.cpp).
#include "strata/ops/rnn.h"

#include "backend/rnn.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/autograd/node.h"
#include "strata/core/error.h"
#include "strata/ops/views.h"

namespace strata {

int64_t rnn_gate_count(RNNMode mode) {
  switch (mode) {
    case RNNMode::LSTM: return 4;
    case RNNMode::GRU: return 3;
    default: return 1;
  }
}

namespace {

const char* mode_name(RNNMode mode) {
  switch (mode) {
    case RNNMode::RNNTanh: return "rnn_tanh";
    case RNNMode::RNNRelu: return "rnn_relu";
    case RNNMode::LSTM: return "lstm";
    default: return "gru";
  }
}

void check_shape(const char* op, const char* what, const Tensor& t, const Shape& want, const Tensor& x) {
  STRATA_CHECK(t.defined(), "[", op, "] ", what, " is undefined (input ", x.shape(), ")");
  STRATA_CHECK(t.shape() == want, "[", op, "] expected ", what, " of shape ", want, ", got ", t.shape(), " (input ",
               x.shape(), ")");
  STRATA_CHECK(t.dtype() == x.dtype(), "[", op, "] ", what, " has dtype ", t.dtype(), " but the input has ", x.dtype());
}

backend::RnnCell cell_of(RNNMode mode) {
  switch (mode) {
    case RNNMode::RNNTanh: return backend::RnnCell::Tanh;
    case RNNMode::RNNRelu: return backend::RnnCell::Relu;
    case RNNMode::LSTM: return backend::RnnCell::Lstm;
    default: return backend::RnnCell::Gru;
  }
}

}  // namespace

RNNLayerResult rnn_layer(RNNMode mode, const Tensor& x_in, const Tensor& h0_in, const Tensor& c0_in,
                         const Tensor& w_ih_in, const Tensor& w_hh_in, const Tensor& b_ih_in, const Tensor& b_hh_in,
                         bool reverse) {
  const char* op = mode_name(mode);
  Tensor x = x_in, h0 = h0_in, c0 = c0_in, w_ih = w_ih_in, w_hh = w_hh_in, b_ih = b_ih_in, b_hh = b_hh_in;
  const Device dev = backend::place(op, {&x, &h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh});
  auto low = [](const Tensor& t) { return t.defined() && is_low_float(t.dtype()); };
  if (low(x) || low(h0) || low(c0) || low(w_ih) || low(w_hh) || low(b_ih) || low(b_hh)) {
    // 16-bit operands: the fused cells run in float32; the results come back in the first 16-bit dtype.
    const DType lt = low(x) ? x.dtype() : low(w_ih) ? w_ih.dtype() : low(h0) ? h0.dtype() : w_hh.dtype();
    auto up = [&](const Tensor& t) { return low(t) ? to_dtype(t, kFloat32) : t; };
    RNNLayerResult r = rnn_layer(mode, up(x), up(h0), up(c0), up(w_ih), up(w_hh), up(b_ih), up(b_hh), reverse);
    auto back = [&](const Tensor& t) { return t.defined() ? to_dtype(t, lt) : t; };
    return {back(r.output), back(r.h_n), back(r.c_n)};
  }
  STRATA_CHECK(x.defined() && x.dim() == 3, "[", op, "] expected input of shape (T, B, I), got ",
               x.defined() ? x.shape() : Shape{});
  STRATA_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64, "[", op, "] expected float32 or float64, got ",
               x.dtype());
  const int64_t G = rnn_gate_count(mode);
  STRATA_CHECK(w_hh.defined() && w_hh.dim() == 2 && w_hh.size(0) % G == 0, "[", op, "] weight_hh must have shape (", G,
               "*H, H), got ", w_hh.defined() ? w_hh.shape() : Shape{});
  const backend::RnnGeometry d{cell_of(mode), x.size(0), x.size(1), x.size(2), w_hh.size(1), G, reverse};
  const int64_t H = d.H, GH = G * H;
  STRATA_CHECK(d.T >= 1, "[", op, "] expected a sequence length of at least 1, got input ", x.shape());
  check_shape(op, "weight_hh", w_hh, Shape{GH, H}, x);
  check_shape(op, "weight_ih", w_ih, Shape{GH, d.I}, x);
  STRATA_CHECK(b_ih.defined() == b_hh.defined(), "[", op, "] bias_ih and bias_hh must both be given or both omitted");
  if (b_ih.defined()) {
    check_shape(op, "bias_ih", b_ih, Shape{GH}, x);
    check_shape(op, "bias_hh", b_hh, Shape{GH}, x);
  }
  check_shape(op, "h0", h0, Shape{d.B, H}, x);
  const bool lstm = mode == RNNMode::LSTM;
  if (lstm) {
    check_shape(op, "c0", c0, Shape{d.B, H}, x);
  } else {
    STRATA_CHECK(!c0.defined(), "[", op, "] c0 is only for LSTM");
  }

  const DType dt = x.dtype();
  auto contiguous_or_none = [](const Tensor& t) { return t.defined() ? t.contiguous() : Tensor(); };
  const backend::RnnInputs in{x.contiguous(),          h0.contiguous(),   lstm ? c0.contiguous() : Tensor(),
                              w_ih.contiguous(),       w_hh.contiguous(), contiguous_or_none(b_ih),
                              contiguous_or_none(b_hh)};
  backend::RnnWorkspace ws;
  ws.xg = Tensor::empty({d.T, d.B, GH}, dt, dev);
  if (lstm) ws.cs = Tensor::empty({d.T, d.B, H}, dt, dev);
  if (mode == RNNMode::GRU) ws.save = Tensor::empty({d.T, d.B, 4 * H}, dt, dev);
  RNNLayerResult res;
  res.output = Tensor::empty({d.T, d.B, H}, dt, dev);
  res.h_n = Tensor::empty({d.B, H}, dt, dev);
  if (lstm) res.c_n = Tensor::empty({d.B, H}, dt, dev);
  backend::rnn(op, dev).forward(d, in, ws, res.output, res.h_n, res.c_n);

  if (autograd::needs_grad({&x, &h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh})) {
    autograd::SavedTensor sx(in.x, op), sh0(in.h0, op), sc0(in.c0, op), swih(in.w_ih, op), swhh(in.w_hh, op),
        sout(res.output, op);
    const bool has_bias = b_ih.defined();
    TensorList outputs{res.output, res.h_n};
    if (lstm) outputs.push_back(res.c_n);
    autograd::record(op, {x, h0, c0, w_ih, w_hh, b_ih, b_hh}, outputs,
                     [=](const TensorList& g, const autograd::NeedsGrad& needs) {
                       Tensor xs = sx.get(), h0s = sh0.get(), c0s = sc0.get(), wihs = swih.get(), whhs = swhh.get(),
                              outs = sout.get();
                       Tensor dout = g[0].defined() ? g[0].contiguous() : Tensor();
                       Tensor dhn = g[1].defined() ? g[1].contiguous() : Tensor();
                       Tensor dcn = lstm && g[2].defined() ? g[2].contiguous() : Tensor();
                       TensorList grads(7);
                       const Shape shapes[7] = {xs.shape(),   h0s.shape(), h0s.shape(), wihs.shape(),
                                                whhs.shape(), Shape{GH},   Shape{GH}};
                       for (size_t i = 0; i < 7; ++i) {
                         const bool exists = (i != 2 || lstm) && (i < 5 || has_bias);
                         if (needs[i] && exists) grads[i] = Tensor::empty(shapes[i], xs.dtype(), xs.device());
                       }
                       const backend::RnnInputs saved{xs, h0s, c0s, wihs, whhs, Tensor(), Tensor()};
                       const backend::RnnGrads gr{grads[0], grads[1], grads[2], grads[3], grads[4], grads[5], grads[6]};
                       backend::rnn(op, xs.device()).backward(d, saved, ws, outs, dout, dhn, dcn, gr);
                       return grads;
                     });
  }
  return res;
}

}  // namespace strata
