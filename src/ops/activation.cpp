// Activations: relu, leaky_relu, sigmoid, tanh, gelu (exact and tanh), softplus, silu, with their backward
// rules. float32 sigmoid/tanh/silu/gelu run the vectorised kernels of kernels/cpu/vec_math.h.
#include "strata/ops/activation.h"

#include <array>
#include <cmath>
#include <type_traits>

#include "kernels/cpu/vec_math.h"
#include "ops/helpers.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata {

namespace {
using autograd::NeedsGrad;

constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kGeluCoef = 0.044715;

// 1 / (1 + exp(-v)) without overflow, and accurate in the negative tail.
double sigmoid_scalar(double v) {
  const double e = std::exp(-std::abs(v));
  return (v >= 0 ? 1.0 : e) / (1.0 + e);
}
}  // namespace

// y = max(x, 0); nan stays nan. int64 stays int64.
Tensor relu(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "relu");
  STRATA_CHECK(x.defined(), "[relu] undefined tensor");
  STRATA_CHECK(x.dtype() != kBool, "[relu] not supported for bool tensors (shape ", x.shape(), ")");
  DType t = x.dtype() == kInt64 ? kInt64 : ops::float_compute_dtype(x.dtype());
  Tensor out = ops::map_unary("relu", x, t, [](auto v) {
    using T = decltype(v);
    return v < T(0) ? T(0) : v;
  });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "relu");
    autograd::record("relu", {x}, out, [so](const TensorList& g, const NeedsGrad&) {
      // dx = dy where y > 0, else 0 (0 at x = 0, as PyTorch): one fused pass, no mask tensor.
      return TensorList{ops::map_binary("relu_backward", so.get(), g[0], g[0].dtype(), [](auto y, auto dy) {
        using T = decltype(dy);
        return y > decltype(y)(0) ? dy : T(0);
      })};
    });
  }
  return out;
}

// y = x > 0 ? x : slope x
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  const profile::Scope prof_scope(profile::Kind::Forward, "leaky_relu");
  // The slope is held in the compute type: converting the captured double inside the loop measured 10 ns per
  // element (20x relu's time on a (64, 64, 14, 14) float32 input; now level with relu).
  const float slope_f = static_cast<float>(negative_slope);
  Tensor out = ops::map_float("leaky_relu", x, [slope_f, negative_slope](auto v) {
    using T = decltype(v);
    const T s = std::is_same_v<T, float> ? T(slope_f) : T(negative_slope);
    return v > T(0) ? v : v * s;
  });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "leaky_relu");
    autograd::record("leaky_relu", {x}, out, [sx, slope_f, negative_slope](const TensorList& g, const NeedsGrad&) {
      // dx = dy where x > 0, else slope dy (the slope at x = 0): one fused pass, no mask tensor.
      return TensorList{ops::map_binary("leaky_relu_backward", sx.get(), g[0], g[0].dtype(),
                                        [slope_f, negative_slope](auto xv, auto dy) {
                                          using T = decltype(dy);
                                          const T s = std::is_same_v<T, float> ? T(slope_f) : T(negative_slope);
                                          return xv > decltype(xv)(0) ? dy : dy * s;
                                        })};
    });
  }
  return out;
}

// y = 1 / (1 + exp(-x)); dy/dx = y (1 - y)
Tensor sigmoid(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "sigmoid");
  Tensor out = ops::map_float_array("sigmoid", x, kernels::cpu::vec::sigmoid, sigmoid_scalar);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "sigmoid");
    autograd::record("sigmoid", {x}, out, [so](const TensorList& g, const NeedsGrad&) {
      Tensor y = so.get();
      return TensorList{mul(g[0], mul(y, rsub(y, 1.0)))};
    });
  }
  return out;
}

// dy/dx = 1 - y^2
Tensor tanh(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "tanh");
  Tensor out = ops::map_float_array("tanh", x, kernels::cpu::vec::tanh, [](double v) { return std::tanh(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "tanh");
    autograd::record("tanh", {x}, out, [so](const TensorList& g, const NeedsGrad&) {
      return TensorList{mul(g[0], rsub(square(so.get()), 1.0))};
    });
  }
  return out;
}

