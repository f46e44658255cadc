// The dtype policy for float16/bfloat16 (16-bit in, 16-bit out, float32 inside) over the whole op table, and
// autocast's op lists. Every table row runs on bfloat16 and float16 inputs and is compared with the same row on
// the float32 values of those inputs: the result keeps the 16-bit dtype and differs only by 16-bit rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "op_table.h"
#include "strata/autograd/autocast.h"
#include "strata/strata.h"

namespace strata {
namespace {

using testing::OpCase;

double max_abs(const Tensor& t) { return t.numel() == 0 ? 0.0 : amax(abs(t.to(kFloat64))).item(); }
double max_diff(const Tensor& a, const Tensor& b) {
  return a.numel() == 0 ? 0.0 : amax(abs(sub(a.to(kFloat64), b.to(kFloat64)))).item();
}

// Runs every table row on `low` inputs; returns the rows that failed, with the reason.
std::string table_failures(DType low, double tol) {
  std::ostringstream bad;
  for (const OpCase& c : testing::op_table()) {
    TensorList in64 = testing::make_case_inputs(c);
    TensorList in_low, in_f32;
    {
      NoGradGuard no_grad;
      for (const Tensor& x : in64) {
        Tensor l = x.to(low);
        in_low.push_back(l.clone().requires_grad_(c.gradcheck));
        in_f32.push_back(l.to(kFloat32).requires_grad_(c.gradcheck));
      }
    }
    try {
      Tensor y_low = c.fn(in_low), y32 = c.fn(in_f32);
      if (!is_floating(y32.dtype())) {
        if (max_diff(y_low, y32) != 0) bad << c.name << ": integer/bool result differs\n";
        continue;
      }
      // Float32 constants captured by a row may widen its result; a 16-bit-only row must stay 16-bit.
      if (y_low.dtype() != low && y_low.dtype() != kFloat32)
        bad << c.name << ": result dtype " << y_low.dtype() << "\n";
      const double scale = std::max(1.0, max_abs(y32));
      if (!(max_diff(y_low, y32) <= tol * scale)) {
        bad << c.name << ": forward differs by " << max_diff(y_low, y32) << " (scale " << scale << ")\n";
      }
      if (!c.gradcheck) continue;
      sum(y_low.to(kFloat32)).backward();
      sum(y32).backward();
      for (size_t i = 0; i < in_low.size(); ++i) {
        const Tensor gl = in_low[i].grad(), g32 = in_f32[i].grad();
        if (!g32.defined()) continue;
        if (!gl.defined()) {
          bad << c.name << ": no gradient for input " << i << "\n";
          continue;
        }
        if (gl.dtype() != low) bad << c.name << ": gradient dtype " << gl.dtype() << "\n";
        const double gs = std::max(1.0, max_abs(g32));
        if (!(max_diff(gl, g32) <= 2 * tol * gs)) {
          bad << c.name << ": gradient " << i << " differs by " << max_diff(gl, g32) << " (scale " << gs << ")\n";
        }
      }
    } catch (const Error& e) {
      bad << c.name << ": " << e.what() << "\n";
    }
  }
  return bad.str();
}

// bfloat16 keeps 8 significant bits (relative rounding 2^-9), float16 11; composite rows round several times.
TEST(LowPrecision, EveryOpTableRowRunsInBFloat16) { EXPECT_EQ(table_failures(kBFloat16, 0.05), ""); }
TEST(LowPrecision, EveryOpTableRowRunsInFloat16) { EXPECT_EQ(table_failures(kFloat16, 0.01), ""); }

TEST(LowPrecision, ElementwiseRoundsOnceFromFloat32) {
  Tensor x = randn({257}, TensorOptions(kFloat32)).to(kBFloat16);  // odd length: vector body and tail
  Tensor x32 = x.to(kFloat32);
  for (auto [name, y, ref] : {std::tuple{"relu", relu(x), relu(x32)}, std::tuple{"exp", exp(x), exp(x32)},
                              std::tuple{"tanh", tanh(x), tanh(x32)}, std::tuple{"mul", mul(x, x), mul(x32, x32)}}) {
    EXPECT_EQ(y.dtype(), kBFloat16) << name;
    EXPECT_EQ(max_diff(y, ref.to(kBFloat16)), 0.0) << name;
  }
}

TEST(LowPrecision, ScalarsDoNotWidenAndAreNotRoundedFirst) {
  Tensor x = tensor({1.0, 3.0, -7.0}).to(kBFloat16);
  Tensor y = mul(x, 0.1);
  EXPECT_EQ(y.dtype(), kBFloat16);
  // 3 * 0.1f rounded once (0.30078125), not 3 * bf16(0.1) = 3 * 0.10009765625 rounded (0.30078125 too) — use 7:
  // -7 * 0.1f = -0.7 -> bf16 -0.69921875; -7 * bf16(0.1) = -0.70068359375 -> bf16 -0.69921875 as well, so
  // check against the float32 product directly.
  EXPECT_EQ(max_diff(y, mul(x.to(kFloat32), 0.1).to(kBFloat16)), 0.0);
  // A tensor with dims of another float dtype promotes as usual.
  EXPECT_EQ(add(x, tensor({1.0, 2.0, 3.0})).dtype(), kFloat32);
  EXPECT_EQ(add(x, x.to(kFloat16)).dtype(), kFloat32);
  EXPECT_EQ(add(x, 1.0).dtype(), kBFloat16);
}

TEST(LowPrecision, MatmulAccumulatesInFloat32) {
  Generator gen(3);
  // K = 4096 ones: a 16-bit accumulator would stop at 256 (bfloat16) or 2048 (float16).
  for (DType t : {kBFloat16, kFloat16}) {
    Tensor a = ones({3, 4096}, TensorOptions(t)), b = ones({4096, 5}, TensorOptions(t));
    Tensor y = matmul(a, b);
    EXPECT_EQ(y.dtype(), t);
    EXPECT_EQ(y.to(kFloat32).at({2, 4}), 4096.0);
    Tensor x = randn({2, 7, 33}, TensorOptions(kFloat32), &gen).to(t), w = randn({33, 9}, {}, &gen).to(t);
    const Tensor ref = matmul(x.to(kFloat32), w.to(kFloat32));
    // One rounding of the float32 sum: at most half an ulp of the 16-bit type.
    const Tensor err = abs(sub(matmul(x, w).to(kFloat32), ref));
    EXPECT_LE(amax(sub(err, mul(abs(ref), t == kBFloat16 ? 1.0 / 256 : 1.0 / 2048))).item(), 0.0);
  }
}

TEST(LowPrecision, Float16OverflowsToInf) {
  Tensor x = tensor({60000.0}).to(kFloat16);
  EXPECT_TRUE(std::isinf(mul(x, 2.0).to(kFloat32).item()));
  EXPECT_EQ(mul(x, 2.0).dtype(), kFloat16);
}

TEST(LowPrecision, ConvolutionKeepsSixteenBitActivations) {
  Generator gen(5);
  Tensor x = randn({2, 3, 8, 8}, {}, &gen).to(kBFloat16).requires_grad_();
  Tensor w = randn({4, 3, 3, 3}, {}, &gen).to(kBFloat16).requires_grad_();
  Tensor y = conv2d(x, w, Tensor(), {1, 1}, {1, 1});
  EXPECT_EQ(y.dtype(), kBFloat16);
  sum(y.to(kFloat32)).backward();
  EXPECT_EQ(x.grad().dtype(), kBFloat16);
  EXPECT_EQ(w.grad().dtype(), kBFloat16);
}

TEST(Autocast, LinearRunsLowAndGradientsReachFloat32Weights) {
  Generator gen(7);
  nn::Linear fc(16, 4, true, kFloat32, &gen);
  Tensor x = randn({8, 16}, {}, &gen);
  Tensor y, loss;
  {
    AutocastGuard autocast(kBFloat16);
    y = fc(x);
    loss = nn::functional::mse_loss(y, zeros({8, 4}));
  }
  EXPECT_EQ(y.dtype(), kBFloat16);
  EXPECT_EQ(loss.dtype(), kFloat32);  // losses are on the float32 list
  loss.backward();
  EXPECT_EQ(fc.weight.grad().dtype(), kFloat32);
  // Against the float32 step: bfloat16's rounding, no more.
  Tensor g_low = fc.weight.grad().clone();
  fc.zero_grad();
  nn::functional::mse_loss(fc(x), zeros({8, 4})).backward();
  EXPECT_LE(max_diff(g_low, fc.weight.grad()), 0.03 * std::max(1.0, max_abs(fc.weight.grad())));
}

TEST(Autocast, FloatListOpsReturnFloat32AndOthersKeepTheirDtype) {
  Tensor x = randn({4, 10}).to(kBFloat16);
  {
    AutocastGuard autocast(kBFloat16);
    EXPECT_EQ(softmax(x, 1).dtype(), kFloat32);
    EXPECT_EQ(log_softmax(x, 1).dtype(), kFloat32);
    EXPECT_EQ(layer_norm(x, {10}, Tensor(), Tensor()).dtype(), kFloat32);
    EXPECT_EQ(sum(x).dtype(), kFloat32);
    EXPECT_EQ(relu(x).dtype(), kBFloat16);
    EXPECT_EQ(matmul(randn({2, 3}), randn({3, 2})).dtype(), kBFloat16);
    {
      AutocastGuard off(kBFloat16, false);
      EXPECT_EQ(matmul(randn({2, 3}), randn({3, 2})).dtype(), kFloat32);
    }
  }
  EXPECT_EQ(softmax(x, 1).dtype(), kBFloat16);  // outside autocast: 16-bit in, 16-bit out
  EXPECT_FALSE(autocast::is_enabled());
  EXPECT_THROW(AutocastGuard guard(kFloat64), Error);
}

TEST(Autocast, ParameterCopyIsMadeOncePerRegion) {
  nn::Linear fc(4, 4);
  Tensor x = randn({2, 4});
  AutocastGuard autocast(kFloat16);
  Tensor a = autocast::to_low(fc.weight), b = autocast::to_low(fc.weight);
  EXPECT_TRUE(a.is_same(b));
  EXPECT_EQ(a.dtype(), kFloat16);
  EXPECT_FALSE(autocast::to_low(x).is_same(autocast::to_low(x)));  // activations are not cached
}

}  // namespace
}  // namespace strata
