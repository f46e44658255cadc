// The index family on ref against cpu: index_select, index_add, gather, scatter_add, embedding, masked_fill,
// one_hot, and the joins (cat, stack, pad) that now run on any device.
#include <gtest/gtest.h>

#include "backend_check.h"

namespace strata {
namespace {

using backend::Family;
using testing::BackendCheck;
using testing::expect_backends_agree;

Tensor rnd(const Shape& s, DType t, uint64_t seed, bool grad = true) {
  Generator g(seed);
  Tensor x = randn(s, TensorOptions(t), &g);
  if (grad) x.requires_grad_(true);
  return x;
}

Tensor idx(const std::vector<int64_t>& v, const Shape& s = {}) { return from_vector(v, s); }

BackendCheck f32() { return {1e-6, 1e-5, true}; }  // float32 with its gradients

class IndexBackends : public ::testing::TestWithParam<DType> {
 protected:
  DType t() const { return GetParam(); }
  BackendCheck opts() const { return t() == kFloat32 ? f32() : BackendCheck{}; }
};

TEST_P(IndexBackends, IndexSelect) {
  Tensor x = rnd({4, 5, 3}, t(), 1);
  expect_backends_agree(
      "index_select", [](const TensorList& in) { return index_select(in[0], 1, in[1]); }, {x, idx({4, 0, 0, 2})}, kRef,
      {Family::Index}, opts());
  // A transposed input and a strided (every other) index.
  Tensor y = rnd({6, 4}, t(), 2);
  expect_backends_agree(
      "index_select strided", [](const TensorList& in) { return index_select(in[0].t(), 0, in[1].slice(0, 0, 6, 2)); },
      {y, idx({3, 3, 1, 0, 2, 1})}, kRef, {Family::Index}, opts());
}

TEST_P(IndexBackends, IndexAdd) {
  Tensor x = rnd({5, 3}, t(), 3), src = rnd({4, 3}, t(), 4);
  expect_backends_agree(
      "index_add", [](const TensorList& in) { return index_add(in[0], 0, in[1], in[2]); }, {x, idx({1, 4, 1, 0}), src},
      kRef, {Family::Index}, opts());
}

TEST_P(IndexBackends, GatherAndScatterAdd) {
  Tensor x = rnd({3, 5}, t(), 5);
  expect_backends_agree(
      "gather", [](const TensorList& in) { return gather(in[0], 1, in[1]); },
      {x, idx({0, 4, 4, 1, 2, 2, 3, 0, 1}, {3, 3})}, kRef, {Family::Index}, opts());
  Tensor y = rnd({4, 3}, t(), 6), src = rnd({3, 3}, t(), 7);
  expect_backends_agree(
      "scatter_add", [](const TensorList& in) { return scatter_add(in[0], 0, in[1], in[2]); },
      {y, idx({3, 0, 3, 1, 1, 0}, {2, 3}), src}, kRef, {Family::Index}, opts());
}

TEST_P(IndexBackends, Embedding) {
  Tensor w = rnd({6, 4}, t(), 8);
  expect_backends_agree(
      "embedding", [](const TensorList& in) { return embedding(in[0], in[1], /*padding_idx=*/2); },
      {w, idx({2, 5, 0, 5, 2, 1}, {2, 3})}, kRef, {Family::Index}, opts());
}

TEST_P(IndexBackends, MaskedFill) {
  Tensor x = rnd({3, 4}, t(), 9);
  Tensor mask = from_vector(std::vector<bool>{true, false, false, true}, {4});  // broadcast over rows
  expect_backends_agree(
      "masked_fill", [](const TensorList& in) { return masked_fill(in[0], in[1], -2.5); }, {x, mask}, kRef,
      {Family::Index}, opts());
  Tensor y = rnd({2, 3}, t(), 10, /*grad=*/false);
  Tensor m2 = from_vector(std::vector<bool>{false, true, true, false, false, true}, {2, 3});
  expect_backends_agree(
      "masked_fill_",
      [](const TensorList& in) {
        Tensor c = in[0].clone();
        c.masked_fill_(in[1], 7.0);
        return c;
      },
      {y, m2}, kRef, {Family::Index}, opts());
}

TEST_P(IndexBackends, Joins) {
  // Fresh inputs for every check: the cpu inputs' gradients accumulate.
  auto a = [&] { return rnd({2, 3}, t(), 11); };
  expect_backends_agree(
      "cat",
      [](const TensorList& in) {
        return cat({in[0], in[1], in[2]}, 1);
      },
      {a(), rnd({2, 1}, t(), 12), rnd({2, 3}, t(), 13)}, kRef, {Family::Copy}, opts());
  expect_backends_agree(
      "stack",
      [](const TensorList& in) {
        return stack({in[0], in[1].t().t(), in[0]}, 1);
      },
      {a(), rnd({2, 3}, t(), 13)}, kRef, {Family::Copy}, opts());
  expect_backends_agree(
      "pad",
      [](const TensorList& in) {
        return pad(in[0], {1, -1, 2, 0}, 0.5);
      },
      {a()}, kRef, {Family::Copy}, opts());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, IndexBackends, ::testing::Values(kFloat64, kFloat32),
                         [](const ::testing::TestParamInfo<DType>& p) { return p.param == kFloat64 ? "f64" : "f32"; });

TEST(IndexBackends, OneHot) {
  expect_backends_agree("one_hot", [](const TensorList& in) { return one_hot(in[0], 5); }, {idx({3, 0, 4, 3}, {2, 2})},
                        kRef, {Family::Index});
  expect_backends_agree("one_hot inferred", [](const TensorList& in) { return one_hot(in[0]); }, {idx({1, 6, 2})}, kRef,
                        {Family::Index});
  Tensor bad = idx({1, -2}).to(kRef);
  EXPECT_THROW(one_hot(bad, 3), Error);
}

TEST(IndexBackends, OutOfRangeIsCaughtOnRef) {
  Tensor x = rnd({3, 2}, kFloat64, 14, false).to(kRef);
  Tensor i = idx({0, 3}).to(kRef);
  try {
    index_select(x, 0, i);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[index_select] index 3 is out of range for dim 0 with size 3"),
              std::string::npos)
        << e.what();
  }
}

TEST(IndexBackends, IntegerAndEmpty) {
  Tensor x = from_vector(std::vector<int64_t>{5, 6, 7, 8, 9, 10}, {2, 3});
  expect_backends_agree("index_add int64", [](const TensorList& in) { return index_add(in[0], 1, in[1], in[0]); },
                        {x, idx({2, 2, 0})}, kRef, {Family::Index});
  Tensor e = rnd({0, 3}, kFloat64, 15);
  expect_backends_agree("gather empty", [](const TensorList& in) { return gather(in[0], 1, in[1]); },
                        {e, from_vector(std::vector<int64_t>{}, {0, 2})}, kRef, {Family::Index});
}

}  // namespace
}  // namespace strata
