// Hand-computed values, gradients and error messages of the indexing ops: index_select, index_add, gather,
// scatter_add, embedding, masked_fill(_), one_hot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "strata/strata.h"

using namespace strata;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

namespace {

std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
Tensor idx(std::initializer_list<int64_t> v, const Shape& shape = {}) {
  return from_vector<int64_t>(std::vector<int64_t>(v), shape);
}
// (rows, cols) float tensor 0, 1, 2, ... row-major.
Tensor iota(const Shape& shape, DType dtype = kFloat32) {
  return arange(static_cast<double>(shape.numel()), TensorOptions(dtype)).reshape(shape);
}
// Runs f, expects a strata::Error whose message contains every piece.
template <class F>
void expect_error(F f, std::initializer_list<std::string> pieces) {
  try {
    f();
    ADD_FAILURE() << "expected strata::Error";
  } catch (const Error& e) {
    for (const std::string& p : pieces) EXPECT_THAT(e.what(), HasSubstr(p));
  }
}

}  // namespace

// ---------------- index_select ----------------

TEST(IndexSelect, RowsWithRepeats) {
  Tensor y = index_select(iota({3, 4}), 0, idx({2, 0, 2}));
  EXPECT_EQ(y.shape(), Shape({3, 4}));
  EXPECT_THAT(vals(y), ElementsAre(8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11));
}

TEST(IndexSelect, NegativeDimPicksColumns) {
  Tensor y = iota({3, 4}).index_select(-1, idx({3, 1}));
  EXPECT_EQ(y.shape(), Shape({3, 2}));
  EXPECT_THAT(vals(y), ElementsAre(3, 1, 7, 5, 11, 9));
}

TEST(IndexSelect, MiddleDimOf3D) {
  Tensor y = index_select(iota({2, 3, 2}), 1, idx({1, 1}));
  EXPECT_EQ(y.shape(), Shape({2, 2, 2}));
  EXPECT_THAT(vals(y), ElementsAre(2, 3, 2, 3, 8, 9, 8, 9));
}

TEST(IndexSelect, TransposedInput) {
  // iota(3, 4).t() is (4, 3); its rows 1 and 3 are the original's columns 1 and 3.
  Tensor y = index_select(iota({3, 4}).t(), 0, idx({1, 3}));
  EXPECT_THAT(vals(y), ElementsAre(1, 5, 9, 3, 7, 11));
}

TEST(IndexSelect, SlicedInputAndStridedIndex) {
  Tensor x = iota({3, 4}).slice(1, 0, 4, 2);              // columns 0, 2: [[0,2],[4,6],[8,10]]
  Tensor index = idx({2, 9, 0, 9, 2}).slice(0, 0, 5, 2);  // [2, 0, 2], stride 2
  ASSERT_FALSE(index.is_contiguous());
  Tensor y = index_select(x, 0, index);
  EXPECT_THAT(vals(y), ElementsAre(8, 10, 0, 2, 8, 10));
}

TEST(IndexSelect, ZeroDimIndexAndEmptyIndex) {
  Tensor y = index_select(iota({2, 3}), 1, full({}, 2.0, TensorOptions(kInt64)));
  EXPECT_EQ(y.shape(), Shape({2, 1}));
  EXPECT_THAT(vals(y), ElementsAre(2, 5));
  Tensor e = index_select(iota({2, 3}), 0, from_vector<int64_t>({}, {0}));
  EXPECT_EQ(e.shape(), Shape({0, 3}));
}

TEST(IndexSelect, IntAndBoolData) {
  EXPECT_THAT(index_select(iota({4}, kInt64), 0, idx({3, 0})).to_vector<int64_t>(), ElementsAre(3, 0));
  Tensor b = from_vector<bool>({true, false, false}, {3});
  EXPECT_THAT(index_select(b, 0, idx({1, 0, 0})).to_vector<bool>(), ElementsAre(false, true, true));
}

TEST(IndexSelect, BackwardAccumulatesRepeats) {
  Tensor x = iota({3, 2}).requires_grad_();
  Tensor w = tensor({{1, 2}, {3, 4}, {5, 6}});
  (index_select(x, 0, idx({2, 0, 2})) * w).sum().backward();
  EXPECT_THAT(vals(x.grad()), ElementsAre(3, 4, 0, 0, 6, 8));
}

