// Datasets: TensorDataset, Subset, the default get_batch, random_split (against PyTorch's splits).
#include "strata/data/dataset.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "data/test_files.h"
#include "strata/ops/creation.h"

namespace strata::data {
namespace {

using strata::testing::throws_error;

// inputs (n, 2, 3) with value 10 * row + k, targets (n) = 100 + row.
std::shared_ptr<TensorDataset> make_rows(int64_t n) {
  std::vector<float> x;
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 6; ++k) x.push_back(static_cast<float>(10 * i + k));
  std::vector<int64_t> y(static_cast<size_t>(n));
  std::iota(y.begin(), y.end(), int64_t{100});
  return std::make_shared<TensorDataset>(from_vector(x, {n, 2, 3}), from_vector(y, {n}));
}

Tensor idx(std::vector<int64_t> v) { return from_vector(v, {static_cast<int64_t>(v.size())}); }

// A dataset without a batched fast path: get_batch falls back to stacking get(i).
class Squares : public Dataset {
 public:
  int64_t size() const override { return 5; }
  Example get(int64_t i) const override {
    return {full({2}, static_cast<double>(i * i)), scalar_tensor(static_cast<double>(i), TensorOptions(kInt64))};
  }
};

TEST(TensorDataset, GetReturnsRows) {
  auto ds = make_rows(4);
  EXPECT_EQ(ds->size(), 4);
  Example e = ds->get(2);
  EXPECT_EQ(e.input.shape(), Shape({2, 3}));
  EXPECT_EQ(e.input.to_vector<float>(), (std::vector<float>{20, 21, 22, 23, 24, 25}));
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.item<int64_t>(), 102);
  EXPECT_TRUE(throws_error([&] { ds->get(4); }, {"[TensorDataset::get]", "index 4", "4 examples"}));
  EXPECT_TRUE(throws_error([&] { ds->get(-1); }, {"index -1"}));
}

TEST(TensorDataset, GetBatchGathersRows) {
  auto ds = make_rows(5);
  Batch b = ds->get_batch(idx({3, 0, 3}));
  EXPECT_EQ(b.input.shape(), Shape({3, 2, 3}));
  EXPECT_TRUE(b.input.is_contiguous());
  EXPECT_EQ(b.input.to_vector<float>(),
            (std::vector<float>{30, 31, 32, 33, 34, 35, 0, 1, 2, 3, 4, 5, 30, 31, 32, 33, 34, 35}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{103, 100, 103}));
  EXPECT_THROW(ds->get_batch(idx({5})), Error);
  EXPECT_TRUE(throws_error([&] { ds->get_batch(from_vector(std::vector<float>{1.0f})); }, {"int64"}));
}

TEST(TensorDataset, StridedInputsAndNoTargets) {
  // A transposed (non-contiguous) input tensor; no targets.
  Tensor x = from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).t();  // (3, 2): rows {1,4},{2,5},{3,6}
  TensorDataset ds(x);
  EXPECT_EQ(ds.size(), 3);
  EXPECT_FALSE(ds.get(0).target.defined());
  Batch b = ds.get_batch(idx({2, 1}));
  EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{3, 6, 2, 5}));
  EXPECT_FALSE(b.target.defined());
}

TEST(TensorDataset, RejectsMismatchedSizes) {
  EXPECT_TRUE(throws_error(
      [] {
        TensorDataset(zeros({3, 2}), zeros({4}));
      },
      {"[TensorDataset]", "(3, 2)", "(4,)", "number of examples"}));
  EXPECT_TRUE(throws_error([] { TensorDataset(scalar_tensor(1.0)); }, {"leading example dim"}));
}

TEST(Dataset, DefaultGetBatchStacksExamples) {
  Squares sq;
  Batch b = sq.get_batch(idx({4, 1}));
  EXPECT_EQ(b.input.shape(), Shape({2, 2}));
  EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{16, 16, 1, 1}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{4, 1}));
}

