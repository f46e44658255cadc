// float64 gradient checks of every recurrent layer and cell (input, initial states and every parameter
// at once), plus Embedding; and the behaviour around them: shapes, unbatched input, dropout between layers,
// Sequential use, state_dict keys, initialisation, and the error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

using ::testing::HasSubstr;

Tensor rnd(const Shape& s, Generator& g) { return randn(s, TensorOptions(kFloat64), &g); }

// One output tensor for gradcheck: output, h_n and c_n flattened and joined.
Tensor joined(const TensorList& parts) {
  TensorList flat;
  for (const Tensor& p : parts) {
    if (p.defined()) flat.push_back(p.flatten());
  }
  return cat(flat, 0);
}

void check_layer(RNNBase& m, const Shape& xshape, int64_t batch) {
  SCOPED_TRACE(m.to_string());
  Generator g(11);
  const int64_t LD = m.options().num_layers * (m.options().bidirectional ? 2 : 1);
  const bool lstm = m.mode() == RNNMode::kLSTM;
  TensorList inputs{rnd(xshape, g).requires_grad_(true), rnd({LD, batch, m.hidden_size()}, g).requires_grad_(true)};
  if (lstm) inputs.push_back(rnd({LD, batch, m.hidden_size()}, g).requires_grad_(true));
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  GradcheckReport rep = gradcheck(
      [&](const TensorList& in) {
        if (lstm) {
          LSTMOutput o = static_cast<LSTM&>(m).forward(in[0], in[1], in[2]);
          return joined({o.output, o.h_n, o.c_n});
        }
        RNNOutput o = m.mode() == RNNMode::kGRU ? static_cast<GRU&>(m).forward(in[0], in[1])
                                                : static_cast<RNN&>(m).forward(in[0], in[1]);
        return joined({o.output, o.h_n});
      },
      inputs, 1e-6, 1e-6, 1e-4);
  EXPECT_TRUE(rep.passed) << rep.message;
}

TEST(RNNGradcheck, Layers) {
  RNN a(3, 2, {.dtype = kFloat64});
  check_layer(a, {3, 2, 3}, 2);
  RNN b(2, 3, {.num_layers = 2, .bidirectional = true, .nonlinearity = "relu", .dtype = kFloat64});
  check_layer(b, {3, 2, 2}, 2);
  LSTM c(3, 2, {.dtype = kFloat64});
  check_layer(c, {4, 2, 3}, 2);
  LSTM d(2, 2, {.num_layers = 2, .batch_first = true, .bidirectional = true, .dtype = kFloat64});
  check_layer(d, {2, 3, 2}, 2);
  LSTM e(2, 3, {.bias = false, .dtype = kFloat64});
  check_layer(e, {3, 1, 2}, 1);
  GRU f(3, 2, {.dtype = kFloat64});
  check_layer(f, {4, 2, 3}, 2);
  GRU h(2, 2, {.num_layers = 2, .bidirectional = true, .dtype = kFloat64});
  check_layer(h, {3, 2, 2}, 2);
  GRU k(2, 3, {.bias = false, .batch_first = true, .dtype = kFloat64});
  check_layer(k, {2, 3, 2}, 2);
}

TEST(RNNGradcheck, Cells) {
  Generator g(5);
  auto params = [](Module& m, TensorList in) {
    for (const Tensor& p : m.parameters()) in.push_back(p);
    return in;
  };
  RNNCell a(3, 4, true, "tanh", kFloat64);
  RNNCell a2(3, 4, false, "relu", kFloat64);
  for (RNNCell* c : {&a, &a2}) {
    auto rep = gradcheck([&](const TensorList& in) { return c->forward(in[0], in[1]); },
                         params(*c, {rnd({2, 3}, g).requires_grad_(true), rnd({2, 4}, g).requires_grad_(true)}));
    EXPECT_TRUE(rep.passed) << rep.message;
  }
  LSTMCell b(3, 2, true, kFloat64);
  auto rep = gradcheck(
      [&](const TensorList& in) {
        LSTMCellOutput o = b.forward(in[0], in[1], in[2]);
        return joined({o.h, o.c});
      },
      params(b, {rnd({2, 3}, g).requires_grad_(true), rnd({2, 2}, g).requires_grad_(true),
                 rnd({2, 2}, g).requires_grad_(true)}));
  EXPECT_TRUE(rep.passed) << rep.message;
  GRUCell c(2, 3, true, kFloat64);
  rep = gradcheck([&](const TensorList& in) { return c.forward(in[0], in[1]); },
                  params(c, {rnd({3, 2}, g).requires_grad_(true), rnd({3, 3}, g).requires_grad_(true)}));
  EXPECT_TRUE(rep.passed) << rep.message;
  // Unbatched input (I) and state (H).
  rep = gradcheck([&](const TensorList& in) { return c.forward(in[0], in[1]); },
                  params(c, {rnd({2}, g).requires_grad_(true), rnd({3}, g).requires_grad_(true)}));
  EXPECT_TRUE(rep.passed) << rep.message;
}

