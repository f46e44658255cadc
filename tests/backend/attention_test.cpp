// The attention family on the ref backend agrees with the cpu backend: scaled_dot_product_attention without a
// mask, with additive and boolean masks, causal (short and blocked), 4-D heads and the returned weights, with
// gradients of q, k, v and an additive mask in float64, plus float32.
#include <gtest/gtest.h>

#include "backend_check.h"

namespace strata {
namespace {

using backend::Family;
using testing::BackendCheck;
using testing::expect_backends_agree;

Tensor rnd(const Shape& s, uint64_t seed, DType t = kFloat64, bool grad = true) {
  Generator g(seed);
  Tensor x = randn(s, TensorOptions(t), &g);
  if (grad) x.requires_grad_(true);
  return x;
}

Tensor sdpa3(const TensorList& in, bool causal) {
  return scaled_dot_product_attention(in[0], in[1], in[2], in.size() > 3 ? in[3] : Tensor(), 0.0, causal);
}

TEST(BackendAttention, NoMask) {
  expect_backends_agree("plain", [](const TensorList& in) { return sdpa3(in, false); },
                        {rnd({2, 5, 4}, 1), rnd({2, 6, 4}, 2), rnd({2, 6, 3}, 3)}, kRef, {Family::Attention});
  // (N, H, L, E) with permuted heads: the output is stored (N, L, H, Ev).
  expect_backends_agree("heads",
                        [](const TensorList& in) {
                          return scaled_dot_product_attention(transpose(in[0], 1, 2), transpose(in[1], 1, 2),
                                                              transpose(in[2], 1, 2));
                        },
                        {rnd({2, 5, 3, 4}, 4), rnd({2, 5, 3, 4}, 5), rnd({2, 5, 3, 2}, 6)}, kRef, {Family::Attention});
}

TEST(BackendAttention, Masks) {
  expect_backends_agree("additive mask with grad", [](const TensorList& in) { return sdpa3(in, false); },
                        {rnd({2, 4, 3}, 7), rnd({2, 5, 3}, 8), rnd({2, 5, 3}, 9), rnd({4, 5}, 10)}, kRef,
                        {Family::Attention});
  Tensor keep = gt(rnd({2, 1, 5}, 11, kFloat64, false), scalar_tensor(-0.5, TensorOptions(kFloat64)));
  expect_backends_agree(
      "bool mask", [keep](const TensorList& in) { return scaled_dot_product_attention(in[0], in[1], in[2], keep); },
      {rnd({2, 4, 3}, 12), rnd({2, 5, 3}, 13), rnd({2, 5, 3}, 14)}, kRef, {Family::Attention});
}

TEST(BackendAttention, Causal) {
  expect_backends_agree("causal short", [](const TensorList& in) { return sdpa3(in, true); },
                        {rnd({2, 5, 4}, 15), rnd({2, 5, 4}, 16), rnd({2, 5, 4}, 17)}, kRef, {Family::Attention});
  // Longer than one causal block (32 rows): the cpu kernel skips the masked triangle.
  expect_backends_agree("causal blocked", [](const TensorList& in) { return sdpa3(in, true); },
                        {rnd({1, 40, 3}, 18), rnd({1, 40, 3}, 19), rnd({1, 40, 2}, 20)}, kRef, {Family::Attention});
}

TEST(BackendAttention, WeightsAndFloat32) {
  expect_backends_agree("weights",
                        [](const TensorList& in) {
                          auto [o, w] = scaled_dot_product_attention_with_weights(in[0], in[1], in[2]);
                          return matmul(w, in[2]) + o;
                        },
                        {rnd({3, 4}, 21), rnd({5, 4}, 22), rnd({5, 4}, 23)}, kRef, {Family::Attention});
  expect_backends_agree("float32 causal masked", [](const TensorList& in) { return sdpa3(in, true); },
                        {rnd({2, 6, 8}, 24, kFloat32), rnd({2, 6, 8}, 25, kFloat32), rnd({2, 6, 8}, 26, kFloat32),
                         rnd({6, 6}, 27, kFloat32)},
                        kRef, {Family::Attention}, {1e-5, 1e-4, true});
}

}  // namespace
}  // namespace strata
