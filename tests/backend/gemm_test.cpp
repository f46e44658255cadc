// The GEMM family on the ref backend agrees with the cpu backend: matmul over every shape rule (vectors,
// batched broadcast, transposed and sliced operands), mm, bmm, addmm and linear, with gradients.
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

void matmul_case(const std::string& name, const Shape& sa, const Shape& sb) {
  expect_backends_agree(name, [](const TensorList& in) { return matmul(in[0], in[1]); }, {rnd(sa, 1), rnd(sb, 2)}, kRef,
                        {Family::Gemm});
}

TEST(BackendGemm, MatmulShapes) {
  matmul_case("vector . vector", {5}, {5});
  matmul_case("vector @ matrix", {4}, {4, 3});
  matmul_case("matrix @ vector", {3, 4}, {4});
  matmul_case("batched @ vector", {2, 3, 4}, {4});
  matmul_case("matrix @ matrix", {3, 4}, {4, 5});
  matmul_case("batched @ matrix", {2, 3, 4}, {4, 5});
  matmul_case("batched @ batched", {2, 3, 4}, {2, 4, 5});
  matmul_case("broadcast batch", {2, 1, 3, 4}, {3, 4, 2});
  matmul_case("matrix @ batched", {3, 4}, {2, 4, 5});
  matmul_case("empty inner", {3, 0}, {0, 2});
  matmul_case("empty batch", {0, 3, 4}, {0, 4, 2});
}

TEST(BackendGemm, TransposedAndSlicedOperands) {
  expect_backends_agree("a^T @ b^T", [](const TensorList& in) { return matmul(in[0].t(), in[1].t()); },
                        {rnd({4, 3}, 3), rnd({5, 4}, 4)}, kRef, {Family::Gemm});
  expect_backends_agree("batched transposes",
                        [](const TensorList& in) { return matmul(transpose(in[0], 1, 2), transpose(in[1], 0, 2)); },
                        {rnd({2, 4, 3}, 5), rnd({5, 4, 2}, 6)}, kRef, {Family::Gemm});
  // Every other column: no BLAS layout fits, the op copies.
  expect_backends_agree("strided columns", [](const TensorList& in) { return matmul(slice(in[0], 1, 0, 8, 2), in[1]); },
                        {rnd({3, 8}, 7), rnd({4, 2}, 8)}, kRef, {Family::Gemm});
}

TEST(BackendGemm, MmBmmAddmmLinear) {
  expect_backends_agree("mm", [](const TensorList& in) { return mm(in[0], in[1]); }, {rnd({3, 4}, 9), rnd({4, 2}, 10)},
                        kRef, {Family::Gemm});
  expect_backends_agree("bmm", [](const TensorList& in) { return bmm(in[0], in[1]); },
                        {rnd({3, 2, 4}, 11), rnd({3, 4, 5}, 12)}, kRef, {Family::Gemm});
  expect_backends_agree("addmm", [](const TensorList& in) { return addmm(in[0], in[1], in[2], 0.5, 2.0); },
                        {rnd({2}, 13), rnd({3, 4}, 14), rnd({4, 2}, 15)}, kRef, {Family::Gemm});
  expect_backends_agree("linear", [](const TensorList& in) { return linear(in[0], in[1], in[2]); },
                        {rnd({2, 3, 4}, 16), rnd({5, 4}, 17), rnd({5}, 18)}, kRef, {Family::Gemm});
  expect_backends_agree("linear without bias", [](const TensorList& in) { return linear(in[0], in[1]); },
                        {rnd({4}, 19), rnd({3, 4}, 20)}, kRef, {Family::Gemm});
}

TEST(BackendGemm, Float32AndHalf) {
  BackendCheck f32{1e-5, 1e-4, true};
  expect_backends_agree(
      "float32 broadcast matmul", [](const TensorList& in) { return matmul(in[0], in[1]); },
      {rnd({2, 1, 5, 7}, 21, kFloat32), rnd({3, 7, 6}, 22, kFloat32)}, kRef, {Family::Gemm}, f32);
  BackendCheck lowp{1e-2, 1e-2, false};
  expect_backends_agree(
      "bfloat16 matmul", [](const TensorList& in) { return matmul(in[0], in[1]); },
      {rnd({2, 3, 8}, 23, kFloat32, false).to(kBFloat16), rnd({8, 4}, 24, kFloat32, false).to(kBFloat16)}, kRef,
      {Family::Gemm}, lowp);
}

TEST(BackendGemm, MixedDevicesAreAnError) {
  Tensor a = ones({2, 2}, TensorOptions(kFloat64));
  Tensor b = ones({2, 2}, TensorOptions(kFloat64).with_device(kRef));
  try {
    matmul(a, b);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[matmul] expected all tensors on one device"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace strata
