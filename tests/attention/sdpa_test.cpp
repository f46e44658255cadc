// scaled_dot_product_attention: the fused op against the same math composed from matmul/softmax (values and
// gradients), float64 gradcheck with and without masks, fully masked rows, dropout, weights, errors, and the
// padding / causal mask utilities.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/cpu/attention.h"
#include "strata/ops/attention.h"
#include "strata/ops/sequence.h"
#include "strata/strata.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

double max_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const auto x = a.contiguous().to_vector<double>(), y = b.contiguous().to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

// The composed reference: softmax(q k^T * scale + mask) v, with a bool mask (true = attend) turned into -inf.
Tensor reference(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal,
                 double scale = -1) {
  if (scale < 0) scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  Tensor s = mul(matmul(q, transpose(k, -2, -1)), scale);
  if (mask.defined()) {
    s = mask.dtype() == kBool ? masked_fill(s, logical_not(mask), -INFINITY) : add(s, mask);
  }
  if (causal) s = add(s, causal_mask(q.size(-2), k.size(-2), s.dtype()));
  return matmul(softmax(s, -1), v);
}

struct Case {
  const char* name;
  Shape q, k, v, mask;
  bool bool_mask, causal;
};

const Case kCases[] = {
    {"plain_3d", {2, 3, 4}, {2, 5, 4}, {2, 5, 3}, {}, false, false},
    {"plain_4d", {2, 2, 3, 4}, {2, 2, 4, 4}, {2, 2, 4, 5}, {}, false, false},
    {"float_mask_broadcast", {2, 2, 3, 4}, {2, 2, 5, 4}, {2, 2, 5, 3}, {3, 5}, false, false},
    {"float_mask_per_batch", {2, 3, 4}, {2, 5, 4}, {2, 5, 2}, {2, 1, 5}, false, false},
    {"bool_mask", {2, 2, 3, 4}, {2, 2, 5, 4}, {2, 2, 5, 3}, {2, 1, 1, 5}, true, false},
    {"causal_square", {2, 2, 4, 3}, {2, 2, 4, 3}, {2, 2, 4, 3}, {}, false, true},
    {"causal_rect", {1, 5, 3}, {1, 3, 3}, {1, 3, 2}, {}, false, true},
    {"causal_and_bool_mask", {2, 4, 3}, {2, 4, 3}, {2, 4, 3}, {2, 1, 4}, true, true},
    {"unbatched_2d", {3, 4}, {5, 4}, {5, 2}, {3, 5}, false, false},
    // L = S above kernels::cpu::kCausalBlock: the causal kernels skip the masked triangle by blocks of rows
    {"causal_blocks", {1, 2, 41, 3}, {1, 2, 41, 3}, {1, 2, 41, 2}, {}, false, true},
    {"causal_blocks_float_mask", {1, 35, 2}, {1, 35, 2}, {1, 35, 2}, {35, 35}, false, true},
};

Tensor make_mask(const Case& c, Generator& gen) {
  if (c.mask.empty()) return Tensor();
  if (!c.bool_mask) return randn(c.mask, kFloat64, &gen);
  // Random keep-mask with key 0 always kept, so no row is fully masked.
  Tensor m = gt(rand(c.mask, kFloat64, &gen), 0.4);
  Tensor first = zeros(c.mask, TensorOptions(kBool));
  first.narrow(-1, 0, 1).fill_(1.0);
  return logical_or(m, first);
}

TEST(Sdpa, MatchesComposedOpsFloat64) {
  Generator gen(7);
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Tensor q = randn(c.q, kFloat64, &gen).requires_grad_(), k = randn(c.k, kFloat64, &gen).requires_grad_();
    Tensor v = randn(c.v, kFloat64, &gen).requires_grad_();
    Tensor mask = make_mask(c, gen);
    if (mask.defined() && mask.dtype() != kBool) mask.requires_grad_();
    Tensor y = scaled_dot_product_attention(q, k, v, mask, 0.0, c.causal);
    Tensor g = randn(y.shape(), kFloat64, &gen);
    TensorList want_in{q, k, v};
    if (mask.defined() && mask.requires_grad()) want_in.push_back(mask);
    TensorList got = autograd::grad({y}, want_in, {g});
    Tensor r = reference(q, k, v, mask, c.causal);
    TensorList want = autograd::grad({r}, want_in, {g});
    EXPECT_LT(max_diff(y, r), 1e-12);
    for (size_t i = 0; i < want_in.size(); ++i) EXPECT_LT(max_diff(got[i], want[i]), 1e-11) << "input " << i;
  }
}

