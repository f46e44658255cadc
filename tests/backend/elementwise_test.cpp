// The elementwise family on the ref backend against the cpu backend: every op of functors.h's lists called
// through both backends' kernels directly (each dtype it takes, strided and broadcast operands), then the public
// ops built on them (expect_backends_agree: float64 with gradients, float32, float16, int64, broadcast,
// transposed, 0-d and empty inputs).
#include "backend/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "backend_check.h"

namespace strata {
namespace {

using backend::BinaryOp;
using backend::CompareOp;
using backend::OpParams;
using backend::OpTypes;
using backend::UnaryOp;
using testing::BackendCheck;
using testing::expect_backends_agree;
using testing::expect_close_across;

const backend::ElementwiseKernels& cpu_k() { return backend::elementwise("test", kCPU); }
const backend::ElementwiseKernels& ref_k() { return backend::elementwise("test", kRef); }

// Tolerances per dtype: float64 runs the same functor on both; float32 compares the cpu's vectorised array
// kernels with std:: references; 16-bit results round once more.
BackendCheck tol(DType t) {
  BackendCheck c;
  if (t == kFloat32) c = {1e-6, 1e-5, true};
  if (t == kFloat16 || t == kBFloat16) c = {1e-3, 1e-2, true};
  return c;
}

std::vector<DType> dtypes_of(OpTypes k) {
  switch (k) {
    case OpTypes::Float: return {kFloat64, kFloat32, kFloat16, kBFloat16};
    case OpTypes::Numeric: return {kFloat64, kFloat32, kFloat16, kInt64};
    case OpTypes::All: return {kFloat64, kFloat32, kBFloat16, kInt64, kBool};
    case OpTypes::Int: return {kInt64};
  }
  return {};
}

// Values of dtype t with negatives and zeros: normal with sd 2 for floats, -4..4 for int64, a ninth false for
// bool.
Tensor values(const Shape& shape, DType t, Generator& gen) {
  if (t == kInt64 || t == kBool) return randint(-4, 5, shape, TensorOptions(kInt64), &gen).to(t);
  return mul(randn(shape, TensorOptions(kFloat64), &gen), 2.0).to(t);
}

// Integer-valued float64 in -2..2: comparisons with many ties.
Tensor ties(const Shape& shape, Generator& gen) {
  return randint(-2, 3, shape, TensorOptions(kInt64), &gen).to(kFloat64);
}

OpParams unary_params(UnaryOp op) {
  switch (op) {
    case UnaryOp::PowScalar: return {1.7};
    case UnaryOp::IPowScalar: return {3};
    case UnaryOp::Clamp: return {-0.5, 0.75};
    case UnaryOp::LeakyRelu: return {0.1};
    case UnaryOp::Softplus: return {2.0, 1.5};
    default: return {};
  }
}

TEST(BackendElementwise, EveryUnaryOpAgrees) {
  Generator gen(1);
  for (int i = 0; i < backend::kUnaryOpCount; ++i) {
    const auto op = static_cast<UnaryOp>(i);
    for (DType t : dtypes_of(backend::op_types(op))) {
      SCOPED_TRACE(std::string(backend::op_name(op)) + " " + dtype_name(t));
      // A transposed input: strided on both backends.
      const Tensor x = values({5, 7}, t, gen);
      const Tensor want = empty({7, 5}, TensorOptions(t));
      cpu_k().unary(op, unary_params(op), want, x.t());
      const Tensor got = empty({7, 5}, TensorOptions(t).with_device(kRef));
      ref_k().unary(op, unary_params(op), got, x.to(kRef).t());
      expect_close_across("unary", got, want, tol(t).atol, tol(t).rtol);
    }
  }
}

TEST(BackendElementwise, ClampSaturatesIntegerBounds) {
  const Tensor x = tensor({-5, 0, 5}, TensorOptions(kInt64));
  const OpParams p{-std::numeric_limits<double>::infinity(), 1e19};
  const Tensor want = empty({3}, TensorOptions(kInt64));
  cpu_k().unary(UnaryOp::Clamp, p, want, x);
  const Tensor got = empty({3}, TensorOptions(kInt64).with_device(kRef));
  ref_k().unary(UnaryOp::Clamp, p, got, x.to(kRef));
  EXPECT_EQ(got.to(kCPU).to_vector<int64_t>(), (std::vector<int64_t>{-5, 0, 5}));
  EXPECT_EQ(want.to_vector<int64_t>(), (std::vector<int64_t>{-5, 0, 5}));
}

TEST(BackendElementwise, EveryBinaryOpAgrees) {
  Generator gen(2);
  for (int i = 0; i < backend::kBinaryOpCount; ++i) {
    const auto op = static_cast<BinaryOp>(i);
    const OpParams p{op == BinaryOp::AddScaled ? -2.5 : 0.2};
    for (DType t : dtypes_of(backend::op_types(op))) {
      SCOPED_TRACE(std::string(backend::op_name(op)) + " " + dtype_name(t));
      Tensor a = values({6, 4}, t, gen);      // used transposed: (4, 6), strided
      Tensor b = values({1, 6}, t, gen);      // broadcast over rows (stride 0)
      if (op == BinaryOp::IPow) b = b.abs();  // ints to negative powers: truncation, tested through pow
      if (op == BinaryOp::Pow) a = a.abs();
      const Tensor want = empty({4, 6}, TensorOptions(t));
      cpu_k().binary(op, p, want, a.t(), b.expand({4, 6}));
      const Tensor got = empty({4, 6}, TensorOptions(t).with_device(kRef));
      ref_k().binary(op, p, got, a.to(kRef).t(), b.to(kRef).expand({4, 6}));
      expect_close_across("binary", got, want, tol(t).atol, tol(t).rtol);
      if (t == kFloat16) {
        // A 16-bit out reads a float32 operand as float32.
        const Tensor b32 = values({1, 6}, kFloat32, gen);
        cpu_k().binary(op, p, want, a.t(), b32.expand({4, 6}));
        ref_k().binary(op, p, got, a.to(kRef).t(), b32.to(kRef).expand({4, 6}));
        expect_close_across("binary, float32 b", got, want, tol(t).atol, tol(t).rtol);
      }
    }
  }
}

TEST(BackendElementwise, EveryCompareOpAgrees) {
  Generator gen(3);
  for (int i = 0; i < backend::kCompareOpCount; ++i) {
    const auto op = static_cast<CompareOp>(i);
    for (DType t : {kFloat64, kFloat32, kInt64, kBool}) {
      SCOPED_TRACE(std::string(backend::op_name(op)) + " " + dtype_name(t));
      // Rounded values: many ties.
      const Tensor a = ties({5, 3}, gen).to(t), b = ties({3, 1}, gen).to(t);
      const OpParams p{1e-5, 0.5};
      const Tensor want = empty({3, 5}, TensorOptions(kBool));
      cpu_k().compare(op, p, want, a.t(), b.expand({3, 5}));
      const Tensor got = empty({3, 5}, TensorOptions(kBool).with_device(kRef));
      ref_k().compare(op, p, got, a.to(kRef).t(), b.to(kRef).expand({3, 5}));
      EXPECT_EQ(got.to(kCPU).to_vector<bool>(), want.to_vector<bool>());
    }
  }
}

TEST(BackendElementwise, WhereAgrees) {
  Generator gen(4);
  for (DType t : {kFloat64, kFloat32, kInt64, kBool}) {
    SCOPED_TRACE(dtype_name(t));
    const Tensor cond = gt(values({1, 5}, kFloat64, gen), 0.0);
    const Tensor a = values({5, 4}, t, gen), b = values({}, t, gen);
    const Tensor want = empty({4, 5}, TensorOptions(t));
    cpu_k().where(want, cond.expand({4, 5}), a.t(), b.expand({4, 5}));
    const Tensor got = empty({4, 5}, TensorOptions(t).with_device(kRef));
    ref_k().where(got, cond.to(kRef).expand({4, 5}), a.to(kRef).t(), b.to(kRef).expand({4, 5}));
    expect_close_across("where", got, want, 0, 0);
  }
}

TEST(BackendElementwise, KernelRefusesADtypeItDoesNotTake) {
  const Tensor x = tensor({1, 2}, TensorOptions(kInt64));
  const Tensor out = empty({2}, TensorOptions(kInt64));
  EXPECT_THROW(cpu_k().unary(UnaryOp::Exp, {}, out, x), Error);
  EXPECT_THROW(ref_k().unary(UnaryOp::Exp, {}, out, x), Error);
}

// ---- the public ops, cpu against ref ----

constexpr auto kE = backend::Family::Elementwise;

// Outputs and the inputs' gradients.
BackendCheck with_grads(BackendCheck c = {}) {
  c.grads = true;
  return c;
}

Tensor f64(const Shape& shape, Generator& gen, bool grad = true) {
  Tensor x = randn(shape, TensorOptions(kFloat64), &gen);
  if (grad) x.requires_grad_(true);
  return x;
}

Tensor positive(const Shape& shape, Generator& gen, bool grad = true) {
  Tensor x = add(rand(shape, TensorOptions(kFloat64), &gen), 0.2);
  if (grad) x.requires_grad_(true);
  return x;
}

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> f;
  bool positive_only = false;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }, true},
      {"log1p", [](const Tensor& x) { return log1p(x); }, true},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, true},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, true},
      {"square", [](const Tensor& x) { return square(x); }},
      {"erf", [](const Tensor& x) { return erf(x); }},
      {"erfc", [](const Tensor& x) { return erfc(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"sign", [](const Tensor& x) { return sign(x); }},
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"pow 2", [](const Tensor& x) { return pow(x, 2.0); }},
      {"pow 3", [](const Tensor& x) { return pow(x, 3.0); }},
      {"pow 1", [](const Tensor& x) { return pow(x, 1.0); }},
      {"pow 0.5", [](const Tensor& x) { return pow(x, 0.5); }, true},
      {"pow -0.5", [](const Tensor& x) { return pow(x, -0.5); }, true},
      {"pow -1", [](const Tensor& x) { return pow(x, -1.0); }, true},
      {"pow -2", [](const Tensor& x) { return pow(x, -2.0); }, true},
      {"pow 1.7", [](const Tensor& x) { return pow(x, 1.7); }, true},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.75); }},
      {"clamp min", [](const Tensor& x) { return clamp(x, -0.5, std::nullopt); }},
      {"clamp max", [](const Tensor& x) { return clamp(x, std::nullopt, 0.75); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"gelu tanh", [](const Tensor& x) { return gelu(x, "tanh"); }},
      {"softplus", [](const Tensor& x) { return softplus(x, 2.0, 1.5); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"logical_not", [](const Tensor& x) { return logical_not(x); }},
  };
}

