// End to end: a tiny Embedding -> LSTM / GRU -> Linear language model learns a repeating token pattern with
// Adam (the fused backward, the optimizer and the loss working together), and the cells unrolled by hand
// give the same outputs as the sequence layers they mirror.
#include <gtest/gtest.h>

#include <memory>

#include "strata/strata.h"

namespace strata::nn {
namespace {

template <class Layer>
double train_pattern() {
  Generator g(3);
  auto emb = std::make_shared<Embedding>(5, 6, std::nullopt, kFloat32, &g);
  auto rnn = std::make_shared<Layer>(6, 12, RNNOptions{.gen = &g});
  auto head = std::make_shared<Linear>(12, 5, true, kFloat32, &g);
  Sequential model{emb, rnn, head};
  optim::Adam opt(model.parameters(), {.lr = 2e-2});
  // Period-5 pattern 0 1 2 1 3 0 1 2 1 3 ...: the next token after "1" depends on the token before it.
  const int64_t pattern[5] = {0, 1, 2, 1, 3};
  std::vector<int64_t> xs, ys;
  for (int64_t t = 0; t < 20; ++t) {
    for (int64_t b = 0; b < 3; ++b) {
      xs.push_back(pattern[(t + b) % 5]);
      ys.push_back(pattern[(t + b + 1) % 5]);
    }
  }
  Tensor x = from_vector<int64_t>(xs, {20, 3}), y = from_vector<int64_t>(ys, {60});
  double loss_v = 0;
  for (int step = 0; step < 150; ++step) {
    Tensor loss = cross_entropy(model(x).reshape({60, 5}), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    loss_v = loss.item();
  }
  return loss_v;
}

TEST(RNNTraining, LstmAndGruLearnAPattern) {
  EXPECT_LT(train_pattern<LSTM>(), 0.05);
  EXPECT_LT(train_pattern<GRU>(), 0.05);
}

TEST(RNNTraining, CellsUnrolledMatchLayers) {
  Generator g(8);
  LSTM lstm(3, 4, {.gen = &g});
  LSTMCell cell(3, 4);
  StateDict sd;
  for (const char* k : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
    sd.insert(k, lstm.state_dict().at(std::string(k) + "_l0"));
  }
  cell.load_state_dict(sd);
  Tensor x = randn({5, 2, 3}, {}, &g);
  Tensor out = lstm(x);
  LSTMCellOutput s{zeros({2, 4}), zeros({2, 4})};  // the layer starts from zero states
  for (int64_t t = 0; t < 5; ++t) {
    s = cell.forward(x.select(0, t), s.h, s.c);
    const auto a = s.h.to_vector<float>(), b = out.select(0, t).contiguous().to_vector<float>();
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << "t=" << t;
  }
  GRU gru(3, 4, {.gen = &g});
  GRUCell gcell(3, 4);
  StateDict gsd;
  for (const char* k : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
    gsd.insert(k, gru.state_dict().at(std::string(k) + "_l0"));
  }
  gcell.load_state_dict(gsd);
  Tensor h0 = randn({1, 2, 4}, {}, &g);
  Tensor gout = gru.forward(x, h0).output;
  Tensor h = h0.select(0, 0);
  for (int64_t t = 0; t < 5; ++t) {
    h = gcell.forward(x.select(0, t), h);
    const auto a = h.to_vector<float>(), b = gout.select(0, t).contiguous().to_vector<float>();
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << "t=" << t;
  }
}

}  // namespace
}  // namespace strata::nn