Tensor gelu(const Tensor& x, std::string_view approximate) {
  const profile::Scope prof_scope(profile::Kind::Forward, "gelu");
  STRATA_CHECK(approximate == "none" || approximate == "tanh",
               "[gelu] approximate must be \"none\" or \"tanh\", got \"", approximate, "\"");
  STRATA_CHECK(x.defined(), "[gelu] undefined tensor");
  const bool use_tanh = approximate == "tanh";
  Tensor out;
  if (use_tanh) {
    // 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): the same function, without
    // the cancellation of 1 + tanh(u) in the negative tail.
    out = ops::map_float_array("gelu", x, kernels::cpu::vec::gelu_tanh, [](double v) {
      return v * sigmoid_scalar(2.0 * kSqrt2OverPi * (v + kGeluCoef * v * v * v));
    });
  } else {
    // x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 (= (1 + erf(x / sqrt 2)) / 2, accurate in the tail)
    out = ops::map_float_array("gelu", x, kernels::cpu::vec::gelu,
                               [](double v) { return v * 0.5 * std::erfc(-v * kSqrt1_2); });
  }
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "gelu");
    autograd::record("gelu", {x}, out, [sx, use_tanh](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor x2 = square(xv);
      if (use_tanh) {
        // d/dx [x s(2u)] = s + x s (1 - s) 2u', with 2u' = 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        Tensor two_u = mul(mul(xv, add(mul(x2, kGeluCoef), 1.0)), 2.0 * kSqrt2OverPi);
        Tensor s = sigmoid(two_u);
        Tensor two_du = mul(add(mul(x2, 3.0 * kGeluCoef), 1.0), 2.0 * kSqrt2OverPi);
        Tensor d = add(s, mul(mul(xv, mul(s, rsub(s, 1.0))), two_du));
        return TensorList{mul(g[0], d)};
      }
      // float32: one fused pass (vec::gelu_backward); the composite below made 10 passes over x (profile of the
      // GPT step, docs/performance.md "Profiling").
      if (xv.dtype() == kFloat32 && g[0].dtype() == kFloat32 && g[0].shape() == xv.shape()) {
        const Tensor xc = xv.contiguous(), dy = g[0].contiguous();
        Tensor dx = Tensor::empty(xc.shape(), kFloat32);
        auto plan = ops::binary_plan(dx, xc, dy);
        kernels::cpu::run<3>(
            plan,
            {static_cast<char*>(dx.raw_data()), static_cast<char*>(xc.raw_data()), static_cast<char*>(dy.raw_data())},
            {4, 4, 4}, [](const std::array<char*, 3>& p, const std::array<int64_t, 3>&, int64_t n) {
              kernels::cpu::vec::gelu_backward(reinterpret_cast<float*>(p[0]), reinterpret_cast<const float*>(p[1]),
                                               reinterpret_cast<const float*>(p[2]), n);
            });
        return TensorList{dx};
      }
      // Phi(x) + x phi(x), Phi(x) = erfc(-x / sqrt 2) / 2
      Tensor cdf = mul(erfc(mul(xv, -kSqrt1_2)), 0.5);
      Tensor pdf = mul(exp(mul(x2, -0.5)), kInvSqrt2Pi);
      return TensorList{mul(g[0], add(cdf, mul(xv, pdf)))};
    });
  }
  return out;
}

// y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold; dy/dx = sigmoid(beta x) (1 there).
Tensor softplus(const Tensor& x, double beta, double threshold) {
  const profile::Scope prof_scope(profile::Kind::Forward, "softplus");
  Tensor out = ops::map_float("softplus", x, [beta, threshold](auto v) {
    using T = decltype(v);
    const T bx = v * static_cast<T>(beta);
    return bx > static_cast<T>(threshold) ? v : std::log1p(std::exp(bx)) / static_cast<T>(beta);
  });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "softplus");
    autograd::record("softplus", {x}, out, [sx, beta, threshold](const TensorList& g, const NeedsGrad&) {
      Tensor bx = mul(sx.get(), beta);
      return TensorList{where(gt(bx, threshold), g[0], mul(g[0], sigmoid(bx)))};
    });
  }
  return out;
}

// y = x sigmoid(x); dy/dx = s (1 + x (1 - s))
Tensor silu(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "silu");
  Tensor out = ops::map_float_array("silu", x, kernels::cpu::vec::silu, [](double v) { return v * sigmoid_scalar(v); });
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "silu");
    autograd::record("silu", {x}, out, [sx](const TensorList& g, const NeedsGrad&) {
      Tensor xv = sx.get();
      Tensor s = sigmoid(xv);
      return TensorList{mul(g[0], mul(s, add(mul(xv, rsub(s, 1.0)), 1.0)))};
    });
  }
  return out;
}

Tensor Tensor::relu() const { return strata::relu(*this); }
Tensor Tensor::sigmoid() const { return strata::sigmoid(*this); }
Tensor Tensor::tanh() const { return strata::tanh(*this); }

}  // namespace strata