TEST(Sdpa, MatchesComposedOpsFloat32) {
  Generator gen(8);
  Tensor q = randn({2, 4, 16, 8}, {}, &gen).requires_grad_(), k = randn({2, 4, 16, 8}, {}, &gen).requires_grad_();
  Tensor v = randn({2, 4, 16, 8}, {}, &gen).requires_grad_();
  Tensor y = scaled_dot_product_attention(q, k, v, Tensor(), 0.0, true);
  Tensor r = reference(q, k, v, Tensor(), true);
  EXPECT_LT(max_diff(y, r), 1e-5);
  Tensor g = randn(y.shape(), {}, &gen);
  TensorList a = autograd::grad({y}, {q, k, v}, {g}), b = autograd::grad({r}, {q, k, v}, {g});
  for (size_t i = 0; i < 3; ++i) EXPECT_LT(max_diff(a[i], b[i]), 1e-4) << i;
}

TEST(Sdpa, GradcheckFloat64) {
  Generator gen(9);
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Tensor q = randn(c.q, kFloat64, &gen).requires_grad_(), k = randn(c.k, kFloat64, &gen).requires_grad_();
    Tensor v = randn(c.v, kFloat64, &gen).requires_grad_();
    Tensor mask = make_mask(c, gen);
    TensorList in{q, k, v};
    if (mask.defined() && mask.dtype() != kBool) {
      mask.requires_grad_();
      in.push_back(mask);
    }
    const bool causal = c.causal;
    const Tensor bmask = mask.defined() && mask.dtype() == kBool ? mask : Tensor();
    auto r = gradcheck(
        [&](const TensorList& x) {
          return scaled_dot_product_attention(x[0], x[1], x[2], x.size() > 3 ? x[3] : bmask, 0.0, causal, 0.7);
        },
        in);
    EXPECT_TRUE(r.passed) << r.message;
  }
}

TEST(Sdpa, PermutedInputsNeedNoCopyAndMatch) {
  // q, k, v as head views of one fused (N, L, 3, H, D) projection, as MultiheadAttention and GPT use them.
  Generator gen(10);
  const int64_t N = 2, L = 5, H = 3, D = 4;
  Tensor qkv = randn({N, L, 3 * H * D}, kFloat64, &gen).requires_grad_();
  auto heads = [&](const Tensor& t, int64_t i) { return t.view({N, L, 3, H, D}).select(2, i).permute({0, 2, 1, 3}); };
  Tensor y = scaled_dot_product_attention(heads(qkv, 0), heads(qkv, 1), heads(qkv, 2), Tensor(), 0.0, true);
  Tensor r =
      reference(heads(qkv, 0).contiguous(), heads(qkv, 1).contiguous(), heads(qkv, 2).contiguous(), Tensor(), true);
  EXPECT_LT(max_diff(y, r), 1e-12);
  // The (N, H, L, D) result is stored as (N, L, H, D): merging the heads is a view.
  EXPECT_TRUE(y.transpose(1, 2).is_contiguous());
  Tensor g = randn(y.shape(), kFloat64, &gen);
  Tensor ga = autograd::grad({y}, {qkv}, {g})[0], gb = autograd::grad({r}, {qkv}, {g})[0];
  EXPECT_LT(max_diff(ga, gb), 1e-11);
  auto rep = gradcheck(
      [&](const TensorList& x) {
        return scaled_dot_product_attention(heads(x[0], 0), heads(x[0], 1), heads(x[0], 2), Tensor(), 0.0, true);
      },
      {qkv});
  EXPECT_TRUE(rep.passed) << rep.message;
}

