// A tiny attentional seq2seq (the model of examples/seq2seq) must overfit a handful of variable-length
// examples: reversing digit strings, with padded sources, teacher forcing and greedy decoding.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../examples/seq2seq/seq2seq_model.h"
#include "strata/strata.h"

namespace {

using examples::kEos;
using examples::kPad;
using examples::kSos;
using strata::Tensor;

// Digits '0'..'9' are ids 3..12.
int64_t id(char c) { return 3 + (c - '0'); }

TEST(Seq2SeqOverfit, ReversesAHandfulOfDigitStrings) {
  const std::vector<std::string> src = {"123", "4075", "98", "55012", "310", "7264", "806", "19"};
  const int64_t B = static_cast<int64_t>(src.size()), S = 5, T = S + 1, V = 13;
  std::vector<int64_t> s(static_cast<size_t>(B * S), kPad), tin(static_cast<size_t>(B * T), kPad),
      tout(static_cast<size_t>(B * T), kPad);
  for (size_t b = 0; b < src.size(); ++b) {
    const std::string rev(src[b].rbegin(), src[b].rend());
    tin[b * T] = kSos;
    for (size_t j = 0; j < src[b].size(); ++j) {
      s[b * S + j] = id(src[b][j]);
      tin[b * T + j + 1] = tout[b * T + j] = id(rev[j]);
    }
    tout[b * T + src[b].size()] = kEos;
  }
  const Tensor x = strata::from_vector(s, {B, S}), y_in = strata::from_vector(tin, {B, T}),
               y = strata::from_vector(tout, {B, T});

  strata::Generator gen(7);
  examples::Seq2Seq model(V, V, /*embed=*/16, /*hidden=*/32, &gen);
  strata::optim::AdamOptions o;
  o.lr = 1e-2;
  strata::optim::Adam opt(model.parameters(), o);
  double first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    Tensor loss = strata::cross_entropy(model.forward(x, y_in).reshape({B * T, V}), y.reshape({B * T}), Tensor(),
                                        strata::Reduction::Mean, kPad);
    opt.zero_grad();
    loss.backward();
    strata::optim::clip_grad_norm_(model.parameters(), 1.0);
    opt.step();
    (step == 0 ? first : last) = loss.item();
  }
  EXPECT_GT(first, 2.0);  // about log(13) at the start
  EXPECT_LT(last, 0.05);

  model.eval();
  examples::GreedyResult r = model.greedy(x, T);
  ASSERT_EQ(r.tokens.size(0), B);
  const std::vector<int64_t> got = r.tokens.to_vector<int64_t>();
  const auto width = static_cast<size_t>(r.tokens.size(1));
  const std::vector<float> a = r.attention.to_vector<float>();
  for (size_t b = 0; b < src.size(); ++b) {
    std::string out;
    for (size_t j = 0; j < width && got[b * width + j] != kEos; ++j)
      out += static_cast<char>('0' + got[b * width + j] - 3);
    EXPECT_EQ(out, std::string(src[b].rbegin(), src[b].rend())) << "source " << src[b];
    // Padded source positions receive no attention at any step.
    for (size_t t = 0; t < width; ++t)
      for (size_t j = src[b].size(); j < static_cast<size_t>(S); ++j) EXPECT_EQ(a[(b * width + t) * S + j], 0.0f);
  }
}

}  // namespace
