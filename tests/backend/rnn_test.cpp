// The rnn family on ref against cpu: every cell (tanh, relu, LSTM, GRU), forward and reverse, with and without
// biases, through output, h_n and c_n, in float64 with gradients and in float32.
#include <gtest/gtest.h>

#include "backend_check.h"

namespace strata {
namespace {

using backend::Family;
using testing::BackendCheck;
using testing::expect_backends_agree;

Tensor rnd(const Shape& s, DType t, uint64_t seed, double scale = 1.0) {
  Generator g(seed);
  return (randn(s, TensorOptions(t), &g) * scale).detach().requires_grad_(true);
}

struct Case {
  RNNMode mode;
  bool reverse;
  bool bias;
};

void check_layer(const Case& c, DType t, const BackendCheck& opts) {
  const int64_t T = 4, B = 3, I = 5, H = 4, G = rnn_gate_count(c.mode);
  const bool lstm = c.mode == RNNMode::LSTM;
  TensorList in{rnd({T, B, I}, t, 1),
                rnd({B, H}, t, 2),
                lstm ? rnd({B, H}, t, 3) : Tensor(),
                rnd({G * H, I}, t, 4, 0.5),
                rnd({G * H, H}, t, 5, 0.5),
                c.bias ? rnd({G * H}, t, 6, 0.5) : Tensor(),
                c.bias ? rnd({G * H}, t, 7, 0.5) : Tensor()};
  const std::string name = std::string("rnn mode ") + std::to_string(static_cast<int>(c.mode)) +
                           (c.reverse ? " reverse" : "") + (c.bias ? " bias" : "") + " " + dtype_name(t);
  expect_backends_agree(
      name,
      [c, lstm](const TensorList& x) {
        RNNLayerResult r = rnn_layer(c.mode, x[0], x[1], x[2], x[3], x[4], x[5], x[6], c.reverse);
        TensorList parts{r.output.reshape({-1}), r.h_n.reshape({-1})};
        if (lstm) parts.push_back(r.c_n.reshape({-1}));
        return cat(parts, 0);  // one output, so that the gradients of h_n and c_n are checked too
      },
      in, kRef, {Family::Rnn}, opts);
}

TEST(RnnBackends, EveryCellFloat64) {
  for (RNNMode m : {RNNMode::RNNTanh, RNNMode::RNNRelu, RNNMode::LSTM, RNNMode::GRU}) {
    for (bool reverse : {false, true}) {
      for (bool bias : {true, false}) check_layer({m, reverse, bias}, kFloat64, {});
    }
  }
}

TEST(RnnBackends, EveryCellFloat32) {
  // cpu's float cells use vectorised tanh/sigmoid; the reference ones std:: math in double.
  for (RNNMode m : {RNNMode::RNNTanh, RNNMode::RNNRelu, RNNMode::LSTM, RNNMode::GRU}) {
    check_layer({m, true, true}, kFloat32, {1e-5, 1e-4, true});
  }
}

TEST(RnnBackends, OutputsLiveOnRef) {
  Tensor x = randn({2, 1, 3}, TensorOptions(kFloat64)).to(kRef);
  Tensor h0 = zeros({1, 2}, TensorOptions(kFloat64).with_device(kRef));
  Tensor wih = randn({8, 3}, TensorOptions(kFloat64)).to(kRef), whh = randn({8, 2}, TensorOptions(kFloat64)).to(kRef);
  RNNLayerResult r = rnn_layer(RNNMode::LSTM, x, h0, h0, wih, whh, Tensor(), Tensor(), false);
  EXPECT_EQ(r.output.device(), kRef);
  EXPECT_EQ(r.h_n.device(), kRef);
  EXPECT_EQ(r.c_n.device(), kRef);
}

}  // namespace
}  // namespace strata