TEST(Sdpa, FullyMaskedRowGivesZerosAndNoGradient) {
  Generator gen(11);
  Tensor q = randn({1, 3, 4}, kFloat64, &gen).requires_grad_(), k = randn({1, 4, 4}, kFloat64, &gen).requires_grad_();
  Tensor v = randn({1, 4, 2}, kFloat64, &gen).requires_grad_();
  Tensor keep = ones({1, 3, 4}, TensorOptions(kBool));
  keep.select(1, 1).fill_(0.0);  // query 1 may attend to nothing
  Tensor y = scaled_dot_product_attention(q, k, v, keep);
  auto yv = y.to_vector<double>();
  for (double x : yv) EXPECT_FALSE(std::isnan(x));
  EXPECT_EQ(y.select(1, 1).abs().sum().item(), 0.0);
  EXPECT_GT(y.select(1, 0).abs().sum().item(), 0.0);
  y.sum().backward();
  EXPECT_EQ(q.grad().select(1, 1).abs().sum().item(), 0.0);
  for (double x : k.grad().to_vector<double>()) EXPECT_FALSE(std::isnan(x));
  // The same with an additive -inf mask.
  Tensor addm = zeros({3, 4}, kFloat64);
  addm.select(0, 2).fill_(-INFINITY);
  Tensor y2 = scaled_dot_product_attention(q, k, v, addm);
  EXPECT_EQ(y2.select(1, 2).abs().sum().item(), 0.0);
  EXPECT_LT(max_diff(y2.narrow(1, 0, 2), reference(q, k, v, Tensor(), false).narrow(1, 0, 2)), 1e-12);
}

TEST(Sdpa, DropoutUsesTheGeneratorsBernoulliStream) {
  Generator g1(42), g2(42);
  Generator gen(12);
  Tensor q = randn({2, 3, 4}, kFloat64, &gen), k = randn({2, 5, 4}, kFloat64, &gen),
         v = randn({2, 5, 3}, kFloat64, &gen);
  q.requires_grad_();
  v.requires_grad_();
  const double p = 0.3;
  auto [y, w] = scaled_dot_product_attention_with_weights(q, k, v, Tensor(), p, false, std::nullopt, &g1);
  Tensor keep = div(bernoulli({2, 3, 5}, 1 - p, kFloat64, &g2), 1 - p);
  Tensor probs = softmax(mul(matmul(q, k.transpose(-2, -1)), 0.5), -1);
  Tensor r = matmul(mul(probs, keep), v);
  EXPECT_LT(max_diff(y, r), 1e-12);
  EXPECT_LT(max_diff(w, mul(probs, keep)), 1e-12);
  Tensor g = randn(y.shape(), kFloat64, &gen);
  TensorList a = autograd::grad({y}, {q, v}, {g}), b = autograd::grad({r}, {q, v}, {g});
  EXPECT_LT(max_diff(a[0], b[0]), 1e-11);
  EXPECT_LT(max_diff(a[1], b[1]), 1e-11);
  // p = 1 drops everything.
  EXPECT_EQ(scaled_dot_product_attention(q, k, v, Tensor(), 1.0).abs().sum().item(), 0.0);
}

TEST(Sdpa, WeightsAreASecondDifferentiableOutput) {
  Generator gen(13);
  Tensor q = randn({2, 3, 2}, kFloat64, &gen).requires_grad_(), k = randn({2, 4, 2}, kFloat64, &gen).requires_grad_();
  Tensor v = randn({2, 4, 3}, kFloat64, &gen).requires_grad_();
  Tensor m = randn({3, 4}, kFloat64, &gen);
  auto [y, w] = scaled_dot_product_attention_with_weights(q, k, v, m);
  Tensor rw = softmax(add(mul(matmul(q, k.transpose(-2, -1)), 1 / std::sqrt(2.0)), m), -1);
  EXPECT_LT(max_diff(w, rw), 1e-12);
  auto r = gradcheck(
      [&](const TensorList& x) {
        auto [o, a] = scaled_dot_product_attention_with_weights(x[0], x[1], x[2], m, 0.0, true);
        return add(o.sum(), mul(a, a).sum({2}).sum());
      },
      {q, k, v});
  EXPECT_TRUE(r.passed) << r.message;
}

TEST(Sdpa, KernelMatchesNaiveReference) {
  Generator gen(14);
  const int64_t L = 7, S = 9, E = 5, Ev = 3;
  Tensor q = randn({L, E}, {}, &gen), k = randn({S, E}, {}, &gen), v = randn({S, Ev}, {}, &gen);
  Tensor m = randn({L, S}, {}, &gen);
  for (bool causal : {false, true}) {
    Tensor want = empty({L, Ev});
    kernels::cpu::attention_forward_reference<float>(L, S, E, Ev, 0.4, q.data_ptr<float>(), k.data_ptr<float>(),
                                                     v.data_ptr<float>(), m.data_ptr<float>(), causal,
                                                     want.data_ptr<float>());
    EXPECT_LT(max_diff(scaled_dot_product_attention(q, k, v, m, 0.0, causal, 0.4), want), 1e-5) << causal;
  }
}

