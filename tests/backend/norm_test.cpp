// The norm family on the ref backend against cpu: softmax / log_softmax, nll_loss and cross_entropy (weights,
// ignore_index, label smoothing, every reduction, (N, C, d) inputs), batch norm (training, and synchronised with
// one replica) and layer norm, in float64 with gradients and in float32.
#include "backend/norm.h"

#include <gtest/gtest.h>

#include "backend_check.h"

namespace strata {
namespace {

using backend::Family;
using testing::BackendCheck;
using testing::expect_backends_agree;

BackendCheck f64() { return {}; }
BackendCheck f32() { return testing::outputs_within(2e-5); }

// The ref backend against cpu for one case (expect_backends_agree makes fresh leaves of the inputs).
void agree(const std::string& name, const std::function<Tensor(const TensorList&)>& fn, const TensorList& xs,
           const BackendCheck& o = {}) {
  expect_backends_agree(name, fn, xs, kRef, {Family::Norm}, o);
}

Tensor rnd(const Shape& s, DType t, uint64_t seed, bool grad = true) {
  Generator g(seed);
  Tensor x = randn(s, TensorOptions(t), &g);
  return grad ? x.requires_grad_(true) : x;
}

void softmax_cases(DType t, const BackendCheck& o) {
  const std::string sfx = t == kFloat64 ? "" : "_f32";
  Tensor x = rnd({3, 5, 4}, t, 1, t == kFloat64);
  for (int64_t d : {0, 1, -1}) {
    const std::string dn = std::to_string(d);
    agree(
        "softmax" + dn + sfx, [d](const TensorList& v) { return softmax(v[0], d); }, {x}, o);
    agree(
        "log_softmax" + dn + sfx, [d](const TensorList& v) { return log_softmax(v[0], d); }, {x}, o);
  }
  // A strided input (transposed) and an empty one.
  agree(
      "softmax_strided" + sfx, [](const TensorList& v) { return softmax(v[0].transpose(0, 2), 1); }, {x}, o);
}

TEST(BackendNorm, SoftmaxFloat64) { softmax_cases(kFloat64, f64()); }
TEST(BackendNorm, SoftmaxFloat32) { softmax_cases(kFloat32, f32()); }

TEST(BackendNorm, SoftmaxEmpty) {
  Tensor e = zeros({0, 4}, TensorOptions(kFloat64).with_device(kRef));
  EXPECT_EQ(softmax(e, 1).device(), kRef);
  EXPECT_EQ(log_softmax(e, 0).shape(), Shape({0, 4}));
}

void loss_cases(DType t, const BackendCheck& o) {
  const std::string sfx = t == kFloat64 ? "" : "_f32";
  const bool g = t == kFloat64;
  Tensor x2 = rnd({6, 5}, t, 2, g), x3 = rnd({4, 5, 3}, t, 3, g), x1 = rnd({5}, t, 4, g);
  Generator gw(5);
  Tensor w = rand({5}, TensorOptions(t), &gw) * 1.5 + 0.5;
  const Tensor t2 = tensor({0, 4, -100, 2, 2, 1}, TensorOptions(kInt64));
  const Tensor t3 = tensor({{0, 4, 1}, {-100, 2, 3}, {1, 1, 0}, {4, 3, -100}}, TensorOptions(kInt64));
  const Tensor t1 = scalar_tensor(3, TensorOptions(kInt64));
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    const std::string rn = std::to_string(static_cast<int>(r)) + sfx;
    agree(
        "nll2_" + rn, [&](const TensorList& v) { return nll_loss(v[0], t2, v[1], r); }, {x2, w}, o);
    agree(
        "nll3_" + rn, [&](const TensorList& v) { return nll_loss(v[0], t3, Tensor(), r); }, {x3}, o);
    agree(
        "nll1_" + rn, [&](const TensorList& v) { return nll_loss(v[0], t1, Tensor(), r); }, {x1}, o);
    agree(
        "ce2_" + rn, [&](const TensorList& v) { return cross_entropy(v[0], t2, v[1], r); }, {x2, w}, o);
    agree(
        "ce2_smooth_" + rn, [&](const TensorList& v) { return cross_entropy(v[0], t2, v[1], r, -100, 0.2); }, {x2, w},
        o);
    agree(
        "ce3_smooth_" + rn, [&](const TensorList& v) { return cross_entropy(v[0], t3, Tensor(), r, -100, 0.1); }, {x3},
        o);
    agree(
        "ce3_w_" + rn, [&](const TensorList& v) { return cross_entropy(v[0], t3, v[1], r); }, {x3, w}, o);
  }
  // A strided (transposed) input.
  agree(
      "ce_strided" + sfx,
      [&](const TensorList& v) {
        return cross_entropy(v[0].t(), tensor({0, 1, 5, 2, 3}, TensorOptions(kInt64)));
      },
      {x2}, o);
}

TEST(BackendNorm, LossesFloat64) { loss_cases(kFloat64, f64()); }
TEST(BackendNorm, LossesFloat32) { loss_cases(kFloat32, f32()); }

TEST(BackendNorm, LossTargetOutOfRangeIsAnErrorOnRef) {
  Tensor x = zeros({2, 3}, TensorOptions(kFloat64).with_device(kRef));
  Tensor tg = tensor({0, 3}, TensorOptions(kInt64).with_device(kRef));
  EXPECT_THROW(cross_entropy(x, tg), Error);
  EXPECT_THROW(nll_loss(x, tg), Error);
}

void norm_layer_cases(DType t, const BackendCheck& o) {
  const std::string sfx = t == kFloat64 ? "" : "_f32";
  const bool g = t == kFloat64;
  Tensor x4 = rnd({3, 4, 5, 2}, t, 6, g), x2 = rnd({7, 4}, t, 7, g);
  Tensor w = rnd({4}, t, 8, g), b = rnd({4}, t, 9, g);
  auto bn = [](const TensorList& v) { return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true); };
  agree("batch_norm4" + sfx, bn, {x4, w, b}, o);
  agree("batch_norm2" + sfx, bn, {x2, w, b}, o);
  agree(
      "batch_norm_no_affine" + sfx,
      [](const TensorList& v) { return batch_norm(v[0], Tensor(), Tensor(), Tensor(), Tensor(), true); }, {x4}, o);
  agree(
      "batch_norm_strided" + sfx,
      [](const TensorList& v) { return batch_norm(v[0].transpose(2, 3), Tensor(), Tensor(), v[1], v[2], true); },
      {x4, w, b}, o);
  const ReplicaSum one = [](std::vector<double>&) {};
  agree(
      "sync_batch_norm" + sfx,
      [&one](const TensorList& v) { return sync_batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], 0.1, 1e-5, one); },
      {x4, w, b}, o);
  Tensor lw = rnd({5, 2}, t, 10, g), lb = rnd({5, 2}, t, 11, g);
  agree(
      "layer_norm" + sfx,
      [](const TensorList& v) {
        return layer_norm(v[0], {5, 2}, v[1], v[2]);
      },
      {x4, lw, lb}, o);
  agree(
      "layer_norm_plain" + sfx, [](const TensorList& v) { return layer_norm(v[0], {4}); }, {x2}, o);
  agree(
      "layer_norm_strided" + sfx,
      [](const TensorList& v) { return layer_norm(v[0].t(), {7}, Tensor(), Tensor(), 1e-3); }, {x2}, o);
}

TEST(BackendNorm, BatchAndLayerNormFloat64) { norm_layer_cases(kFloat64, f64()); }
TEST(BackendNorm, BatchAndLayerNormFloat32) { norm_layer_cases(kFloat32, f32()); }

TEST(BackendNorm, EmptyLayerNormStaysOnRef) {
  Tensor e = zeros({0, 4}, TensorOptions(kFloat64).with_device(kRef));
  EXPECT_EQ(layer_norm(e, {4}).device(), kRef);
}

}  // namespace
}  // namespace strata
