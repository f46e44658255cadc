#pragma once
// The elementwise ops: one list per kind (unary, binary, compare), each op a named functor in plain std:: math
// that every backend instantiates with its own loops. float16/bfloat16 never reach a functor: backends load
// them as float and store the result back. A functor takes the op's scalar parameters (OpParams) instead of
// capturing them, so that one enum value and one struct describe a call on any device.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

// Marks functions a CUDA build compiles for host and device (__host__ __device__ there; nothing here).
#ifndef STRATA_HD
#define STRATA_HD
#endif

namespace strata::backend {

// What a lambda captured: exponent, slope, bounds, alpha, tolerances (see each functor).
struct OpParams {
  double a = 0, b = 0, c = 0;
};

// OpParams converted once per call to a float compute type C: a functor given these converts nothing inside
// the loop (converting the double slope per element made float32 leaky_relu 40x slower).
template <class C>
struct TypedParams {
  C a, b, c;
};
template <class C>
STRATA_HD inline TypedParams<C> typed_params(const OpParams& p) {
  return {static_cast<C>(p.a), static_cast<C>(p.b), static_cast<C>(p.c)};
}

// The dtypes an op is instantiated for (float16/bfloat16 computed in float32 count as float):
// Float: float32/float64; Numeric: those and int64; All: those and bool; Int: int64 only.
enum class OpTypes : uint8_t { Float, Numeric, All, Int };

// X(Name, "name", OpTypes). Unary ops: out = f(x).
#define STRATA_UNARY_OPS(X)          \
  X(Identity, "identity", Float)     \
  X(Square, "square", Numeric)       \
  X(Cube, "cube", Float)             \
  X(Sqrt, "sqrt", Float)             \
  X(Rsqrt, "rsqrt", Float)           \
  X(Reciprocal, "reciprocal", Float) \
  X(InvSquare, "inv_square", Float)  \
  X(PowScalar, "pow_scalar", Float)  \
  X(IPowScalar, "ipow_scalar", Int)  \
  X(Exp, "exp", Float)               \
  X(Log, "log", Float)               \
  X(Log1p, "log1p", Float)           \
  X(Erf, "erf", Float)               \
  X(Erfc, "erfc", Float)             \
  X(Abs, "abs", Numeric)             \
  X(Sign, "sign", All)               \
  X(Neg, "neg", Numeric)             \
  X(Clamp, "clamp", Numeric)         \
  X(Relu, "relu", Numeric)           \
  X(LeakyRelu, "leaky_relu", Float)  \
  X(Sigmoid, "sigmoid", Float)       \
  X(Tanh, "tanh", Float)             \
  X(Gelu, "gelu", Float)             \
  X(GeluTanh, "gelu_tanh", Float)    \
  X(Silu, "silu", Float)             \
  X(Softplus, "softplus", Float)

// Binary ops: out = f(a, b).
#define STRATA_BINARY_OPS(X)                         \
  X(Add, "add", Numeric)                             \
  X(AddScaled, "add_scaled", Numeric)                \
  X(Mul, "mul", Numeric)                             \
  X(Div, "div", Float)                               \
  X(Pow, "pow", Float)                               \
  X(IPow, "ipow", Int)                               \
  X(Maximum, "maximum", Numeric)                     \
  X(Minimum, "minimum", Numeric)                     \
  X(ReluBackward, "relu_backward", Float)            \
  X(LeakyReluBackward, "leaky_relu_backward", Float) \
  X(GeluBackward, "gelu_backward", Float)

// Comparison ops: bool out = f(a, b), for every compute dtype (float32, float64, int64, bool).
#define STRATA_COMPARE_OPS(X)       \
  X(Eq, "eq", All)                  \
  X(Ne, "ne", All)                  \
  X(Lt, "lt", All)                  \
  X(Le, "le", All)                  \
  X(Gt, "gt", All)                  \
  X(Ge, "ge", All)                  \
  X(LogicalAnd, "logical_and", All) \
  X(LogicalOr, "logical_or", All)   \
  X(AllClose, "allclose", All)

#define STRATA_OP_ENUM_ENTRY(Name, str, types) Name,
enum class UnaryOp : uint8_t { STRATA_UNARY_OPS(STRATA_OP_ENUM_ENTRY) };
enum class BinaryOp : uint8_t { STRATA_BINARY_OPS(STRATA_OP_ENUM_ENTRY) };
enum class CompareOp : uint8_t { STRATA_COMPARE_OPS(STRATA_OP_ENUM_ENTRY) };
#undef STRATA_OP_ENUM_ENTRY

#define STRATA_OP_COUNT_ENTRY(Name, str, types) +1
inline constexpr int kUnaryOpCount = 0 STRATA_UNARY_OPS(STRATA_OP_COUNT_ENTRY);
inline constexpr int kBinaryOpCount = 0 STRATA_BINARY_OPS(STRATA_OP_COUNT_ENTRY);
inline constexpr int kCompareOpCount = 0 STRATA_COMPARE_OPS(STRATA_OP_COUNT_ENTRY);
#undef STRATA_OP_COUNT_ENTRY

// clang-format off
#define STRATA_OP_NAME_CASE(Name, str, types) case Op::Name: return str;
#define STRATA_OP_TYPES_CASE(Name, str, types) case Op::Name: return OpTypes::types;
// clang-format on
#define STRATA_OP_INFO(OpEnum, LIST)           \
  inline const char* op_name(OpEnum op) {      \
    using Op = OpEnum;                         \
    switch (op) { LIST(STRATA_OP_NAME_CASE) }  \
    return "?";                                \
  }                                            \
  inline OpTypes op_types(OpEnum op) {         \
    using Op = OpEnum;                         \
    switch (op) { LIST(STRATA_OP_TYPES_CASE) } \
    return OpTypes::Float;                     \
  }
STRATA_OP_INFO(UnaryOp, STRATA_UNARY_OPS)
STRATA_OP_INFO(BinaryOp, STRATA_BINARY_OPS)
STRATA_OP_INFO(CompareOp, STRATA_COMPARE_OPS)
#undef STRATA_OP_INFO
#undef STRATA_OP_TYPES_CASE
#undef STRATA_OP_NAME_CASE

// One functor per op, named as the op. T is float or double, and also int64_t/bool where the op's OpTypes say.
// P is OpParams, or TypedParams<T> for float T (the same values: static_cast<T> of a T is a no-op).
namespace fn {

inline constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1 / sqrt(2)
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
inline constexpr double kGeluCoef = 0.044715;

namespace detail {
// 1 / (1 + exp(-v)) without overflow, and accurate in the negative tail.
template <class T>
STRATA_HD inline T sigmoid(T v) {
  const T e = std::exp(-std::abs(v));
  return (v >= T(0) ? T(1) : e) / (T(1) + e);
}

template <class T>
STRATA_HD inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// base^exp for integers; negative exponents truncate towards zero as integer division does (only 1 and -1
// have non-zero results).
STRATA_HD inline int64_t ipow(int64_t base, int64_t exp) {
  if (exp < 0) return base == 1 ? 1 : base == -1 ? (exp % 2 ? -1 : 1) : 0;
  uint64_t r = 1, b = static_cast<uint64_t>(base);  // unsigned: wraps on overflow as PyTorch's int64 does
  for (auto e = static_cast<uint64_t>(exp); e; e >>= 1) {
    if (e & 1) r *= b;
    b *= b;
  }
  return static_cast<int64_t>(r);
}

// x > 0 ? v : v slope. The slope is read before the select: read only in one arm (v * p.a), it is a conditional
// load that GCC neither vectorises nor turns into a select, and the branch on random signs measured 40x
// slower (8.8 ms for 2^20 float32 elements).
template <class T>
STRATA_HD inline T leaky(T x, T v, T slope) {
  const T scaled = v * slope;
  return x > T(0) ? v : scaled;
}

// A clamp bound as T: +-inf (a missing bound) and bounds beyond int64's range saturate for integers.
template <class T, class V>
STRATA_HD inline T clamp_bound(V b) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(b);
  } else {
    if (b >= 9.2e18) return std::numeric_limits<T>::max();
    if (b <= -9.2e18) return std::numeric_limits<T>::lowest();
    return static_cast<T>(b);
  }
}
}  // namespace detail

