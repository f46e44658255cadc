// Attention layers: float64 gradcheck of each layer w.r.t. its inputs and parameters, PyTorch's init,
// positional encodings by hand, padding that contributes nothing, train/eval, and errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "strata/nn/attention.h"
#include "strata/nn/transformer.h"
#include "strata/ops/attention.h"
#include "strata/ops/sequence.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

using ::testing::HasSubstr;

Tensor x64(const Shape& s, Generator& g) { return randn(s, TensorOptions(kFloat64), &g); }

// gradcheck of fn(inputs...) w.r.t. the inputs and every parameter of m (perturbed in place).
void check(Module& m, TensorList inputs, const std::function<Tensor(const TensorList&)>& fn) {
  for (Tensor& t : inputs) t.requires_grad_(true);
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  GradcheckReport rep = gradcheck(fn, inputs, 1e-6, 1e-6, 1e-4);
  EXPECT_TRUE(rep.passed) << m.type_name() << ": " << rep.message;
}

TransformerLayerOptions opts64(bool norm_first, const std::string& act, bool batch_first) {
  TransformerLayerOptions o;
  o.d_model = 4;
  o.nhead = 2;
  o.dim_feedforward = 6;
  o.dropout = 0.0;
  o.activation = act;
  o.norm_first = norm_first;
  o.batch_first = batch_first;
  o.dtype = kFloat64;
  return o;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(AttentionGradcheck, MultiheadAttention) {
  Generator g(1);
  MultiheadAttention mha(4, 2, 0.0, true, false, kFloat64, &g);
  Tensor kpm = key_padding_mask({3, 2});
  Tensor am = x64({2, 3}, g);
  check(mha, {x64({2, 2, 4}, g), x64({3, 2, 4}, g), x64({3, 2, 4}, g)}, [&](const TensorList& in) {
    auto [y, w] = mha.forward(in[0], in[1], in[2], kpm, true, am);
    return add(y.sum({2}), w.sum({2}).transpose(0, 1));  // both outputs
  });
  MultiheadAttention self(4, 2, 0.0, false, true, kFloat64, &g);  // no bias, batch_first
  check(self, {x64({2, 3, 4}, g)}, [&](const TensorList& in) {
    return self.forward(in[0], in[0], in[0], Tensor(), false, Tensor(), true, true).first;
  });
}

TEST(AttentionGradcheck, TransformerLayers) {
  Generator g(2);
  for (bool pre : {false, true}) {
    SCOPED_TRACE(pre ? "pre-norm" : "post-norm");
    TransformerEncoderLayer enc(opts64(pre, pre ? "gelu" : "relu", pre));
    Tensor kpm = key_padding_mask({3, 2});
    check(enc, {x64(pre ? Shape{2, 3, 4} : Shape{3, 2, 4}, g)},
          [&](const TensorList& in) { return enc.forward(in[0], Tensor(), kpm, true); });
    TransformerDecoderLayer dec(opts64(pre, pre ? "relu" : "gelu", false));
    Tensor tmask = causal_mask(2, 2, kFloat64);
    check(dec, {x64({2, 2, 4}, g), x64({3, 2, 4}, g)},
          [&](const TensorList& in) { return dec.forward(in[0], in[1], tmask, Tensor(), Tensor(), kpm); });
  }
  TransformerEncoder stack(opts64(true, "relu", true), 2, true);
  check(stack, {x64({1, 3, 4}, g)}, [&](const TensorList& in) { return stack.forward(in[0]); });
  TransformerDecoder dstack(opts64(false, "relu", true), 1, true);
  check(dstack, {x64({1, 2, 4}, g), x64({1, 3, 4}, g)}, [&](const TensorList& in) {
    return dstack.forward(in[0], in[1], Tensor(), Tensor(), Tensor(), Tensor(), true);
  });
}

TEST(AttentionGradcheck, GPTBlockAndPositions) {
  Generator g(3);
  GPTBlock blk(4, 2, 8, 0.0, true, kFloat64, &g);
  check(blk, {x64({2, 3, 4}, g)}, [&](const TensorList& in) { return blk.forward(in[0]); });
  LearnedPositionalEncoding lpe(5, 4, true, kFloat64, &g);
  check(lpe, {x64({2, 3, 4}, g)}, [&](const TensorList& in) { return lpe.forward(in[0]); });
  SinusoidalPositionalEncoding spe(4, 10, false, kFloat64);
  check(spe, {x64({3, 2, 4}, g)}, [&](const TensorList& in) { return spe.forward(in[0]); });
}

TEST(MultiheadAttentionLayer, PyTorchInitAndNames) {
  Generator g(4);
  MultiheadAttention mha(8, 2, 0.0, true, false, kFloat32, &g);
  std::vector<std::string> keys;
  for (const auto& kv : mha.state_dict()) keys.push_back(kv.first);
  EXPECT_EQ(keys, std::vector<std::string>({"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(mha.in_proj_weight.shape(), Shape({24, 8}));
  EXPECT_EQ(mha.in_proj_bias.abs().sum().item(), 0.0);
  EXPECT_EQ(mha.out_proj->bias.abs().sum().item(), 0.0);
  // xavier_uniform_: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) = sqrt(6 / 32).
  const double a = std::sqrt(6.0 / 32.0);
  EXPECT_LE(mha.in_proj_weight.abs().max().item(), a);
  EXPECT_GT(mha.in_proj_weight.abs().max().item(), 0.8 * a);
  EXPECT_THAT(mha.to_string(), HasSubstr("(out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8"));
}

TEST(MultiheadAttentionLayer, WeightsSumToOneAndEvalIsDeterministic) {
  Generator g(5);
  MultiheadAttention mha(8, 4, 0.5, true, true, kFloat32, &g);
  Tensor x = randn({2, 5, 8}, {}, &g);
  mha.eval();
  auto [y1, w1] = mha.forward(x, x, x);
  auto [y2, w2] = mha.forward(x, x, x);
  EXPECT_EQ(w1.shape(), Shape({2, 5, 5}));
  EXPECT_LT((w1.sum({2}) - 1.0).abs().max().item(), 1e-5);
  EXPECT_EQ((y1 - y2).abs().max().item(), 0.0);
  mha.train();
  Tensor y3 = mha.forward(x);
  EXPECT_GT((y3 - y1).abs().max().item(), 1e-3);  // dropout on the weights in training
  // Unbatched input and per-head weights.
  auto [yu, wu] = mha.forward(x.select(0, 0), x.select(0, 0), x.select(0, 0), Tensor(), true, Tensor(), false);
  EXPECT_EQ(yu.shape(), Shape({5, 8}));
  EXPECT_EQ(wu.shape(), Shape({4, 5, 5}));
}

TEST(MultiheadAttentionLayer, Errors) {
  MultiheadAttention mha(8, 2);
  Tensor x = randn({5, 2, 8});
  EXPECT_THAT(error_of([&] {
                mha.forward(randn({5, 2, 6}));
              }),
              HasSubstr("[MultiheadAttention] expected embed_dim 8 as the last dim"));
  EXPECT_THAT(error_of([&] {
                mha.forward(x, x, x, key_padding_mask({5, 5, 5}));
              }),
              HasSubstr("[MultiheadAttention] expected key_padding_mask of shape (2, 5), got (3, 5)"));
  EXPECT_THAT(error_of([&] {
                mha.forward(x, x, x, Tensor(), false, zeros({4, 5}));
              }),
              HasSubstr("attn_mask of shape (5, 5) or (4, 5, 5), got (4, 5)"));
  EXPECT_THAT(error_of([&] { mha.forward(x, randn({7, 3, 8}), randn({7, 3, 8})); }), HasSubstr("disagree on batch"));
  EXPECT_THAT(error_of([] { MultiheadAttention bad(10, 3); }), HasSubstr("multiple of num_heads"));
  TransformerLayerOptions o;
  o.activation = "tanh";
  EXPECT_THAT(error_of([&] { TransformerEncoderLayer bad(o); }), HasSubstr("activation should be relu or gelu"));
  TransformerLayerOptions small;
  small.d_model = 8;
  small.nhead = 2;
  TransformerEncoderLayer enc(small);
  EXPECT_THAT(error_of([&] {
                enc.forward(randn({5, 2, 6}));
              }),
              HasSubstr("[TransformerEncoderLayer] expected src of shape (L, N, 8)"));
  GPTBlock blk(8, 2);
  EXPECT_THAT(error_of([&] {
                blk.forward(randn({2, 3, 4}));
              }),
              HasSubstr("[GPTBlock] expected input (N, T, 8), got (2, 3, 4)"));
  CausalSelfAttention csa(8, 2);
  EXPECT_THAT(error_of([&] {
                csa.forward(randn({3, 8}));
              }),
              HasSubstr("[CausalSelfAttention] expected input (N, T, 8), got (3, 8)"));
  LearnedPositionalEncoding lpe(4, 8, true);
  EXPECT_THAT(error_of([&] {
                lpe.forward(randn({2, 6, 8}));
              }),
              HasSubstr("[LearnedPositionalEncoding] sequence length 6 exceeds max_len 4"));
}

TEST(PositionalEncoding, SinusoidsByHand) {
  SinusoidalPositionalEncoding pe(6, 8, true, kFloat64);
  EXPECT_EQ(pe.pe.shape(), Shape({8, 6}));
  // pos 3, dims 2 and 3: sin / cos of 3 / 10000^(2/6).
  const double a = 3.0 / std::pow(10000.0, 2.0 / 6.0);
  EXPECT_NEAR(pe.pe.at({3, 2}), std::sin(a), 1e-15);
  EXPECT_NEAR(pe.pe.at({3, 3}), std::cos(a), 1e-15);
  EXPECT_NEAR(pe.pe.at({5, 0}), std::sin(5.0), 1e-15);
  EXPECT_EQ(pe.pe.at({0, 1}), 1.0);
  Tensor x = ones({2, 3, 6}, kFloat64);
  Tensor y = pe.forward(x);
  EXPECT_NEAR(y.at({1, 2, 0}), 1 + std::sin(2.0), 1e-15);
  EXPECT_EQ(pe.state_dict().contains("pe"), true);
  // Odd d_model: the last dim is a sine.
  SinusoidalPositionalEncoding odd(5, 4);
  EXPECT_NEAR(odd.pe.at({1, 4}), std::sin(1.0 / std::pow(10000.0, 4.0 / 5.0)), 1e-6);
  // Learned: a table of positions (L, d) with key "weight", added per position.
  Generator g(6);
  LearnedPositionalEncoding lpe(10, 4, false, kFloat64, &g);
  Tensor z = zeros({3, 2, 4}, kFloat64);
  Tensor out = lpe.forward(z);
  EXPECT_EQ((out.select(1, 1) - lpe.positions(3)).abs().max().item(), 0.0);
  EXPECT_EQ(lpe.state_dict().contains("weight"), true);
}

TEST(VariableLength, PaddedPositionsAddNothingThroughAnEncoderLayer) {
  // Sequences of lengths 5, 2 and 4, padded into (N, L, d); the loss sums the real positions' outputs.
  Generator g(7);
  TransformerLayerOptions o = opts64(false, "relu", true);
  TransformerEncoderLayer enc(o);
  TensorList seqs{x64({5, 4}, g), x64({2, 4}, g), x64({4, 4}, g)};
  for (Tensor& s : seqs) s.requires_grad_(true);
  const std::vector<int64_t> lengths{5, 2, 4};
  Tensor kpm = key_padding_mask(lengths);
  Tensor real = logical_not(kpm).unsqueeze(-1).to(kFloat64);
  Tensor w = x64({3, 5, 4}, g);
  auto loss_for = [&](double pad_value, Tensor* padded) {
    Tensor x = pad_sequence(seqs, true, pad_value);
    x.retain_grad();
    *padded = x;
    return mul(mul(enc.forward(x, Tensor(), kpm), w), real).sum();
  };
  Tensor p1, p2;
  Tensor l1 = loss_for(0.0, &p1);
  l1.backward();
  TensorList g1;
  for (const Tensor& s : seqs) g1.push_back(s.grad().clone());
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t len = lengths[static_cast<size_t>(b)];
    if (len < 5) {
      EXPECT_EQ(p1.grad().select(0, b).narrow(0, len, 5 - len).abs().sum().item(), 0.0) << b;
    }
  }
  for (Tensor& s : seqs) s.zero_grad();
  Tensor l2 = loss_for(-7.5, &p2);
  l2.backward();
  EXPECT_EQ(l1.item(), l2.item());
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ((seqs[i].grad() - g1[i]).abs().max().item(), 0.0) << i;
}

TEST(GPTBlockLayer, IsCausalAndNamedAsNanoGPT) {
  Generator g(8);
  GPTBlock blk(8, 2, -1, 0.0, true, kFloat32, &g);
  std::vector<std::string> keys;
  for (const auto& kv : blk.state_dict()) keys.push_back(kv.first);
  EXPECT_EQ(keys,
            std::vector<std::string>({"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                                      "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                      "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"}));
  EXPECT_EQ(blk.mlp->c_fc->weight.shape(), Shape({32, 8}));
  // Changing a later token leaves earlier outputs unchanged.
  Tensor x = randn({1, 4, 8}, {}, &g);
  Tensor y = blk.forward(x);
  Tensor x2 = x.clone();
  x2.narrow(1, 3, 1).fill_(5.0);
  Tensor y2 = blk.forward(x2);
  EXPECT_EQ((y.narrow(1, 0, 3) - y2.narrow(1, 0, 3)).abs().max().item(), 0.0);
  EXPECT_GT((y.narrow(1, 3, 1) - y2.narrow(1, 3, 1)).abs().max().item(), 0.0);
}

}  // namespace
}  // namespace strata::nn