TEST(Subset, MapsIndicesAndBatchesThroughTheParent) {
  auto ds = make_rows(6);
  Subset s(ds, {5, 1, 3});
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.get(0).target.item<int64_t>(), 105);
  Batch b = s.get_batch(idx({2, 0}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{103, 105}));
  EXPECT_EQ(b.input.select(0, 0).to_vector<float>(), (std::vector<float>{30, 31, 32, 33, 34, 35}));
  EXPECT_THROW(s.get(3), Error);
  EXPECT_THROW(s.get_batch(idx({3})), Error);
  EXPECT_TRUE(throws_error([&] { Subset(ds, {0, 6}); }, {"[Subset]", "index 6", "position 1"}));
}

TEST(Subset, NestedSubsetsGatherOnceFromTheRoot) {
  auto ds = make_rows(8);
  auto outer = std::make_shared<Subset>(ds, std::vector<int64_t>{7, 6, 5, 4});
  Subset inner(outer, {3, 1});  // outer positions 3, 1 -> rows 4, 6
  EXPECT_EQ(inner.get_batch(idx({1, 0, 1})).target.to_vector<int64_t>(), (std::vector<int64_t>{106, 104, 106}));
  EXPECT_EQ(inner.get(0).input.at({1, 2}), 45.0);
}

std::vector<std::vector<int64_t>> split_indices(const std::vector<std::shared_ptr<Subset>>& parts) {
  std::vector<std::vector<int64_t>> out;
  for (const auto& p : parts) out.push_back(p->indices());
  return out;
}

// Expected values from torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(s))
// with PyTorch 1.13 (/usr/bin/python3).
TEST(RandomSplit, MatchesPyTorchWithLengths) {
  auto parts = random_split(make_rows(10), {3, 7}, 42);
  EXPECT_EQ(split_indices(parts), (std::vector<std::vector<int64_t>>{{2, 6, 1}, {8, 4, 5, 0, 9, 3, 7}}));
}

TEST(RandomSplit, MatchesPyTorchWithFractions) {
  auto parts = random_split(make_rows(30), {0.3, 0.3, 0.4}, 42);
  EXPECT_EQ(split_indices(parts), (std::vector<std::vector<int64_t>>{{12, 0, 6, 25, 8, 15, 10, 18, 16},
                                                                     {23, 28, 26, 20, 7, 21, 22, 29, 13},
                                                                     {14, 2, 4, 1, 9, 11, 17, 19, 27, 5, 24, 3}}));
  // 11 * 0.5 floors to 5 + 5; the remainder goes to the first split.
  parts = random_split(make_rows(11), {0.5, 0.5}, 1);
  EXPECT_EQ(split_indices(parts), (std::vector<std::vector<int64_t>>{{0, 10, 2, 3, 7, 6}, {4, 8, 1, 9, 5}}));
}

TEST(RandomSplit, PartitionsAndIsReproducible) {
  auto ds = make_rows(100);
  auto a = random_split(ds, {0.8, 0.2}, 7);
  auto b = random_split(ds, {80, 20}, 7);
  auto c = random_split(ds, {80, 20}, 8);
  EXPECT_EQ(split_indices(a), split_indices(b));
  EXPECT_NE(split_indices(a), split_indices(c));
  std::set<int64_t> all(a[0]->indices().begin(), a[0]->indices().end());
  all.insert(a[1]->indices().begin(), a[1]->indices().end());
  EXPECT_EQ(all.size(), 100u);
  // The subsets read the parent's rows.
  EXPECT_EQ(a[1]->get(0).target.item<int64_t>(), 100 + a[1]->indices()[0]);
}

TEST(RandomSplit, RejectsBadLengths) {
  auto ds = make_rows(10);
  EXPECT_TRUE(throws_error([&] { random_split(ds, {3, 6}, 0); }, {"[random_split]", "sum to 9", "10 examples"}));
  EXPECT_TRUE(throws_error([&] { random_split(ds, {2.5, 7.5}, 0); }, {"[random_split]", "2.5"}));
  EXPECT_TRUE(throws_error([&] { random_split(ds, {1.2, -0.2}, 0); }, {"fraction at index 0"}));
  EXPECT_THROW(random_split(ds, {}, 0), Error);
}

}  // namespace
}  // namespace strata::data