TEST(BackendElementwise, UnaryOpsAgreeInFloat64WithGrads) {
  Generator gen(10);
  for (const UnaryCase& c : unary_cases()) {
    const Tensor x = c.positive_only ? positive({3, 4}, gen) : f64({3, 4}, gen);
    expect_backends_agree(
        c.name, [&](const TensorList& in) { return c.f(in[0]); }, {x}, kRef, {kE}, with_grads());
    // Transposed input, and a 0-d one.
    const Tensor xt = (c.positive_only ? positive({4, 3}, gen, false) : f64({4, 3}, gen, false)).t();
    expect_backends_agree(std::string(c.name) + " strided", [&](const TensorList& in) { return c.f(in[0]); }, {xt},
                          kRef, {kE});
    const Tensor s = full({}, 0.7, TensorOptions(kFloat64));
    expect_backends_agree(std::string(c.name) + " 0-d", [&](const TensorList& in) { return c.f(in[0]); }, {s}, kRef,
                          {kE});
  }
}

TEST(BackendElementwise, UnaryOpsAgreeInFloat32AndFloat16) {
  Generator gen(11);
  for (const UnaryCase& c : unary_cases()) {
    for (DType t : {kFloat32, kFloat16}) {
      const Tensor x = (c.positive_only ? positive({3, 50}, gen, false) : f64({3, 50}, gen, false)).to(t);
      expect_backends_agree(
          std::string(c.name) + " " + dtype_name(t), [&](const TensorList& in) { return c.f(in[0]); }, {x}, kRef, {kE},
          tol(t));
    }
  }
}