// gradcheck of the lookup (the padding row is checked apart: its gradient is zero by design).
TEST(RNNGradcheck, EmbeddingPaddingRowGetsNoGradient) {
  Generator g(3);
  Embedding e(6, 3, 1, kFloat64, &g);
  Tensor idx = from_vector<int64_t>({0, 1, 4, 1, 4, 5}, {2, 3});
  auto rep = gradcheck([&](const TensorList& in) { return embedding(in[0], idx); }, {e.weight});
  EXPECT_TRUE(rep.passed) << rep.message;
  mul(e(idx), rnd({2, 3, 3}, g)).sum().backward();
  Tensor gw = e.weight.grad();
  for (int64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(gw.at({1, j}), 0.0);  // padding row
    EXPECT_EQ(gw.at({2, j}), 0.0);  // unused row
    EXPECT_NE(gw.at({4, j}), 0.0);
  }
}

TEST(Embedding, InitAndPadding) {
  Generator g(17);
  Embedding e(400, 50, -1, kFloat32, &g);
  EXPECT_EQ(e.padding_idx().value(), 399);
  for (int64_t j = 0; j < 50; ++j) EXPECT_EQ(e.weight.at({399, j}), 0.0);
  Tensor w = e.weight.narrow(0, 0, 399);
  EXPECT_NEAR(w.mean().item(), 0.0, 0.02);
  EXPECT_NEAR(w.std().item(), 1.0, 0.02);
  EXPECT_EQ(e.to_string(), "Embedding(400, 50, padding_idx=399)");
  Tensor idx = from_vector<int64_t>({3, 399, 7}, {3});
  Tensor y = e(idx);
  EXPECT_EQ(y.shape(), Shape({3, 50}));
  EXPECT_EQ(y.at({0, 5}), e.weight.at({3, 5}));
  EXPECT_THROW(Embedding(4, 2, 4), Error);
  auto pre = Embedding::from_pretrained(e.weight.detach().narrow(0, 0, 10).contiguous());
  EXPECT_FALSE(pre->weight.requires_grad());
  EXPECT_EQ(pre->weight.at({3, 5}), e.weight.at({3, 5}));
  try {
    e(from_vector<int64_t>({400}, {1}));
    FAIL() << "expected an error";
  } catch (const Error& err) {
    EXPECT_THAT(err.what(), HasSubstr("out of range"));
  }
}

TEST(RNNLayers, ShapesNamesAndInit) {
  Generator g(1);
  LSTM m(5, 7, {.num_layers = 2, .bidirectional = true, .gen = &g});
  std::vector<std::string> keys;
  for (auto& [k, v] : m.state_dict()) keys.push_back(k);
  ASSERT_EQ(keys.size(), 16u);
  EXPECT_EQ(keys[0], "weight_ih_l0");
  EXPECT_EQ(keys[4], "weight_ih_l0_reverse");
  EXPECT_EQ(keys[15], "bias_hh_l1_reverse");
  EXPECT_EQ(m.weight_ih(0).shape(), Shape({28, 5}));
  EXPECT_EQ(m.weight_ih(1, 1).shape(), Shape({28, 14}));
  EXPECT_EQ(m.weight_hh(1, 1).shape(), Shape({28, 7}));
  EXPECT_EQ(m.to_string(), "LSTM(5, 7, num_layers=2, bidirectional=True)");
  const double k = 1 / std::sqrt(7.0);
  for (const Tensor& p : m.parameters()) {
    EXPECT_LE(p.max().item(), k);
    EXPECT_GE(p.min().item(), -k);
    EXPECT_GT(p.abs().max().item(), 0.5 * k);
  }
  Tensor x = randn({6, 3, 5}, {}, &g);
  LSTMOutput o = m.forward(x, Tensor(), Tensor());
  EXPECT_EQ(o.output.shape(), Shape({6, 3, 14}));
  EXPECT_EQ(o.h_n.shape(), Shape({4, 3, 7}));
  EXPECT_EQ(o.c_n.shape(), Shape({4, 3, 7}));
  // The last layer's forward h_n is its output at the last step; the reverse one's at the first step.
  EXPECT_EQ(o.h_n.select(0, 2).to_vector<float>(),
            o.output.select(0, 5).narrow(1, 0, 7).contiguous().to_vector<float>());
  EXPECT_EQ(o.h_n.select(0, 3).to_vector<float>(),
            o.output.select(0, 0).narrow(1, 7, 7).contiguous().to_vector<float>());
  // Sequential use: forward(x) is the output from zero states.
  Sequential seq{std::make_shared<GRU>(5, 4), std::make_shared<Linear>(4, 2)};
  EXPECT_EQ(seq(x).shape(), Shape({6, 3, 2}));
}

