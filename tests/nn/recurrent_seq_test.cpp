// RNNSequence / LSTMSequence / GRUSequence: the single-tensor forward equals the underlying layer's output or
// its documented last-step slice, gradients pass through it (float64 gradcheck), and state_dict keys stay PyTorch's.
#include "strata/nn/recurrent_seq.h"

#include <gtest/gtest.h>

#include "strata/autograd/gradcheck.h"
#include "strata/core/error.h"
#include "strata/nn/containers.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/reduction.h"

namespace strata::nn {
namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  return (a - b).abs().max().item<double>();
}

TEST(RecurrentSequence, ReturnSequencesIsTheLayerOutput) {
  Generator g(3);
  GRUSequence m(5, 4, {.num_layers = 2, .bidirectional = true, .gen = &g}, /*return_sequences=*/true);
  m.eval();
  Tensor x = randn({3, 6, 5}, {}, &g);
  Tensor y = m.forward(x);
  RNNOutput ref = m.GRU::forward(x, Tensor());
  ASSERT_EQ(y.shape(), Shape({3, 6, 8}));
  EXPECT_EQ(max_abs_diff(y, ref.output), 0.0);
}

TEST(RecurrentSequence, LastStepIsForwardLastAndBackwardFirst) {
  Generator g(4);
  LSTMSequence uni(3, 4, {.gen = &g});
  Tensor x = randn({2, 5, 3}, {}, &g);
  LSTMOutput r = uni.LSTM::forward(x, Tensor(), Tensor());
  Tensor y = uni.forward(x);
  ASSERT_EQ(y.shape(), Shape({2, 4}));
  EXPECT_EQ(max_abs_diff(y, r.output.select(1, 4)), 0.0);
  EXPECT_EQ(max_abs_diff(y, r.h_n.select(0, 0)), 0.0);

  RNNSequence bi(3, 4, {.num_layers = 2, .bidirectional = true, .nonlinearity = "relu", .gen = &g});
  RNNOutput rb = bi.RNN::forward(x, Tensor());
  Tensor yb = bi.forward(x);
  ASSERT_EQ(yb.shape(), Shape({2, 8}));
  // Forward half: t = T-1; backward half: t = 0; together the last layer's h_n, as torch.cat([h_n[-2], h_n[-1]]).
  EXPECT_EQ(max_abs_diff(yb.narrow(1, 0, 4), rb.output.select(1, 4).narrow(1, 0, 4)), 0.0);
  EXPECT_EQ(max_abs_diff(yb.narrow(1, 4, 4), rb.output.select(1, 0).narrow(1, 4, 4)), 0.0);
  EXPECT_EQ(max_abs_diff(yb, cat({rb.h_n.select(0, 2), rb.h_n.select(0, 3)}, 1)), 0.0);
  // ... which is not output[:, -1] in the backward half.
  EXPECT_GT(max_abs_diff(yb, rb.output.select(1, 4)), 1e-4);
}

TEST(RecurrentSequence, StateDictKeysArePyTorchs) {
  Sequential s;
  s.push_back(std::make_shared<GRUSequence>(3, 2, RNNOptions{.bidirectional = true}));
  auto sd = s.state_dict();
  for (const char* k : {"0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "0.weight_ih_l0_reverse",
                        "0.bias_hh_l0_reverse"}) {
    EXPECT_TRUE(sd.contains(k)) << k;
  }
  EXPECT_EQ(s[0]->type_name(), "GRU");
  EXPECT_NE(s.to_string().find("batch_first=True, bidirectional=True, return_sequences=False"), std::string::npos)
      << s.to_string();
}

TEST(RecurrentSequence, Gradcheck) {
  Generator g(5);
  const RNNOptions o{.bidirectional = true, .dtype = kFloat64, .gen = &g};
  std::vector<std::shared_ptr<RNNBase>> layers = {
      std::make_shared<RNNSequence>(2, 3, o, false), std::make_shared<LSTMSequence>(2, 2, o, false),
      std::make_shared<GRUSequence>(2, 2, o, false),
      std::make_shared<GRUSequence>(2, 2, RNNOptions{.dtype = kFloat64}, true)};
  for (auto& m : layers) {
    SCOPED_TRACE(m->to_string());
    TensorList inputs{randn({2, 3, 2}, TensorOptions(kFloat64), &g).requires_grad_(true)};
    for (const Tensor& p : m->parameters()) inputs.push_back(p);
    GradcheckReport rep = gradcheck([&](const TensorList& in) { return m->forward(in[0]); }, inputs, 1e-6, 1e-6, 1e-4);
    EXPECT_TRUE(rep.passed) << rep.message;
  }
}

TEST(RecurrentSequence, RejectsNonBatchFirstInput) {
  GRUSequence m(3, 2);
  EXPECT_THROW(m.forward(zeros({5, 3})), Error);
  EXPECT_THROW(last_time_step(zeros({2, 5, 3}), 2, false), Error);
}

}  // namespace
}  // namespace strata::nn