TEST(IndexSelect, BackwardAlongDim1OfTransposed) {
  Tensor base = iota({2, 3}).requires_grad_();
  Tensor x = base.t();  // (3, 2)
  Tensor w = tensor({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  (index_select(x, 1, idx({1, 1, 0})) * w).sum().backward();
  // x.grad[:, 1] = w[:, 0] + w[:, 1], x.grad[:, 0] = w[:, 2]; base.grad = x.grad.t().
  EXPECT_THAT(vals(base.grad()), ElementsAre(3, 6, 9, 3, 9, 15));
}

TEST(IndexSelect, Errors) {
  Tensor x = iota({3, 4});
  expect_error([&] { index_select(x, 0, idx({0, 5})); }, {"[index_select]", "index 5", "size 3", "(3, 4)"});
  expect_error([&] { index_select(x, 1, idx({-1})); }, {"[index_select]", "index -1", "size 4"});
  expect_error([&] { index_select(x, 0, tensor({0.0})); }, {"[index_select]", "int64", "float32"});
  expect_error([&] { index_select(x, 0, idx({0, 1}, {1, 2})); }, {"[index_select]", "1-D", "(1, 2)"});
  expect_error([&] { index_select(x, 2, idx({0})); }, {"index_select"});
  expect_error([&] { index_select(full({}, 1.0), 0, idx({0})); }, {"[index_select]", "at least one dim"});
}

// ---------------- index_add ----------------

TEST(IndexAdd, RepeatsAccumulate) {
  Tensor x = full({3, 2}, 10.0);
  Tensor src = tensor({{1, 2}, {3, 4}, {5, 6}, {7, 8}});
  Tensor y = index_add(x, 0, idx({2, 0, 2, 2}), src);
  EXPECT_THAT(vals(y), ElementsAre(13, 14, 10, 10, 23, 26));
  EXPECT_THAT(vals(x), ElementsAre(10, 10, 10, 10, 10, 10));  // out of place
}

TEST(IndexAdd, Dim1StridedSourceAndGradients) {
  Tensor x = iota({2, 3}).requires_grad_();
  Tensor sbase = tensor({{1, 2}, {3, 4}}).requires_grad_();
  Tensor src = sbase.t();  // [[1, 3], [2, 4]]
  Tensor y = index_add(x, 1, idx({0, 0}), src);
  EXPECT_THAT(vals(y), ElementsAre(4, 1, 2, 9, 4, 5));
  Tensor w = tensor({{1, 2, 3}, {4, 5, 6}});
  (y * w).sum().backward();
  EXPECT_THAT(vals(x.grad()), ElementsAre(1, 2, 3, 4, 5, 6));
  // src.grad[i][j] = w[i][index[j]] = w[i][0]; sbase.grad = src.grad.t().
  EXPECT_THAT(vals(sbase.grad()), ElementsAre(1, 4, 1, 4));
}

TEST(IndexAdd, Errors) {
  Tensor x = zeros({3, 2});
  expect_error([&] { index_add(x, 0, idx({3}), zeros({1, 2})); }, {"[index_add]", "index 3", "size 3"});
  expect_error([&] { index_add(x, 0, idx({0}), zeros({2, 2})); }, {"[index_add]", "(2, 2)", "(3, 2)"});
  expect_error(
      [&] {
        index_add(x, 0, idx({0}), zeros({1, 2}, TensorOptions(kFloat64)));
      },
      {"[index_add]", "float64", "float32"});
}

// ---------------- gather ----------------

TEST(Gather, Dim1) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  Tensor y = gather(x, 1, idx({2, 0, 1, 1}, {2, 2}));
  EXPECT_EQ(y.shape(), Shape({2, 2}));
  EXPECT_THAT(vals(y), ElementsAre(3, 1, 5, 5));
}

TEST(Gather, Dim0SmallerIndexAndNegativeDim) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_THAT(vals(gather(x, 0, idx({1, 0, 1}, {1, 3}))), ElementsAre(4, 2, 6));
  EXPECT_THAT(vals(x.gather(-1, idx({2, 0}, {2, 1}))), ElementsAre(3, 4));
}

TEST(Gather, TransposedInputAndTransposedIndex) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}).t();  // (3, 2): [[1,4],[2,5],[3,6]]
  Tensor index = idx({0, 2, 1, 1}, {2, 2}).t();   // (2, 2): [[0,1],[2,1]], non-contiguous
  ASSERT_FALSE(index.is_contiguous());
  Tensor y = gather(x, 0, index);
  EXPECT_THAT(vals(y), ElementsAre(1, 5, 3, 5));
}