TEST(RNNLayers, UnbatchedMatchesBatchOfOne) {
  Generator g(2);
  GRU m(3, 4, {.num_layers = 2, .bidirectional = true, .gen = &g});
  Tensor x = randn({5, 3}, {}, &g), h0 = randn({4, 4}, {}, &g);
  RNNOutput a = m.forward(x, h0);
  RNNOutput b = m.forward(x.unsqueeze(1), h0.unsqueeze(1));
  EXPECT_EQ(a.output.shape(), Shape({5, 8}));
  EXPECT_EQ(a.h_n.shape(), Shape({4, 4}));
  EXPECT_EQ(a.output.to_vector<float>(), b.output.squeeze(1).contiguous().to_vector<float>());
  EXPECT_EQ(a.h_n.to_vector<float>(), b.h_n.squeeze(1).contiguous().to_vector<float>());
}

TEST(RNNLayers, DropoutBetweenLayersOnlyInTraining) {
  Generator g(4), dg(9);
  LSTM m(3, 4, {.num_layers = 2, .dropout = 0.5, .gen = &dg});
  LSTM ref(3, 4, {.num_layers = 2});
  ref.load_state_dict(m.state_dict());
  Tensor x = randn({4, 2, 3}, {}, &g);
  const auto want = ref(x).to_vector<float>();
  EXPECT_NE(m(x).to_vector<float>(), want);  // training: the layer-1 outputs are dropped
  m.eval();
  EXPECT_EQ(m(x).to_vector<float>(), want);
  // One layer: no dropout after the last layer, even in training.
  LSTM one(3, 4, {.dropout = 0.5, .gen = &dg});
  LSTM one_ref(3, 4);
  one_ref.load_state_dict(one.state_dict());
  EXPECT_EQ(one(x).to_vector<float>(), one_ref(x).to_vector<float>());
}

TEST(RNNLayers, Errors) {
  LSTM m(10, 20, {.num_layers = 2});
  auto msg = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Generator g(1);
  std::string e = msg([&] { m(randn({5, 3, 7}, {}, &g)); });
  EXPECT_THAT(e, HasSubstr("[LSTM]"));
  EXPECT_THAT(e, HasSubstr("(T, B, 10)"));
  EXPECT_THAT(e, HasSubstr("(5, 3, 7)"));
  e = msg([&] { m(randn({2, 5, 3, 10}, {}, &g)); });
  EXPECT_THAT(e, HasSubstr("(2, 5, 3, 10)"));
  e = msg([&] { m.forward(randn({5, 3, 10}, {}, &g), randn({1, 3, 20}, {}, &g), Tensor()); });
  EXPECT_THAT(e, HasSubstr("[LSTM] expected h0 of shape (2, 3, 20), got (1, 3, 20)"));
  e = msg([&] { m.forward(randn({5, 3, 10}, {}, &g), Tensor(), randn({2, 4, 20}, {}, &g)); });
  EXPECT_THAT(e, HasSubstr("[LSTM] expected c0 of shape (2, 3, 20), got (2, 4, 20)"));
  e = msg([&] { m(randn({5, 3, 10}, TensorOptions(kFloat64), &g)); });
  EXPECT_THAT(e, HasSubstr("dtype"));
  GRU gru(4, 3, {.batch_first = true});
  e = msg([&] { gru(randn({2, 5, 3}, {}, &g)); });
  EXPECT_THAT(e, HasSubstr("[GRU] expected input of shape (B, T, 4)"));
  e = msg([&] { RNN(4, 3, {.nonlinearity = "sigmoid"}); });
  EXPECT_THAT(e, HasSubstr("unknown nonlinearity 'sigmoid'"));
  e = msg([&] { LSTM(4, 0); });
  EXPECT_THAT(e, HasSubstr("hidden_size"));
  e = msg([&] { m(randn({0, 3, 10}, {}, &g)); });
  EXPECT_THAT(e, HasSubstr("sequence length"));
  LSTMCell cell(4, 3);
  e = msg([&] { cell.forward(randn({2, 4}, {}, &g), randn({3, 3}, {}, &g), Tensor()); });
  EXPECT_THAT(e, HasSubstr("[LSTMCell] expected h of shape (2, 3), got (3, 3)"));
  e = msg([&] { cell(randn({2, 5}, {}, &g)); });
  EXPECT_THAT(e, HasSubstr("[LSTMCell] expected input of shape (B, 4)"));
}

}  // namespace
}  // namespace strata::nn