#define STRATA_UNARY_FUNCTOR(Name, expr)            \
  struct Name {                                     \
    template <class T, class P>                     \
    STRATA_HD T operator()(T v, const P& p) const { \
      (void)p;                                      \
      return expr;                                  \
    }                                               \
  };

STRATA_UNARY_FUNCTOR(Identity, v)
STRATA_UNARY_FUNCTOR(Square, static_cast<T>(v* v))
STRATA_UNARY_FUNCTOR(Cube, v* v* v)
STRATA_UNARY_FUNCTOR(Sqrt, std::sqrt(v))
STRATA_UNARY_FUNCTOR(Rsqrt, T(1) / std::sqrt(v))
STRATA_UNARY_FUNCTOR(Reciprocal, T(1) / v)
STRATA_UNARY_FUNCTOR(InvSquare, T(1) / (v * v))
// p.a: the exponent.
STRATA_UNARY_FUNCTOR(PowScalar, std::pow(v, static_cast<T>(p.a)))
// p.a: the (integral) exponent.
STRATA_UNARY_FUNCTOR(IPowScalar, static_cast<T>(detail::ipow(static_cast<int64_t>(v), static_cast<int64_t>(p.a))))
STRATA_UNARY_FUNCTOR(Exp, std::exp(v))
STRATA_UNARY_FUNCTOR(Log, std::log(v))
STRATA_UNARY_FUNCTOR(Log1p, std::log1p(v))
STRATA_UNARY_FUNCTOR(Erf, std::erf(v))
STRATA_UNARY_FUNCTOR(Erfc, std::erfc(v))
// y = max(x, 0); nan stays nan.
STRATA_UNARY_FUNCTOR(Relu, v < T(0) ? T(0) : v)
// p.a: the negative slope.
STRATA_UNARY_FUNCTOR(LeakyRelu, detail::leaky(v, v, static_cast<T>(p.a)))
STRATA_UNARY_FUNCTOR(Sigmoid, detail::sigmoid(v))
STRATA_UNARY_FUNCTOR(Tanh, std::tanh(v))
// x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 (= (1 + erf(x / sqrt 2)) / 2, accurate in the tail)
STRATA_UNARY_FUNCTOR(Gelu, v* T(0.5) * std::erfc(-v * T(kSqrt1_2)))
// 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): without the cancellation of
// 1 + tanh(u) in the negative tail.
STRATA_UNARY_FUNCTOR(GeluTanh, v* detail::sigmoid(T(2.0 * kSqrt2OverPi) * (v + T(kGeluCoef) * v * v * v)))
STRATA_UNARY_FUNCTOR(Silu, v* detail::sigmoid(v))
#undef STRATA_UNARY_FUNCTOR

