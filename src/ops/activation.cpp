// Activations: relu, leaky_relu, sigmoid, tanh, gelu (exact and tanh), softplus, silu, with their backward
// rules. The cpu backend runs float32 sigmoid/tanh/silu/gelu (and gelu's backward) with vectorised kernels.
#include "strata/ops/activation.h"

#include "backend/functors.h"
#include "ops/helpers.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::BinaryOp;
using backend::OpParams;
using backend::UnaryOp;
using backend::fn::kGeluCoef;
using backend::fn::kInvSqrt2Pi;
using backend::fn::kSqrt1_2;
using backend::fn::kSqrt2OverPi;
}  // namespace

// y = max(x, 0); nan stays nan. int64 stays int64.
Tensor relu(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "relu");
  STRATA_CHECK(x.defined(), "[relu] undefined tensor");
  STRATA_CHECK(x.dtype() != kBool, "[relu] not supported for bool tensors (shape ", x.shape(), ")");
  DType t = x.dtype() == kInt64 ? kInt64 : ops::float_compute_dtype(x.dtype());
  Tensor out = ops::map_unary("relu", x, t, UnaryOp::Relu);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor so(out, "relu");
    autograd::record("relu", {x}, out, [so](const TensorList& g, const NeedsGrad&) {
      // dx = dy where y > 0, else 0 (0 at x = 0, as PyTorch): one fused pass, no mask tensor.
      return TensorList{ops::map_binary("relu_backward", so.get(), g[0], g[0].dtype(), BinaryOp::ReluBackward)};
    });
  }
  return out;
}

// y = x > 0 ? x : slope x
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  const profile::Scope prof_scope(profile::Kind::Forward, "leaky_relu");
  Tensor out = ops::map_float("leaky_relu", x, UnaryOp::LeakyRelu, OpParams{negative_slope});
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "leaky_relu");
    autograd::record("leaky_relu", {x}, out, [sx, negative_slope](const TensorList& g, const NeedsGrad&) {
      // dx = dy where x > 0, else slope dy (the slope at x = 0): one fused pass, no mask tensor.
      return TensorList{ops::map_binary("leaky_relu_backward", sx.get(), g[0], g[0].dtype(),
                                        BinaryOp::LeakyReluBackward, OpParams{negative_slope})};
    });
  }
  return out;
}

// y = 1 / (1 + exp(-x)); dy/dx = y (1 - y)
Tensor sigmoid(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "sigmoid");
  Tensor out = ops::map_float("sigmoid", x, UnaryOp::Sigmoid);
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
  Tensor out = ops::map_float("tanh", x, UnaryOp::Tanh);
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
  // tanh: x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3); exact: x Phi(x) (functors.h).
  Tensor out = ops::map_float("gelu", x, use_tanh ? UnaryOp::GeluTanh : UnaryOp::Gelu);
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
        return TensorList{
            ops::map_binary("gelu_backward", xv.contiguous(), g[0].contiguous(), kFloat32, BinaryOp::GeluBackward)};
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
  Tensor out = ops::map_float("softplus", x, UnaryOp::Softplus, OpParams{beta, threshold});
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
  Tensor out = ops::map_float("silu", x, UnaryOp::Silu);
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
