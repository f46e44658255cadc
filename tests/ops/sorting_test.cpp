// sort / argsort / topk with hand-computed values, and categorical sampling (multinomial, sample_logits).
#include "strata/ops/sorting.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/reduction.h"

namespace strata {
namespace {

std::vector<float> fv(const Tensor& t) { return t.to_vector<float>(); }
std::vector<int64_t> iv(const Tensor& t) { return t.to_vector<int64_t>(); }

TEST(Sort, ValuesAndIndicesAlongEachDim) {
  const Tensor x = from_vector<float>({3, 1, 2, 9, 7, 8}, {2, 3});
  SortResult s = sort(x);
  EXPECT_EQ(fv(s.values), (std::vector<float>{1, 2, 3, 7, 8, 9}));
  EXPECT_EQ(iv(s.indices), (std::vector<int64_t>{1, 2, 0, 1, 2, 0}));
  s = sort(x, 0, /*descending=*/true);
  EXPECT_EQ(fv(s.values), (std::vector<float>{9, 7, 8, 3, 1, 2}));
  EXPECT_EQ(iv(s.indices), (std::vector<int64_t>{1, 1, 1, 0, 0, 0}));
  // Transposed input: the rows of x.t() are x's columns.
  EXPECT_EQ(fv(sort(x.t(), 1).values), (std::vector<float>{3, 9, 1, 7, 2, 8}));
  EXPECT_EQ(iv(argsort(from_vector<int64_t>({5, -2, 5, 0}, {4}))), (std::vector<int64_t>{1, 3, 0, 2}));  // stable
}

TEST(Sort, NaNIsLargest) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = from_vector<float>({2, nan, -1}, {3});
  EXPECT_EQ(iv(argsort(x)), (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(iv(argsort(x, 0, true)), (std::vector<int64_t>{1, 0, 2}));
}

TEST(TopK, LargestSmallestAndGradient) {
  const Tensor x = from_vector<double>({0.5, 4, -1, 3, 2, 7}, {2, 3}).requires_grad_();
  SortResult t = topk(x, 2);
  EXPECT_EQ(t.values.to_vector<double>(), (std::vector<double>{4, 0.5, 7, 3}));
  EXPECT_EQ(iv(t.indices), (std::vector<int64_t>{1, 0, 2, 0}));
  t.values.sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1, 0, 1, 0, 1}));
  EXPECT_EQ(iv(topk(x.detach(), 1, 0, /*largest=*/false).indices), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(topk(x.detach(), 0).values.shape(), Shape({2, 0}));
}

TEST(TopK, Errors) {
  const Tensor x = zeros({2, 3});
  try {
    topk(x, 4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[topk] k = 4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(topk(x, 1, 2), Error);
  EXPECT_THROW(sort(zeros({2}, kBool)), Error);
}

TEST(Multinomial, FrequenciesFollowTheWeights) {
  Generator g(3);
  const Tensor p = from_vector<float>({1, 0, 3}, {3});
  const Tensor draws = multinomial(p, 4000, /*replacement=*/true, &g);
  ASSERT_EQ(draws.shape(), Shape({4000}));
  int64_t counts[3] = {0, 0, 0};
  for (int64_t d : iv(draws)) ++counts[d];
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(static_cast<double>(counts[2]) / 4000, 0.75, 0.03);

  // Without replacement every category appears once.
  const Tensor perm = multinomial(from_vector<float>({1, 2, 3, 4, 1, 2}, {2, 3}), 3, false, &g);
  for (int64_t r = 0; r < 2; ++r) {
    auto row = iv(perm.select(0, r));
    std::sort(row.begin(), row.end());
    EXPECT_EQ(row, (std::vector<int64_t>{0, 1, 2}));
  }
  // The same seed gives the same draws.
  Generator a(11), b(11);
  EXPECT_EQ(iv(multinomial(p, 50, true, &a)), iv(multinomial(p, 50, true, &b)));
}

TEST(Multinomial, Errors) {
  EXPECT_THROW(multinomial(from_vector<float>({1, -1}, {2}), 1), Error);
  EXPECT_THROW(multinomial(from_vector<float>({0, 0}, {2}), 1), Error);
  EXPECT_THROW(multinomial(from_vector<float>({1, 0}, {2}), 2, false), Error);
  EXPECT_THROW(multinomial(zeros({2, 2, 2}), 1), Error);
}

TEST(SampleLogits, TemperatureAndTopK) {
  Generator g(5);
  const Tensor logits = from_vector<float>({0.1f, 2.0f, 1.9f, -3.0f, 0.0f, 5.0f}, {2, 3});
  // Greedy.
  EXPECT_EQ(iv(sample_logits(logits, 0.0, 0, &g)), (std::vector<int64_t>{1, 2}));
  // top_k = 2 never picks the smallest logits.
  for (int i = 0; i < 200; ++i) {
    const auto s = iv(sample_logits(logits, 1.0, 2, &g));
    EXPECT_NE(s[0], 0);
    EXPECT_NE(s[1], 0);
  }
  // A very low temperature is nearly greedy; a 1-D input gives a 0-d result.
  const Tensor one = sample_logits(logits.select(0, 1), 0.01, 0, &g);
  EXPECT_EQ(one.dim(), 0);
  EXPECT_EQ(one.item<int64_t>(), 2);
  EXPECT_THROW(sample_logits(logits, -1.0), Error);
}

}  // namespace
}  // namespace strata