struct Abs {
  template <class T, class P>
  STRATA_HD T operator()(T v, const P&) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::abs(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      return v;
    } else {
      return v < 0 ? -v : v;
    }
  }
};

// 0 for 0 and nan, as PyTorch.
struct Sign {
  template <class T, class P>
  STRATA_HD T operator()(T v, const P&) const {
    if constexpr (std::is_same_v<T, bool>) {
      return v;
    } else {
      return static_cast<T>((T(0) < v) - (v < T(0)));
    }
  }
};

struct Neg {
  template <class T, class P>
  STRATA_HD T operator()(T v, const P&) const {
    return static_cast<T>(-v);
  }
};

// min(max(x, lo), hi) with p.a = lo and p.b = hi (-inf / +inf where absent); nan stays nan, and lo > hi gives
// hi everywhere (as PyTorch).
struct Clamp {
  template <class T, class P>
  STRATA_HD T operator()(T v, const P& p) const {
    const T lo = detail::clamp_bound<T>(p.a), hi = detail::clamp_bound<T>(p.b);
    const T r = v < lo ? lo : v;
    return r > hi ? hi : r;
  }
};

// y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold; p.a = beta, p.b = threshold.
struct Softplus {
  template <class T, class P>
  STRATA_HD T operator()(T v, const P& p) const {
    const T bx = v * static_cast<T>(p.a);
    return bx > static_cast<T>(p.b) ? v : std::log1p(std::exp(bx)) / static_cast<T>(p.a);
  }
};