TEST(Gather, ThreeDims) {
  Tensor x = iota({2, 2, 3});
  Tensor y = gather(x, 2, idx({2, 2, 0, 1, 1, 0, 0, 0}, {2, 2, 2}));
  EXPECT_THAT(vals(y), ElementsAre(2, 2, 3, 4, 7, 6, 9, 9));
}

TEST(Gather, BackwardIsScatterAdd) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}).requires_grad_();
  Tensor w = tensor({{10, 20, 30}, {40, 50, 60}});
  (gather(x, 1, idx({2, 2, 2, 0, 0, 1}, {2, 3})) * w).sum().backward();
  EXPECT_THAT(vals(x.grad()), ElementsAre(0, 0, 60, 90, 60, 0));
}

TEST(Gather, Errors) {
  Tensor x = zeros({2, 3});
  expect_error([&] { gather(x, 1, idx({0, 3}, {2, 1})); }, {"[gather]", "index 3", "size 3"});
  expect_error([&] { gather(x, 1, idx({0, 1})); }, {"[gather]", "(2,)", "(2, 3)", "dims"});
  expect_error([&] { gather(x, 1, idx({0, 0, 0}, {3, 1})); }, {"[gather]", "(3, 1)", "(2, 3)", "dim 0"});
  expect_error([&] { gather(x, 1, zeros({1, 1})); }, {"[gather]", "int64"});
}

// ---------------- scatter_add ----------------

TEST(ScatterAdd, Dim1Repeats) {
  Tensor x = tensor({{10, 20, 30}, {40, 50, 60}});
  Tensor src = tensor({{1, 2, 3}, {4, 5, 6}});
  Tensor y = scatter_add(x, 1, idx({2, 2, 0, 1}, {2, 2}), src);  // src's last column is unused
  EXPECT_THAT(vals(y), ElementsAre(10, 20, 33, 44, 55, 60));
  EXPECT_THAT(vals(x), ElementsAre(10, 20, 30, 40, 50, 60));
}

TEST(ScatterAdd, Dim0TransposedSourceAndIndex) {
  Tensor x = zeros({2, 2});
  Tensor src = tensor({{1, 2, 3}, {4, 5, 6}}).t();     // (3, 2): [[1,4],[2,5],[3,6]]
  Tensor index = idx({1, 1, 0, 0, 1, 1}, {2, 3}).t();  // (3, 2): [[1,0],[1,1],[0,1]]
  Tensor y = scatter_add(x, -2, index, src);
  // row 0: col0 gets 3, col1 gets 4; row 1: col0 gets 1 + 2, col1 gets 5 + 6.
  EXPECT_THAT(vals(y), ElementsAre(3, 4, 3, 11));
}

TEST(ScatterAdd, Gradients) {
  Tensor x = zeros({2, 3}).requires_grad_();
  Tensor src = tensor({{1, 2, 3}, {4, 5, 6}}).requires_grad_();
  Tensor w = tensor({{1, 2, 3}, {4, 5, 6}});
  (scatter_add(x, 1, idx({2, 2, 0, 1}, {2, 2}), src) * w).sum().backward();
  EXPECT_THAT(vals(x.grad()), ElementsAre(1, 2, 3, 4, 5, 6));
  // src.grad = gather(w, 1, index) on index's extent, zero beyond it.
  EXPECT_THAT(vals(src.grad()), ElementsAre(3, 3, 0, 4, 5, 0));
}

TEST(ScatterAdd, Errors) {
  Tensor x = zeros({2, 3});
  expect_error([&] { scatter_add(x, 1, idx({3}, {1, 1}), zeros({1, 1})); }, {"[scatter_add]", "index 3", "size 3"});
  expect_error([&] { scatter_add(x, 1, idx({0, 0}, {1, 2}), zeros({1, 1})); }, {"[scatter_add]", "(1, 2)", "(1, 1)"});
  expect_error(
      [&] {
        scatter_add(x, 1, idx({0, 0, 0}, {3, 1}), zeros({3, 1}));
      },
      {"[scatter_add]", "(3, 1)", "(2, 3)"});
  expect_error([&] { scatter_add(x, 1, idx({0}), zeros({1})); }, {"[scatter_add]", "same number of dims"});
  expect_error(
      [&] {
        scatter_add(x, 1, idx({0}, {1, 1}), zeros({1, 1}, TensorOptions(kFloat64)));
      },
      {"[scatter_add]", "float64", "float32"});
}

// ---------------- embedding ----------------

