// The conv family on the ref backend agrees with the cpu backend: conv2d (stride, padding, dilation, groups,
// bias), conv_transpose2d, each pooling op and both upsampling modes, with gradients in float64, plus float32.
#include <gtest/gtest.h>

#include "backend_check.h"

namespace strata {
namespace {

using backend::Family;
using testing::BackendCheck;
using testing::expect_backends_agree;

Tensor rnd(const Shape& s, uint64_t seed, DType t = kFloat64) {
  Generator g(seed);
  return randn(s, TensorOptions(t), &g).requires_grad_(true);
}

const BackendCheck kF32{1e-4, 1e-4, true};

TEST(BackendConv, Conv2d) {
  expect_backends_agree("conv2d plain", [](const TensorList& in) { return conv2d(in[0], in[1], in[2]); },
                        {rnd({2, 3, 6, 5}, 1), rnd({4, 3, 3, 3}, 2), rnd({4}, 3)}, kRef, {Family::Conv});
  expect_backends_agree("conv2d stride padding dilation",
                        [](const TensorList& in) {
                          return conv2d(in[0], in[1], in[2], {2, 1}, {1, 2}, {2, 1});
                        },
                        {rnd({2, 2, 7, 6}, 4), rnd({3, 2, 2, 3}, 5), rnd({3}, 6)}, kRef, {Family::Conv});
  expect_backends_agree("conv2d groups no bias",
                        [](const TensorList& in) {
                          return conv2d(in[0], in[1], Tensor(), {1, 1}, {1, 1}, {1, 1}, 2);
                        },
                        {rnd({1, 4, 5, 5}, 7), rnd({6, 2, 3, 3}, 8)}, kRef, {Family::Conv});
  expect_backends_agree("conv2d pointwise unbatched", [](const TensorList& in) { return conv2d(in[0], in[1], in[2]); },
                        {rnd({3, 4, 4}, 9), rnd({2, 3, 1, 1}, 10), rnd({2}, 11)}, kRef, {Family::Conv});
  expect_backends_agree(
      "conv2d float32",
      [](const TensorList& in) {
        return conv2d(in[0], in[1], in[2], {1, 1}, {1, 1});
      },
      {rnd({2, 3, 8, 8}, 12, kFloat32), rnd({5, 3, 3, 3}, 13, kFloat32), rnd({5}, 14, kFloat32)}, kRef, {Family::Conv},
      kF32);
}

TEST(BackendConv, ConvTranspose2d) {
  expect_backends_agree("conv_transpose2d",
                        [](const TensorList& in) {
                          return conv_transpose2d(in[0], in[1], in[2], {2, 2}, {1, 0}, {1, 1});
                        },
                        {rnd({2, 3, 4, 3}, 15), rnd({3, 2, 3, 3}, 16), rnd({2}, 17)}, kRef, {Family::Conv});
  expect_backends_agree("conv_transpose2d groups dilation",
                        [](const TensorList& in) {
                          return conv_transpose2d(in[0], in[1], Tensor(), {1, 2}, {0, 1}, {0, 1}, 2, {2, 1});
                        },
                        {rnd({1, 4, 3, 4}, 18), rnd({4, 3, 2, 2}, 19)}, kRef, {Family::Conv});
  expect_backends_agree(
      "conv_transpose2d float32",
      [](const TensorList& in) {
        return conv_transpose2d(in[0], in[1], in[2], {2, 2});
      },
      {rnd({2, 4, 5, 5}, 20, kFloat32), rnd({4, 3, 2, 2}, 21, kFloat32), rnd({3}, 22, kFloat32)}, kRef, {Family::Conv},
      kF32);
}

TEST(BackendConv, Pooling) {
  expect_backends_agree("max_pool2d",
                        [](const TensorList& in) {
                          return max_pool2d(in[0], {3, 2}, {2, 1}, {1, 1}, {1, 1}, true);
                        },
                        {rnd({2, 3, 7, 6}, 23)}, kRef, {Family::Conv});
  expect_backends_agree("max_pool2d dilated unbatched",
                        [](const TensorList& in) {
                          return max_pool2d(in[0], {2, 2}, {1, 1}, {0, 0}, {2, 2});
                        },
                        {rnd({3, 6, 6}, 24)}, kRef, {Family::Conv});
  expect_backends_agree("max_pool2d indices",
                        [](const TensorList& in) {
                          return max_pool2d_with_indices(in[0], {2, 2}).second;
                        },
                        {rnd({1, 2, 5, 4}, 25)}, kRef, {Family::Conv}, {0, 0, false});
  expect_backends_agree("max_pool2d bfloat16",
                        [](const TensorList& in) {
                          return max_pool2d(in[0], {3, 3}, {2, 2}, {1, 1});
                        },
                        {rnd({2, 2, 6, 7}, 26, kFloat32).detach().to(kBFloat16).requires_grad_(true)}, kRef,
                        {Family::Conv}, {1e-2, 1e-2, true});
  expect_backends_agree("max_pool2d float16 disjoint",
                        [](const TensorList& in) {
                          return max_pool2d(in[0], {2, 2});
                        },
                        {rnd({2, 2, 6, 6}, 27, kFloat32).detach().to(kFloat16).requires_grad_(true)}, kRef,
                        {Family::Conv}, {1e-2, 1e-2, true});
  expect_backends_agree("avg_pool2d include pad",
                        [](const TensorList& in) {
                          return avg_pool2d(in[0], {3, 3}, {2, 2}, {1, 1}, true, true);
                        },
                        {rnd({2, 3, 7, 6}, 28)}, kRef, {Family::Conv});
  expect_backends_agree("avg_pool2d exclude pad",
                        [](const TensorList& in) {
                          return avg_pool2d(in[0], {2, 3}, {1, 2}, {1, 1}, false, false);
                        },
                        {rnd({1, 2, 5, 6}, 29)}, kRef, {Family::Conv});
  expect_backends_agree("adaptive_avg_pool2d",
                        [](const TensorList& in) {
                          return adaptive_avg_pool2d(in[0], {3, 4});
                        },
                        {rnd({2, 3, 7, 5}, 30)}, kRef, {Family::Conv});
  expect_backends_agree(
      "pooling float32",
      [](const TensorList& in) {
        return avg_pool2d(max_pool2d(in[0], {2, 2}, {1, 1}), {2, 2}) + adaptive_avg_pool2d(in[0], {2, 2}).sum();
      },
      {rnd({2, 3, 6, 6}, 31, kFloat32)}, kRef, {Family::Conv}, kF32);
}

TEST(BackendConv, Upsampling) {
  expect_backends_agree("nearest size",
                        [](const TensorList& in) {
                          return upsample_nearest2d(in[0], Size2{7, 5});
                        },
                        {rnd({2, 3, 4, 3}, 32)}, kRef, {Family::Conv});
  expect_backends_agree("nearest scale", [](const TensorList& in) { return upsample_nearest2d(in[0], 2.0, 1.5); },
                        {rnd({3, 4, 3}, 33)}, kRef, {Family::Conv});
  expect_backends_agree("bilinear",
                        [](const TensorList& in) {
                          return upsample_bilinear2d(in[0], Size2{7, 9});
                        },
                        {rnd({2, 2, 4, 5}, 34)}, kRef, {Family::Conv});
  expect_backends_agree("bilinear align corners scale",
                        [](const TensorList& in) { return upsample_bilinear2d(in[0], 1.7, 2.5, true); },
                        {rnd({1, 3, 5, 4}, 35)}, kRef, {Family::Conv});
  expect_backends_agree(
      "bilinear downsample float32",
      [](const TensorList& in) {
        return upsample_bilinear2d(in[0], Size2{3, 2});
      },
      {rnd({2, 2, 7, 5}, 36, kFloat32)}, kRef, {Family::Conv}, kF32);
}

}  // namespace
}  // namespace strata
