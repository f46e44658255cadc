#pragma once
// Kernel family: elementwise maps (the ops of functors.h), comparisons and where. Tensors passed in live on the
// backend's device and are already in the dtype the op chose; outputs are allocated by the op.
//
// Broadcasting: every input has exactly out's shape. The op passes broadcast views (ops::broadcast_view: stride
// 0 on the broadcast dims), so a backend never sees two shapes. Inputs may be strided views (transposes) and
// may be out itself (in-place updates: out = a).
//
// Dtypes: float16/bfloat16 are loaded as float32, computed in float32 and stored back; float32 and float64
// compute in themselves; int64 and bool where the op's OpTypes (functors.h) take them. The cpu backend keeps
// its vectorised float32 array kernels (exp, tanh, sigmoid, silu, gelu, gelu_tanh, erfc, gelu_backward).
#include "backend/backend.h"
#include "backend/functors.h"
#include "strata/core/error.h"

namespace strata::backend {

struct ElementwiseKernels {
  // out = op(x). x has out's dtype.
  void (*unary)(UnaryOp op, const OpParams& p, const Tensor& out, const Tensor& x);
  // out = op(a, b). a and b have out's dtype, except that for a float16/bfloat16 out either may be float32
  // (a float32 scalar is read as float32 rather than rounded to 16 bits first). a may be out (in place).
  void (*binary)(BinaryOp op, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b);
  // out (bool) = op(a, b); a and b share one dtype of float32, float64, int64 or bool.
  void (*compare)(CompareOp op, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b);
  // out = cond ? a : b; cond is bool, a and b have out's dtype (float32, float64, int64 or bool).
  void (*where)(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
};

// The unary functors with a float32 array kernel on the cpu backend (kernels/cpu/vec_math.h; the ref backend uses
// their *_reference twins). A bool, not a test of the function pointer: GCC's -fsanitize=undefined does not take
// `pointer != nullptr` as a constant expression.
template <class F>
inline constexpr bool kHasArrayKernel =
    std::is_same_v<F, fn::Exp> || std::is_same_v<F, fn::Tanh> || std::is_same_v<F, fn::Sigmoid> ||
    std::is_same_v<F, fn::Silu> || std::is_same_v<F, fn::Gelu> || std::is_same_v<F, fn::GeluTanh> ||
    std::is_same_v<F, fn::Erfc>;

// The one switch from an op enum to its functor: calls run.template operator()<fn::Name, OpTypes::K>("name")
// (compare ops: run.template operator()<fn::Name>("name")). The cpu and ref backends instantiate their loops
// through it.
#define STRATA_VISIT_CASE(Enum, Name, str, types) \
  case Enum::Name: return run.template operator()<fn::Name, OpTypes::types>(str);
template <class Run>
void visit_op(UnaryOp op, Run&& run) {
#define STRATA_VISIT_UNARY(Name, str, types) STRATA_VISIT_CASE(UnaryOp, Name, str, types)
  switch (op) { STRATA_UNARY_OPS(STRATA_VISIT_UNARY) }
#undef STRATA_VISIT_UNARY
}
template <class Run>
void visit_op(BinaryOp op, Run&& run) {
#define STRATA_VISIT_BINARY(Name, str, types) STRATA_VISIT_CASE(BinaryOp, Name, str, types)
  switch (op) { STRATA_BINARY_OPS(STRATA_VISIT_BINARY) }
#undef STRATA_VISIT_BINARY
}
template <class Run>
void visit_op(CompareOp op, Run&& run) {
#define STRATA_VISIT_COMPARE(Name, str, types) STRATA_VISIT_CASE(CompareOp, Name, str, types)
  switch (op) { STRATA_COMPARE_OPS(STRATA_VISIT_COMPARE) }
#undef STRATA_VISIT_COMPARE
}
#undef STRATA_VISIT_CASE

// Which dtypes an op's functor is instantiated for (functors.h's OpTypes), for the backends' dispatch.
constexpr bool takes_float(OpTypes k) { return k != OpTypes::Int; }
constexpr bool takes_int(OpTypes k) { return k != OpTypes::Float; }
constexpr bool takes_bool(OpTypes k) { return k == OpTypes::All; }

[[noreturn]] inline void bad_dtype(const char* name, DType t) {
  STRATA_FAIL("[", name, "] the elementwise kernel does not take dtype ", dtype_name(t));
}

}  // namespace strata::backend
