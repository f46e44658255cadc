// rnn_layer shares the batch rows out across threads, each block going through the whole sequence on its own
// (src/ops/rnn.cpp, for_row_blocks): the same bits on 1, 2 and 3 threads for every mode, forward and backward,
// reversed too; and a float64 gradcheck on the split path.
#include <gtest/gtest.h>

#include <vector>

#include "strata/core/threading.h"
#include "strata/ops/rnn.h"
#include "strata/strata.h"
#include "test_util.h"

namespace strata {
namespace {

struct Inputs {
  TensorList t;  // x, h0, c0 (LSTM, else undefined), w_ih, w_hh, b_ih, b_hh
};

Inputs make_inputs(RNNMode mode, int64_t T, int64_t B, int64_t I, int64_t H, DType dt) {
  Generator g(5);
  const int64_t GH = rnn_gate_count(mode) * H;
  auto r = [&](const Shape& s) { return (randn(s, TensorOptions(dt), &g) * 0.5).requires_grad_(true); };
  Inputs in;
  in.t = {r({T, B, I}), r({B, H}), mode == RNNMode::LSTM ? r({B, H}) : Tensor(), r({GH, I}), r({GH, H}),
          r({GH}),      r({GH})};
  return in;
}

// Output, h_n, c_n and the gradients of a weighted sum of them w.r.t. every input, flattened.
std::vector<std::vector<float>> run(RNNMode mode, bool reverse, int threads, int64_t T = 5, int64_t B = 26,
                                    int64_t I = 7, int64_t H = 21) {  // 26 rows: blocks of 13 and 13, or 8, 9, 9
  const testing::ThreadCount scope(threads);
  Inputs in = make_inputs(mode, T, B, I, H, kFloat32);
  const auto& t = in.t;
  RNNLayerResult res = rnn_layer(mode, t[0], t[1], t[2], t[3], t[4], t[5], t[6], reverse);
  Generator g(9);
  Tensor loss = (res.output * randn(res.output.shape(), TensorOptions(kFloat32), &g)).sum() +
                (res.h_n * randn(res.h_n.shape(), TensorOptions(kFloat32), &g)).sum();
  if (res.c_n.defined()) loss = loss + (res.c_n * res.c_n).sum();
  loss.backward();
  std::vector<std::vector<float>> out{res.output.to_vector<float>(), res.h_n.to_vector<float>()};
  if (res.c_n.defined()) out.push_back(res.c_n.to_vector<float>());
  for (const Tensor& x : t) {
    if (x.defined()) out.push_back(x.grad().to_vector<float>());
  }
  return out;
}

TEST(RNNThreads, SameBitsOnAnyThreadCount) {
  for (RNNMode mode : {RNNMode::RNNTanh, RNNMode::RNNRelu, RNNMode::LSTM, RNNMode::GRU}) {
    for (bool reverse : {false, true}) {
      const auto one = run(mode, reverse, 1);
      for (int threads : {2, 3}) {
        const auto many = run(mode, reverse, threads);
        ASSERT_EQ(many.size(), one.size());
        for (size_t i = 0; i < one.size(); ++i) {
          EXPECT_EQ(many[i], one[i]) << "mode " << rnn_gate_count(mode) << " reverse " << reverse << " threads "
                                     << threads << " result " << i;
        }
      }
    }
  }
}

// Deterministic mode at sizes where the whole-sequence GEMMs (OpenBLAS, cut into fixed blocks there) are big
// enough to be threaded: a training step's results still match bit for bit.
TEST(RNNThreads, DeterministicModeLargerShapes) {
  const DeterministicGuard on(true);
  for (RNNMode mode : {RNNMode::LSTM, RNNMode::GRU}) {
    const auto one = run(mode, false, 1, 4, 32, 64, 96);
    const auto two = run(mode, false, 2, 4, 32, 64, 96);
    ASSERT_EQ(two.size(), one.size());
    for (size_t i = 0; i < one.size(); ++i) EXPECT_EQ(two[i], one[i]) << "gates " << rnn_gate_count(mode) << " " << i;
  }
}

TEST(RNNThreads, GradcheckOnSplitRows) {
  const testing::ThreadCount scope(2);
  for (RNNMode mode : {RNNMode::LSTM, RNNMode::GRU}) {
    Inputs in = make_inputs(mode, 2, 16, 2, 3, kFloat64);  // 16 rows: two blocks of 8
    TensorList inputs;
    for (const Tensor& x : in.t) {
      if (x.defined()) inputs.push_back(x);
    }
    const bool lstm = mode == RNNMode::LSTM;
    GradcheckReport rep = gradcheck(
        [&](const TensorList& v) {
          RNNLayerResult r = lstm ? rnn_layer(mode, v[0], v[1], v[2], v[3], v[4], v[5], v[6])
                                  : rnn_layer(mode, v[0], v[1], Tensor(), v[2], v[3], v[4], v[5]);
          TensorList parts{r.output.flatten(), r.h_n.flatten()};
          if (lstm) parts.push_back(r.c_n.flatten());
          return cat(parts, 0);
        },
        inputs, 1e-6, 1e-6, 1e-4);
    EXPECT_TRUE(rep.passed) << "gates " << rnn_gate_count(mode) << ": " << rep.message;
  }
}

}  // namespace
}  // namespace strata
