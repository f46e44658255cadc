// Arithmetic: add, sub, mul, div, neg with broadcasting, their scalar forms and operators, in-place
// updates, and sum_to (the reduction that undoes broadcasting in every backward).
#include "backend/functors.h"
#include "ops/helpers.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::BinaryOp;
using backend::OpParams;
using backend::UnaryOp;
using ops::scalar_like;
}  // namespace

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const size_t lead = x.shape().size() - shape.size();
  Dims dims;
  for (size_t i = 0; i < x.shape().size(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1)) dims.push_back(static_cast<int64_t>(i));
  }
  Tensor r = dims.empty() ? x : sum(x, dims, true);
  return reshape(r, shape);
}

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  const profile::Scope prof_scope(profile::Kind::Forward, "add");
  Tensor out = alpha == 1.0 ? ops::arith_binary("add", a, b, BinaryOp::Add)
                            : ops::arith_binary("add", a, b, BinaryOp::AddScaled, OpParams{alpha});
  if (autograd::needs_grad({&a, &b})) {
    const Shape& sa = a.shape();
    const Shape& sb = b.shape();
    autograd::record("add", {a, b}, out, [sa, sb, alpha](const TensorList& g, const NeedsGrad& n) {
      return TensorList{n[0] ? sum_to(g[0], sa) : Tensor(),
                        n[1] ? sum_to(alpha == 1.0 ? g[0] : mul(g[0], alpha), sb) : Tensor()};
    });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, double alpha) { return add(a, b, -alpha); }

Tensor mul(const Tensor& a, const Tensor& b) {
  const profile::Scope prof_scope(profile::Kind::Forward, "mul");
  Tensor out = ops::arith_binary("mul", a, b, BinaryOp::Mul);
  if (autograd::needs_grad({&a, &b})) {
    autograd::SavedTensor sa(a, "mul"), sb(b, "mul");
    autograd::record("mul", {a, b}, out, [sa, sb](const TensorList& g, const NeedsGrad& n) {
      Tensor av = sa.get(), bv = sb.get();
      return TensorList{n[0] ? sum_to(mul(g[0], bv), av.shape()) : Tensor(),
                        n[1] ? sum_to(mul(g[0], av), bv.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  const profile::Scope prof_scope(profile::Kind::Forward, "div");
  Tensor out = ops::float_binary("div", a, b, BinaryOp::Div);
  if (autograd::needs_grad({&a, &b})) {
    autograd::SavedTensor sa(a, "div"), sb(b, "div");
    autograd::record("div", {a, b}, out, [sa, sb](const TensorList& g, const NeedsGrad& n) {
      Tensor av = sa.get(), bv = sb.get();
      Tensor ga = div(g[0], bv);
      // d(a/b)/db = -a / b^2 = -(g / b) * a / b
      return TensorList{n[0] ? sum_to(ga, av.shape()) : Tensor(),
                        n[1] ? sum_to(neg(div(mul(ga, av), bv)), bv.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor neg(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "neg");
  STRATA_CHECK(x.dtype() != kBool, "[neg] negation of a bool tensor is not supported; use logical_not");
  DType t = x.dtype() == kInt64 ? kInt64 : ops::float_compute_dtype(x.dtype());
  Tensor out = ops::map_unary("neg", x, t, UnaryOp::Neg);
  if (autograd::needs_grad({&x})) {
    autograd::record("neg", {x}, out, [](const TensorList& g, const NeedsGrad&) { return TensorList{neg(g[0])}; });
  }
  return out;
}

Tensor add(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor sub(const Tensor& a, double b) { return add(a, scalar_like(a, -b)); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor div(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor rsub(const Tensor& a, double b) { return add(neg(a), b); }
Tensor rdiv(const Tensor& a, double b) { return div(scalar_like(a, b), a); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return rsub(b, a); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return rdiv(b, a); }
Tensor operator-(const Tensor& x) { return neg(x); }

Tensor Tensor::neg() const { return strata::neg(*this); }

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  ops::check_inplace("add_", *this);
  if (alpha == 1.0) {
    ops::update_binary("add_", *this, other, BinaryOp::Add);
  } else {
    ops::update_binary("add_", *this, other, BinaryOp::AddScaled, OpParams{alpha});
  }
  return *this;
}
Tensor& Tensor::add_(double v) { return add_(full({}, v, TensorOptions(kFloat64))); }
Tensor& Tensor::sub_(const Tensor& other) { return add_(other, -1.0); }
Tensor& Tensor::mul_(const Tensor& other) {
  ops::check_inplace("mul_", *this);
  ops::update_binary("mul_", *this, other, BinaryOp::Mul);
  return *this;
}
Tensor& Tensor::mul_(double v) { return mul_(full({}, v, TensorOptions(kFloat64))); }
Tensor& Tensor::div_(const Tensor& other) {
  ops::check_inplace("div_", *this);
  STRATA_CHECK(is_floating(dtype()), "[div_] in-place division needs a float tensor, got ", dtype());
  ops::update_binary("div_", *this, other, BinaryOp::Div);
  return *this;
}
Tensor& Tensor::div_(double v) { return div_(full({}, v, TensorOptions(kFloat64))); }

}  // namespace strata