TEST(BackendElementwise, IntegerOpsAgree) {
  const Tensor x = tensor({-3, -1, 0, 2, 5}, TensorOptions(kInt64));
  const Tensor y = tensor({2, 0, -1}, TensorOptions(kInt64)).reshape({3, 1});  // broadcast against x: (3, 5)
  using Fn = std::function<Tensor(const Tensor&, const Tensor&)>;
  const std::vector<std::pair<const char*, Fn>> cases = {
      {"square", [](const Tensor& v, const Tensor&) { return square(v); }},
      {"abs", [](const Tensor& v, const Tensor&) { return abs(v); }},
      {"sign", [](const Tensor& v, const Tensor&) { return sign(v); }},
      {"neg", [](const Tensor& v, const Tensor&) { return neg(v); }},
      {"relu", [](const Tensor& v, const Tensor&) { return relu(v); }},
      {"pow 3", [](const Tensor& v, const Tensor&) { return pow(v, 3.0); }},
      {"clamp", [](const Tensor& v, const Tensor&) { return clamp(v, -1.0, 2.0); }},
      {"clamp fractional", [](const Tensor& v, const Tensor&) { return clamp(v, -0.5, std::nullopt); }},
      {"pow tensor", [](const Tensor& v, const Tensor& w) { return pow(v, abs(w)); }},
      {"pow negative", [](const Tensor& v, const Tensor& w) { return pow(v, w); }},
      {"add", [](const Tensor& v, const Tensor& w) { return add(v, w, 2.0); }},
      {"mul", [](const Tensor& v, const Tensor&) { return mul(v, 3.0); }},
      {"div", [](const Tensor& v, const Tensor&) { return div(v, 2.0); }},
      {"maximum", [](const Tensor& v, const Tensor& w) { return maximum(v, w); }},
      {"minimum bool", [](const Tensor& v, const Tensor& w) { return minimum(gt(v, 0.0), gt(w, 0.0)); }},
      {"sign bool", [](const Tensor& v, const Tensor&) { return sign(gt(v, 0.0)); }},
      {"logical_or", [](const Tensor& v, const Tensor& w) { return logical_or(v, w); }},
      {"lt", [](const Tensor& v, const Tensor&) { return lt(v, 1.0); }},
      {"eq", [](const Tensor& v, const Tensor& w) { return eq(v, w); }},
      {"where", [](const Tensor& v, const Tensor& w) { return where(gt(v, 0.0), v, w); }},
  };
  for (const auto& [name, f] : cases) {
    expect_backends_agree(name, [&](const TensorList& in) { return f(in[0], in[1]); }, {x, y}, kRef, {kE});
  }
}

struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> f;
  bool positive_a = false;
  bool ties = false;  // integer-valued inputs (comparisons)
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"add alpha", [](const Tensor& a, const Tensor& b) { return add(a, b, -2.5); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, add(abs(b), 0.5)); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, true},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"where", [](const Tensor& a, const Tensor& b) { return where(gt(a, b), a, b); }},
      {"where scalar", [](const Tensor& a, const Tensor& b) { return where(lt(b, 0.0), a, 0.5); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }, false, true},
      {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }, false, true},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }},
      {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }, false, true},
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }},
      {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }, false, true},
      {"logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, false, true},
      {"logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, false, true},
  };
}

TEST(BackendElementwise, BinaryOpsAgreeWithBroadcasting) {
  Generator gen(12);
  for (const BinaryCase& c : binary_cases()) {
    auto fn = [&](const TensorList& in) { return c.f(in[0], in[1]); };
    auto make = [&](const Shape& shape, bool grad) {
      if (c.ties) return ties(shape, gen);
      return c.positive_a ? positive(shape, gen, grad) : f64(shape, gen, grad);
    };
    const Tensor a = make({3, 4}, true);
    // Same shape; a row broadcast; a transposed a with a column; a 0-d b.
    expect_backends_agree(std::string(c.name) + " same", fn, {a, make({3, 4}, true)}, kRef, {kE}, with_grads());
    expect_backends_agree(std::string(c.name) + " row", fn, {a, make({4}, true)}, kRef, {kE}, with_grads());
    expect_backends_agree(std::string(c.name) + " strided", fn, {make({4, 3}, false).t(), make({3, 1}, false)}, kRef,
                          {kE});
    expect_backends_agree(std::string(c.name) + " 0-d", fn, {a, full({}, 1.0, TensorOptions(kFloat64))}, kRef, {kE},
                          with_grads());
    // float32; a float16 tensor with a float32 0-d scalar; empty.
    expect_backends_agree(std::string(c.name) + " float32", fn,
                          {a.detach().to(kFloat32), make({4}, false).to(kFloat32)}, kRef, {kE}, tol(kFloat32));
    expect_backends_agree(std::string(c.name) + " float16", fn,
                          {a.detach().to(kFloat16), full({}, 1.0, TensorOptions(kFloat32))}, kRef, {kE}, tol(kFloat16));
    expect_backends_agree(std::string(c.name) + " empty", fn, {make({0, 4}, false), make({4}, false)}, kRef, {kE});
  }
}