TEST(Embedding, LookupAnyIndexShape) {
  Tensor w = iota({4, 3});
  Tensor y = embedding(w, idx({1, 3, 1, 0}, {2, 2}));
  EXPECT_EQ(y.shape(), Shape({2, 2, 3}));
  EXPECT_THAT(vals(y), ElementsAre(3, 4, 5, 9, 10, 11, 3, 4, 5, 0, 1, 2));
  Tensor s = embedding(w, full({}, 2.0, TensorOptions(kInt64)));
  EXPECT_EQ(s.shape(), Shape({3}));
  EXPECT_THAT(vals(s), ElementsAre(6, 7, 8));
}

TEST(Embedding, StridedWeightAndIndices) {
  Tensor w = iota({3, 4}).t();                   // (4, 3): row r = [r, r + 4, r + 8]
  Tensor index = idx({3, 0, 1, 3}, {2, 2}).t();  // [[3, 1], [0, 3]]
  Tensor y = embedding(w, index);
  EXPECT_THAT(vals(y), ElementsAre(3, 7, 11, 1, 5, 9, 0, 4, 8, 3, 7, 11));
}

TEST(Embedding, PaddingRowIsLookedUpButGetsNoGradient) {
  Tensor w = iota({4, 2}).requires_grad_();
  Tensor y = embedding(w, idx({1, 2, 1, 0, 2}, {5}), /*padding_idx=*/2);
  EXPECT_THAT(vals(y), ElementsAre(2, 3, 4, 5, 2, 3, 0, 1, 4, 5));
  Tensor g = tensor({{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}});
  (y * g).sum().backward();
  // row 1 twice (1,2)+(5,6); row 0 once; row 2 is padding; row 3 unused.
  EXPECT_THAT(vals(w.grad()), ElementsAre(7, 8, 6, 8, 0, 0, 0, 0));
}

TEST(Embedding, BackwardWithoutPaddingAndStridedGradient) {
  Tensor w = iota({3, 2}, kFloat64).requires_grad_();
  Tensor y = embedding(w, idx({0, 0, 2}));                                 // (3, 2)
  Tensor g = tensor({{1, 2, 3}, {4, 5, 6}}, TensorOptions(kFloat64)).t();  // strided (3, 2) gradient
  y.backward(g);
  EXPECT_THAT(vals(w.grad()), ElementsAre(3, 9, 0, 0, 3, 6));
}

TEST(Embedding, LargeVocabularyGradientOnlyTouchesUsedRows) {
  // Enough lookups (2000 x 32 > the OpenMP grain) that the backward runs threaded.
  const int64_t vocab = 50000, width = 32, n = 2000;
  Tensor w = zeros({vocab, width}).requires_grad_();
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = (i * 7919) % 5 * 10007;  // 5 distinct rows
  Tensor y = embedding(w, from_vector<int64_t>(ids, {n}));
  y.sum().backward();
  Tensor gsum = w.grad().sum({1});
  for (int64_t r : {0, 10007, 20014, 30021, 40028}) EXPECT_DOUBLE_EQ(gsum.at({r}), 400.0 * width) << r;
  EXPECT_DOUBLE_EQ(w.grad().sum().item(), static_cast<double>(n * width));
}

TEST(Embedding, Errors) {
  Tensor w = zeros({5, 3});
  expect_error([&] { embedding(w, idx({0, 5})); }, {"[embedding]", "index 5", "5 rows", "(5, 3)"});
  expect_error([&] { embedding(w, idx({-1})); }, {"[embedding]", "index -1"});
  expect_error([&] { embedding(zeros({5}), idx({0})); }, {"[embedding]", "2-D", "(5,)"});
  expect_error([&] { embedding(w, idx({0}), 5); }, {"[embedding]", "padding_idx 5", "(5, 3)"});
  expect_error([&] { embedding(w, tensor({1.0})); }, {"[embedding]", "int64"});
}

// ---------------- masked_fill ----------------

