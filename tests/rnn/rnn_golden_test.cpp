// Recurrent layers and Embedding against PyTorch 1.13 (tests/golden/nn/rnn.bin, written by
// tests/golden/make_golden_rnn.py): identical weights loaded through PyTorch's state_dict names, then the
// output, final states and the gradients of the input, initial states and every parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "ops/golden_io.h"
#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

using testing::GoldenRecord;

std::string compare(const Tensor& got, const Tensor& want, double atol = 2e-5, double rtol = 1e-4) {
  return testing::golden_mismatch(got, want, atol, rtol);
}

const GoldenRecord& record(const std::string& name) {
  static const std::map<std::string, GoldenRecord> recs = [] {
    std::map<std::string, GoldenRecord> out;
    for (GoldenRecord& r : testing::read_golden_file(std::string(STRATA_TEST_DATA_DIR) + "/golden/nn/rnn.bin")) {
      out.emplace(r.name, std::move(r));
    }
    return out;
  }();
  auto it = recs.find(name);
  if (it == recs.end()) throw Error("no golden record " + name);
  return it->second;
}

// PyTorch's parameter names for a recurrent layer, written out independently of the module.
std::vector<std::string> torch_names(int64_t layers, bool bidirectional, bool bias) {
  std::vector<std::string> names;
  for (int64_t l = 0; l < layers; ++l) {
    for (int d = 0; d < (bidirectional ? 2 : 1); ++d) {
      const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      for (const char* w : {"weight_ih", "weight_hh"}) names.push_back(w + sfx);
      if (bias) {
        for (const char* b : {"bias_ih", "bias_hh"}) names.push_back(b + sfx);
      }
    }
  }
  return names;
}

// Loads the record's parameters (inputs from `first`, in PyTorch order) under PyTorch's names, strictly.
void load(Module& m, const GoldenRecord& r, size_t first, const std::vector<std::string>& names) {
  StateDict sd;
  for (size_t i = 0; i < names.size(); ++i) sd.insert(names[i], r.inputs[first + i]);
  m.load_state_dict(sd, /*strict=*/true);
}

void replay_layer(const std::string& name, RNNBase& m, int64_t layers, bool bidirectional, bool bias = true) {
  SCOPED_TRACE(name);
  const GoldenRecord& r = record(name);
  const bool lstm = m.mode() == RNNMode::LSTM;
  const size_t ns = lstm ? 2 : 1;
  auto names = torch_names(layers, bidirectional, bias);
  ASSERT_EQ(r.inputs.size(), 1 + ns + names.size() + 2 * ns);
  load(m, r, 1 + ns, names);
  Tensor x = r.inputs[0].clone().requires_grad_(true);
  Tensor h0 = r.inputs[1].clone().requires_grad_(true);
  Tensor c0 = lstm ? r.inputs[2].clone().requires_grad_(true) : Tensor();
  const size_t fin = 1 + ns + names.size();
  Tensor out, hn, cn;
  if (lstm) {
    LSTMOutput o = static_cast<LSTM&>(m).forward(x, h0, c0);
    out = o.output, hn = o.h_n, cn = o.c_n;
  } else if (m.mode() == RNNMode::GRU) {
    RNNOutput o = static_cast<GRU&>(m).forward(x, h0);
    out = o.output, hn = o.h_n;
  } else {
    RNNOutput o = static_cast<RNN&>(m).forward(x, h0);
    out = o.output, hn = o.h_n;
  }
  EXPECT_EQ(compare(out, r.output), "") << "output";
  EXPECT_EQ(compare(hn, r.inputs[fin]), "") << "h_n";
  Tensor loss = add(mul(out, r.grad_output).sum(), mul(hn, r.inputs[fin + ns]).sum());
  if (lstm) {
    EXPECT_EQ(compare(cn, r.inputs[fin + 1]), "") << "c_n";
    loss = add(loss, mul(cn, r.inputs[fin + 3]).sum());
  }
  loss.backward();
  EXPECT_EQ(compare(x.grad(), r.input_grads[0]), "") << "grad x";
  EXPECT_EQ(compare(h0.grad(), r.input_grads[1]), "") << "grad h0";
  if (lstm) {
    EXPECT_EQ(compare(c0.grad(), r.input_grads[2]), "") << "grad c0";
  }
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(compare(m.param(names[i]).grad(), r.input_grads[1 + ns + i]), "") << "grad " << names[i];
  }
}

