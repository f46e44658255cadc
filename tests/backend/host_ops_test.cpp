// Host algorithms on any device: sort, argsort, topk, multinomial and sample_logits run on a CPU copy and hand
// back results on the input's device (the values through a gather there); randperm and the masks are built on
// the CPU. The int8 quantized layers are CPU-only and say so.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "backend_check.h"
#include "strata/nn/quantized.h"

namespace strata {
namespace {

using backend::Family;
using testing::BackendCheck;
using testing::expect_backends_agree;

Tensor rnd(const Shape& s, DType t, uint64_t seed) {
  Generator g(seed);
  return randn(s, TensorOptions(t), &g).requires_grad_(true);
}

TEST(HostOpsBackends, SortAndTopk) {
  for (DType t : {kFloat64, kFloat32}) {
    // Fresh inputs for every check: the cpu inputs' gradients accumulate.
    expect_backends_agree("sort", [](const TensorList& in) { return sort(in[0], 1, /*descending=*/true).values; },
                          {rnd({3, 6}, t, 1)}, kRef, {Family::Index});
    expect_backends_agree("topk", [](const TensorList& in) { return topk(in[0], 2, 0).values; }, {rnd({3, 6}, t, 1)},
                          kRef, {Family::Index});
    expect_backends_agree("argsort", [](const TensorList& in) { return argsort(in[0], 0); }, {rnd({3, 6}, t, 1)}, kRef,
                          {});
  }
  Tensor r = rnd({4}, kFloat64, 2).detach().to(kRef);
  SortResult s = topk(r, 3);
  EXPECT_EQ(s.values.device(), kRef);
  EXPECT_EQ(s.indices.device(), kRef);
}

TEST(HostOpsBackends, SamplingGivesTheCpuDraws) {
  Tensor p = tensor({{0.1, 0.5, 0.0, 0.4}, {0.3, 0.3, 0.2, 0.2}}, TensorOptions(kFloat64));
  Generator g1(5), g2(5);
  Tensor want = multinomial(p, 3, false, &g1);
  Tensor got = multinomial(p.to(kRef), 3, false, &g2);
  EXPECT_EQ(got.device(), kRef);
  EXPECT_EQ(got.to(kCPU).to_vector<int64_t>(), want.to_vector<int64_t>());

  Tensor logits = tensor({{1.0, 3.0, -1.0, 2.5, 0.0}}, TensorOptions(kFloat32));
  Generator g3(9), g4(9);
  Tensor a = sample_logits(logits, 0.8, 3, &g3);
  Tensor b = sample_logits(logits.to(kRef), 0.8, 3, &g4);
  EXPECT_EQ(b.device(), kRef);
  EXPECT_EQ(b.to(kCPU).to_vector<int64_t>(), a.to_vector<int64_t>());
}

TEST(HostOpsBackends, RandpermAndMasksAreHostTensors) {
  Generator g1(3), g2(3);
  Tensor p = randperm(7, &g1);
  EXPECT_EQ(p.device(), kCPU);
  std::vector<int64_t> v = p.to_vector<int64_t>();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(randperm(7, &g2).to_vector<int64_t>(), p.to_vector<int64_t>());
  EXPECT_EQ(key_padding_mask({2, 0, 3}).to_vector<bool>(),
            (std::vector<bool>{false, false, true, true, true, true, false, false, false}));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(causal_mask(2, 3, kFloat32).to_vector<double>(), (std::vector<double>{0, -inf, -inf, 0, 0, -inf}));
}

TEST(HostOpsBackends, QuantizedLayersSayTheyRunOnTheCpu) {
  manual_seed(0);
  nn::Linear lin(3, 2);
  nn::QuantizedLinear q(lin, nn::QuantMode::Dynamic);
  q.eval();
  Tensor x = randn({1, 3}, TensorOptions(kFloat32)).to(kRef);
  try {
    q.forward(x);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("quantized layers run on the CPU, got an input on ref"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace strata