#define STRATA_BINARY_FUNCTOR(Name, expr)                \
  struct Name {                                          \
    template <class T, class P>                          \
    STRATA_HD T operator()(T x, T y, const P& p) const { \
      (void)p;                                           \
      return expr;                                       \
    }                                                    \
  };

STRATA_BINARY_FUNCTOR(Add, static_cast<T>(x + y))
// x + alpha y, p.a = alpha (converted to T first, as the op always has).
STRATA_BINARY_FUNCTOR(AddScaled, static_cast<T>(x + static_cast<T>(p.a) * y))
STRATA_BINARY_FUNCTOR(Mul, static_cast<T>(x* y))
STRATA_BINARY_FUNCTOR(Div, x / y)
STRATA_BINARY_FUNCTOR(Pow, std::pow(x, y))
STRATA_BINARY_FUNCTOR(IPow, static_cast<T>(detail::ipow(static_cast<int64_t>(x), static_cast<int64_t>(y))))
// nan in either operand gives nan (as PyTorch).
STRATA_BINARY_FUNCTOR(Maximum, x > y || detail::is_nan(x) ? x : y)
STRATA_BINARY_FUNCTOR(Minimum, x < y || detail::is_nan(x) ? x : y)
// (y = relu's output, dy): dy where y > 0, else 0 (0 at x = 0, as PyTorch).
STRATA_BINARY_FUNCTOR(ReluBackward, x > T(0) ? y : T(0))
// (x, dy): dy where x > 0, else slope dy; p.a = slope.
STRATA_BINARY_FUNCTOR(LeakyReluBackward, detail::leaky(x, y, static_cast<T>(p.a)))
// (x, dy): dy (Phi(x) + x phi(x)), exact gelu's derivative.
STRATA_BINARY_FUNCTOR(GeluBackward,
                      y*(T(0.5) * std::erfc(-x * T(kSqrt1_2)) + x * std::exp(T(-0.5) * x * x) * T(kInvSqrt2Pi)))
#undef STRATA_BINARY_FUNCTOR

#define STRATA_COMPARE_FUNCTOR(Name, expr)                  \
  struct Name {                                             \
    template <class T, class P>                             \
    STRATA_HD bool operator()(T x, T y, const P& p) const { \
      (void)p;                                              \
      return expr;                                          \
    }                                                       \
  };

STRATA_COMPARE_FUNCTOR(Eq, x == y)
STRATA_COMPARE_FUNCTOR(Ne, x != y)
STRATA_COMPARE_FUNCTOR(Lt, x < y)
STRATA_COMPARE_FUNCTOR(Le, x <= y)
STRATA_COMPARE_FUNCTOR(Gt, x > y)
STRATA_COMPARE_FUNCTOR(Ge, x >= y)
// Non-zero (and nan) is true.
STRATA_COMPARE_FUNCTOR(LogicalAnd, x != T(0) && y != T(0))
STRATA_COMPARE_FUNCTOR(LogicalOr, x != T(0) || y != T(0))
#undef STRATA_COMPARE_FUNCTOR

// |x - y| <= atol + rtol |y| with p.a = rtol, p.b = atol. Equal values (infinities included) are close; nan is
// never close, nor is an infinity to anything else.
struct AllClose {
  template <class T, class P>
  STRATA_HD bool operator()(T x, T y, const P& p) const {
    const auto dx = static_cast<double>(x), dy = static_cast<double>(y);
    return dx == dy || (std::isfinite(dx) && std::isfinite(dy) && std::abs(dx - dy) <= p.b + p.a * std::abs(dy));
  }
};

// out = c ? x : y (c: a bool mask read as bytes).
struct Where {
  template <class T>
  STRATA_HD T operator()(uint8_t c, T x, T y) const {
    return c ? x : y;
  }
};

}  // namespace fn
}  // namespace strata::backend