TEST(Sdpa, ErrorsNameTheOpAndShapes) {
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 3});
  auto msg = [](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(msg([&] {
                scaled_dot_product_attention(q, randn({2, 5, 3}), v);
              }),
              HasSubstr("[scaled_dot_product_attention] query and key embedding sizes differ: (2, 3, 4) vs (2, 5, 3)"));
  EXPECT_THAT(msg([&] { scaled_dot_product_attention(q, k, randn({2, 4, 3})); }), HasSubstr("(2, 5, 4) vs (2, 4, 3)"));
  EXPECT_THAT(msg([&] {
                scaled_dot_product_attention(q, k, v, randn({4, 5}));
              }),
              HasSubstr("attn_mask (4, 5) does not broadcast to the scores (2, 3, 5)"));
  EXPECT_THAT(msg([&] { scaled_dot_product_attention(q, randn({3, 5, 4}), v); }), HasSubstr("leading dims"));
  EXPECT_THAT(msg([&] { scaled_dot_product_attention(q, k.to(kFloat64), v); }), HasSubstr("one float dtype"));
  EXPECT_THAT(msg([&] { scaled_dot_product_attention(randn({4}), k, v); }), HasSubstr("same number of dims"));
}

TEST(SequenceUtils, PadSequenceAndMasks) {
  Tensor a = tensor({{1, 2}, {3, 4}, {5, 6}}), b = tensor({{7, 8}});
  Tensor p = pad_sequence({a, b}, true, -1.0);
  EXPECT_EQ(p.shape(), Shape({2, 3, 2}));
  EXPECT_EQ(p.to_vector<float>(), std::vector<float>({1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, -1}));
  Tensor t = pad_sequence({a, b}, false, -1.0);
  EXPECT_EQ(t.shape(), Shape({3, 2, 2}));
  EXPECT_EQ(max_diff(t, p.transpose(0, 1)), 0.0);
  Tensor m = key_padding_mask({3, 1});
  EXPECT_EQ(m.to_vector<bool>(), std::vector<bool>({false, false, false, false, true, true}));
  EXPECT_EQ(key_padding_mask({2}, 4).to_vector<bool>(), std::vector<bool>({false, false, true, true}));
  Tensor c = causal_mask(2, 3);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(c.to_vector<float>(), std::vector<float>({0, -inf, -inf, 0, 0, -inf}));
  EXPECT_THROW(pad_sequence({a, randn({2, 3})}), Error);
  EXPECT_THROW(key_padding_mask({5}, 3), Error);
}

TEST(SequenceUtils, PaddedPositionsGetExactlyZeroGradient) {
  // Two sequences of lengths 4 and 2, padded, self-attended with the key padding mask; the loss reads only the
  // real positions. The padding itself and the real inputs' gradients are unaffected by the pad values.
  Generator gen(15);
  Tensor a = randn({4, 3}, kFloat64, &gen).requires_grad_(), b = randn({2, 3}, kFloat64, &gen).requires_grad_();
  auto loss_for = [&](double pad_value, Tensor* padded_out) {
    Tensor x = pad_sequence({a, b}, true, pad_value);  // (2, 4, 3)
    x.retain_grad();
    *padded_out = x;
    Tensor keep = logical_not(key_padding_mask({4, 2})).view({2, 1, 4});
    Tensor y = scaled_dot_product_attention(x, x, x, keep);
    Tensor real = logical_not(key_padding_mask({4, 2})).unsqueeze(-1).to(kFloat64);
    return mul(mul(y, y), real).sum();
  };
  Tensor x1, x2;
  Tensor l1 = loss_for(0.0, &x1);
  l1.backward();
  Tensor ga = a.grad().clone(), gb = b.grad().clone();
  EXPECT_EQ(x1.grad().select(0, 1).narrow(0, 2, 2).abs().sum().item(), 0.0);
  EXPECT_GT(gb.abs().sum().item(), 0.0);
  a.zero_grad();
  b.zero_grad();
  Tensor l2 = loss_for(123.0, &x2);  // different pad values change nothing
  l2.backward();
  EXPECT_EQ(l1.item(), l2.item());
  EXPECT_EQ(max_diff(a.grad(), ga), 0.0);
  EXPECT_EQ(max_diff(b.grad(), gb), 0.0);
}

}  // namespace
}  // namespace strata
