// diag/tradeoff.h: the Pareto front on hand-made points, allocator peaks, gradient accumulation's memory and the
// variant registry.
#include "strata/diag/tradeoff.h"

#include <gtest/gtest.h>

#include <cmath>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "test_util.h"

using namespace strata;

TEST(Tradeoff, ParetoFrontExcludesDominatedAndKeepsTies) {
  const double nan = std::nan("");
  //                      0     1     2     3     4     5     6
  std::vector<double> q = {0.90, 0.80, 0.90, 0.95, 0.70, nan, 0.85};
  std::vector<double> c = {10, 5, 10, 20, 5, 1, 12};
  // 2 ties 0 (both stay); 4 has 1's cost at lower quality; 6 costs more than 0 for less; 5 is not finite.
  EXPECT_EQ(diag::pareto_front(q, c), (std::vector<bool>{true, true, true, true, false, false, false}));
  // Equal quality, lower cost dominates.
  EXPECT_EQ(diag::pareto_front({0.5, 0.5}, {1, 2}), (std::vector<bool>{true, false}));
  EXPECT_TRUE(diag::pareto_front({}, {}).empty());
  EXPECT_HAS(strata::testing::error_of([] { diag::pareto_front({1, 2}, {1}); }), "2 qualities but 1 costs");
}

TEST(Tradeoff, PeakAllocatedDuringSeesTheAllocation) {
  const int64_t peak = diag::peak_allocated_during([] { Tensor t = zeros({1000}); });
  EXPECT_GE(peak, 4000);
  EXPECT_LT(peak, 4000 + 4096);
}

TEST(Tradeoff, AccumulationPeakIsBelowTheBigBatch) {
  manual_seed(8);
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(32, 256), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(256, 10)});
  Tensor x = randn({64, 32});
  Tensor y = zeros({64}, TensorOptions().with_dtype(kInt64));
  nn::CrossEntropyLoss loss;
  const Tensor w = m->parameters()[0].clone();
  diag::AccumulationMemory a = diag::accumulation_memory(*m, loss, x, y, 4);
  EXPECT_EQ(a.batch, 64);
  EXPECT_EQ(a.micro_batches, 4);
  // The hidden activations (64 x 256 floats = 64 KiB, several copies through ReLU and backward) shrink 4x; the
  // gradients (about 43 KiB) stay.
  EXPECT_GT(a.direct_peak_bytes, 64 * 256 * 4);
  EXPECT_LT(a.accumulated_peak_bytes, a.direct_peak_bytes);
  EXPECT_TRUE(allclose(m->parameters()[0], w, 0.0, 0.0));  // lr 0: the weights stay
  EXPECT_HAS(strata::testing::error_of([&] { diag::accumulation_memory(*m, loss, x, y, 5); }),
             "5 micro-batches do not divide the batch of 64");
}

TEST(Tradeoff, VariantRegistry) {
  auto vs = diag::tradeoff_variants();
  ASSERT_FALSE(vs.empty());
  EXPECT_EQ(vs[0].name, "float32");
  auto lin = std::make_shared<nn::Linear>(2, 2);
  EXPECT_EQ(vs[0].make(lin, Tensor(), nullptr), lin);  // the baseline is the model itself
  diag::register_tradeoff_variant(
      {"halved_test", "test only", [](const nn::ModulePtr& m, const Tensor&, const diag::ModelCopy&) { return m; }});
  EXPECT_EQ(diag::find_tradeoff_variant("halved_test").description, "test only");
  EXPECT_HAS(strata::testing::error_of([] { diag::find_tradeoff_variant("int3"); }), "unknown variant \"int3\"");
  EXPECT_HAS(strata::testing::error_of([] { diag::register_tradeoff_variant({"", "", nullptr}); }), "needs a name");
}