TEST(BackendElementwise, InPlaceUpdatesAgree) {
  Generator gen(13);
  const std::vector<std::pair<const char*, std::function<void(Tensor&, const Tensor&)>>> cases = {
      {"add_", [](Tensor& s, const Tensor& o) { s.add_(o); }},
      {"add_ alpha", [](Tensor& s, const Tensor& o) { s.add_(o, 0.25); }},
      {"sub_", [](Tensor& s, const Tensor& o) { s.sub_(o); }},
      {"mul_", [](Tensor& s, const Tensor& o) { s.mul_(o); }},
      {"div_", [](Tensor& s, const Tensor& o) { s.div_(add(abs(o), 1.0)); }},
      {"mul_ scalar", [](Tensor& s, const Tensor&) { s.mul_(1.5); }},
      {"clamp_", [](Tensor& s, const Tensor&) { s.clamp_(-0.3, 0.4); }},
  };
  for (const auto& [name, f] : cases) {
    for (DType t : {kFloat64, kFloat32, kBFloat16}) {
      auto fn = [&](const TensorList& in) {
        Tensor s = in[0].clone();
        f(s, in[1]);
        return s;
      };
      const Tensor self = f64({3, 4}, gen, false).to(t);
      // A broadcast row of another dtype (float32 next to a 16-bit destination is read as float32).
      const Tensor other = f64({4}, gen, false).to(t == kFloat64 ? kFloat64 : kFloat32);
      expect_backends_agree(std::string(name) + " " + dtype_name(t), fn, {self, other}, kRef, {kE}, tol(t));
    }
  }
}

TEST(BackendElementwise, AllcloseRunsOnRef) {
  const auto before = backend::call_count(DeviceType::Ref, kE);
  const Tensor a = tensor({1.0, 2.0, std::numeric_limits<double>::infinity()}).to(kRef);
  EXPECT_TRUE(allclose(a, add(a, 1e-9)));
  EXPECT_FALSE(allclose(a, add(a, 1e-3)));
  EXPECT_GT(backend::call_count(DeviceType::Ref, kE), before);
}

}  // namespace
}  // namespace strata