TEST(RNNGolden, RNN) {
  RNN a(4, 5);
  replay_layer("rnn_tanh", a, 1, false);
  RNN b(3, 4, {.nonlinearity = "relu"});
  replay_layer("rnn_relu", b, 1, false);
  RNN c(3, 4, {.num_layers = 2, .bidirectional = true});
  replay_layer("rnn_tanh.bi2", c, 2, true);
}

TEST(RNNGolden, LSTM) {
  LSTM a(4, 5);
  replay_layer("lstm", a, 1, false);
  LSTM b(3, 4, {.bias = false});
  replay_layer("lstm.no_bias", b, 1, false, false);
  LSTM c(3, 4, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  replay_layer("lstm.bi2.batch_first", c, 2, true);
  LSTM d(4, 6, {.num_layers = 2});
  replay_layer("lstm.2layer", d, 2, false);
}

TEST(RNNGolden, GRU) {
  GRU a(4, 5);
  replay_layer("gru", a, 1, false);
  GRU b(3, 4, {.num_layers = 2, .bidirectional = true});
  replay_layer("gru.bi2", b, 2, true);
  GRU c(4, 3, {.num_layers = 2, .batch_first = true});
  replay_layer("gru.2layer.batch_first", c, 2, false);
}

void replay_cell(const std::string& name, RNNCellBase& m) {
  SCOPED_TRACE(name);
  const GoldenRecord& r = record(name);
  const bool lstm = dynamic_cast<LSTMCell*>(&m) != nullptr;
  const size_t ns = lstm ? 2 : 1;
  const std::vector<std::string> names{"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  load(m, r, 1 + ns, names);
  Tensor x = r.inputs[0].clone().requires_grad_(true);
  Tensor h = r.inputs[1].clone().requires_grad_(true);
  Tensor c = lstm ? r.inputs[2].clone().requires_grad_(true) : Tensor();
  Tensor h1, loss;
  if (lstm) {
    LSTMCellOutput o = static_cast<LSTMCell&>(m).forward(x, h, c);
    h1 = o.h;
    EXPECT_EQ(compare(o.c, r.inputs[1 + ns + 4]), "") << "c'";
    loss = add(mul(h1, r.grad_output).sum(), mul(o.c, r.inputs[1 + ns + 5]).sum());
  } else {
    h1 = dynamic_cast<GRUCell*>(&m) ? static_cast<GRUCell&>(m).forward(x, h) : static_cast<RNNCell&>(m).forward(x, h);
    loss = mul(h1, r.grad_output).sum();
  }
  EXPECT_EQ(compare(h1, r.output), "") << "h'";
  loss.backward();
  EXPECT_EQ(compare(x.grad(), r.input_grads[0]), "") << "grad x";
  EXPECT_EQ(compare(h.grad(), r.input_grads[1]), "") << "grad h";
  if (lstm) {
    EXPECT_EQ(compare(c.grad(), r.input_grads[2]), "") << "grad c";
  }
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(compare(m.param(names[i]).grad(), r.input_grads[1 + ns + i]), "") << "grad " << names[i];
  }
}

TEST(RNNGolden, Cells) {
  RNNCell a(4, 5);
  replay_cell("rnncell", a);
  RNNCell b(4, 5, true, "relu");
  replay_cell("rnncell.relu", b);
  LSTMCell c(4, 5);
  replay_cell("lstmcell", c);
  GRUCell d(4, 5);
  replay_cell("grucell", d);
}

TEST(RNNGolden, Embedding) {
  for (auto [name, pad] :
       {std::pair<std::string, std::optional<int64_t>>{"embedding.padding", 2}, {"embedding.repeat", std::nullopt}}) {
    SCOPED_TRACE(name);
    const GoldenRecord& r = record(name);
    Embedding e(r.inputs[1].size(0), r.inputs[1].size(1), pad);
    StateDict sd;
    sd.insert("weight", r.inputs[1]);
    e.load_state_dict(sd);
    Tensor y = e(r.inputs[0]);
    EXPECT_EQ(compare(y, r.output), "");
    mul(y, r.grad_output).sum().backward();
    EXPECT_EQ(compare(e.weight.grad(), r.input_grads[1]), "");
  }
}

}  // namespace
}  // namespace strata::nn