TEST(MaskedFill, BroadcastMask) {
  Tensor x = iota({2, 3});
  Tensor mask = from_vector<bool>({true, false, true}, {3});
  EXPECT_THAT(vals(masked_fill(x, mask, -1.5)), ElementsAre(-1.5, 1, -1.5, -1.5, 4, -1.5));
  EXPECT_THAT(vals(x), ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST(MaskedFill, TransposedInputAndMask) {
  Tensor x = iota({3, 2}).t();                                                           // [[0,2,4],[1,3,5]]
  Tensor mask = from_vector<bool>({true, false, false, true, true, false}, {3, 2}).t();  // [[T,F,T],[F,T,F]]
  EXPECT_THAT(vals(x.masked_fill(mask, 9)), ElementsAre(9, 2, 9, 1, 9, 5));
}

TEST(MaskedFill, InputBroadcastsToMaskAsPyTorch) {
  Tensor y = masked_fill(tensor({1, 2, 3}), from_vector<bool>({true, false, false, false, false, true}, {2, 3}), 0);
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  EXPECT_THAT(vals(y), ElementsAre(0, 2, 3, 1, 2, 0));
}

TEST(MaskedFill, IntDataTruncatesValue) {
  Tensor y = masked_fill(iota({3}, kInt64), from_vector<bool>({false, true, false}, {3}), 2.7);
  EXPECT_EQ(y.dtype(), kInt64);
  EXPECT_THAT(y.to_vector<int64_t>(), ElementsAre(0, 2, 2));
}

TEST(MaskedFill, GradientIsZeroWhereMasked) {
  Tensor x = tensor({1, 2, 3}).requires_grad_();
  Tensor mask = from_vector<bool>({false, true, false, true, true, false}, {2, 3});
  Tensor w = tensor({{1, 2, 3}, {4, 5, 6}});
  (masked_fill(x, mask, 7) * w).sum().backward();  // x broadcast over 2 rows, then summed back
  EXPECT_THAT(vals(x.grad()), ElementsAre(1 + 0, 0 + 0, 3 + 6));
}

TEST(MaskedFill, InPlace) {
  Tensor x = iota({2, 3});
  Tensor view = x.t();  // in place through a transposed view
  uint64_t v0 = x.version();
  view.masked_fill_(from_vector<bool>({true, false}, {2}), -4);  // mask over view's last dim = x's rows
  EXPECT_THAT(vals(x), ElementsAre(-4, -4, -4, 3, 4, 5));
  EXPECT_GT(x.version(), v0);
}

TEST(MaskedFill, Errors) {
  Tensor x = zeros({2, 3});
  expect_error([&] { masked_fill(x, zeros({3}), 1); }, {"[masked_fill]", "bool", "float32"});
  expect_error([&] { masked_fill(x, from_vector<bool>({true, false}, {2}), 1); }, {"masked_fill", "(2, 3)", "(2,)"});
  expect_error(
      [&] {
        x.masked_fill_(from_vector<bool>({true, false, true, false, true, false}, {2, 1, 3}), 1);
      },
      {"[masked_fill_]", "(2, 1, 3)", "(2, 3)"});
  Tensor leaf = zeros({3}).requires_grad_();
  expect_error(
      [&] {
        leaf.masked_fill_(from_vector<bool>({true, false, true}, {3}), 1);
      },
      {"[masked_fill_]", "leaf", "(3,)"});
  Tensor saved = zeros({3}).requires_grad_();
  Tensor y = saved * 2.0;
  expect_error([&] { y.masked_fill_(from_vector<bool>({true, false, true}, {3}), 1); }, {"[masked_fill_]", "graph"});
}

// ---------------- one_hot ----------------

TEST(OneHot, InferredAndGivenClasses) {
  Tensor y = one_hot(idx({0, 2, 1}));
  EXPECT_EQ(y.dtype(), kInt64);
  EXPECT_EQ(y.shape(), Shape({3, 3}));
  EXPECT_THAT(y.to_vector<int64_t>(), ElementsAre(1, 0, 0, 0, 0, 1, 0, 1, 0));
  Tensor z = one_hot(idx({1, 3, 0, 0}, {2, 2}).t(), 4);  // [[1, 0], [3, 0]]
  EXPECT_EQ(z.shape(), Shape({2, 2, 4}));
  EXPECT_THAT(z.to_vector<int64_t>(), ElementsAre(0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0));
  EXPECT_THAT(one_hot(full({}, 2.0, TensorOptions(kInt64)), 4).to_vector<int64_t>(), ElementsAre(0, 0, 1, 0));
  EXPECT_EQ(one_hot(from_vector<int64_t>({}, {0}), 3).shape(), Shape({0, 3}));
}

TEST(OneHot, Errors) {
  expect_error([&] { one_hot(idx({0, -1})); }, {"[one_hot]", "non-negative", "-1"});
  expect_error([&] { one_hot(idx({0, 3}), 3); }, {"[one_hot]", "class value 3", "num_classes 3"});
  expect_error([&] { one_hot(from_vector<int64_t>({}, {0})); }, {"[one_hot]", "empty", "(0,)"});
  expect_error([&] { one_hot(tensor({1.0})); }, {"[one_hot]", "int64", "float32"});
}
