#pragma once
// Shared machinery of the op layer: broadcasting operands onto an output shape, dtype promotion, and the
// unary/binary/compare drivers that every elementwise op goes through (they call backend::elementwise).
#include <array>
#include <cstring>
#include <functional>

#include "backend/functors.h"
#include "strata/autograd/node.h"
#include "strata/core/error.h"
#include "strata/core/profile.h"
#include "strata/core/tensor.h"

namespace strata::ops {

// Strides of t viewed with shape `out` under broadcasting (0 on broadcast dims).
Strides broadcast_strides(const Tensor& t, const Shape& out);

// How a dtype flows through an op (docs/architecture.md): an op's result dtype and the dtype its arithmetic
// runs in are separate. float16/bfloat16 operands are loaded into float32, computed in float32 and stored back
// as 16-bit (16-bit in, 16-bit out); float32 and float64 compute in themselves; int/bool operands of a float op
// give float32.
//
// The dtype a float op returns for an operand of dtype t (see float_result_dtype in core/dtype.h).
inline DType float_compute_dtype(DType t) { return float_result_dtype(t); }
// t converted to dtype (t itself when it already matches). Not recorded by autograd.
Tensor cast(const Tensor& t, DType dtype);
// The common dtype of a binary op's operands, as PyTorch's result_type: promote_types, except that a 0-d float
// operand (a wrapped scalar) does not widen a float16/bfloat16 tensor with dims (x_bf16 * 0.5 stays bfloat16).
DType result_type(const Tensor& a, const Tensor& b);
// For ops whose kernels work in float32/float64 only: when any of `inputs` is float16/bfloat16, returns fn's
// result on float32 copies of the float inputs, converted back to the first low-precision input's dtype; the
// conversions are recorded, so gradients flow. Returns an undefined tensor when no input is 16-bit (the caller
// then runs its own kernels).
Tensor via_float32(const char* op, std::initializer_list<const Tensor*> inputs,
                   const std::function<Tensor(const TensorList&)>& fn);

// Dispatches a compute dtype to its C++ type: float32, float64, int64 and bool (f16/bf16 are storage only).
template <class Fn>
decltype(auto) dispatch_compute(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    case DType::Bool: return fn(TypeTag<bool>{});
    default: STRATA_FAIL("[", op, "] float16/bfloat16 are storage types; convert with .to(kFloat32) first");
  }
}

// The view of t with `shape` under broadcasting (stride 0 on broadcast dims); t itself when the shape matches.
// Elementwise kernels take every input with the output's shape (backend/elementwise.h).
Tensor broadcast_view(const Tensor& t, const Shape& shape);

// The elementwise drivers. Each places the op on its operands' device (backend::place), checks and promotes
// dtypes, broadcasts, allocates the result there and calls that backend's elementwise kernels once.

// Unary float op: out = u(x) with x's dtype when floating (float16/bfloat16 computed in float32), float32
// otherwise (ints, bool).
Tensor map_float(const char* op, const Tensor& x, backend::UnaryOp u, const backend::OpParams& p = {});

// Unary op with result dtype `t` (float32/64, float16/bfloat16 computed in float32, int64 or bool).
Tensor map_unary(const char* op, const Tensor& x, DType t, backend::UnaryOp u, const backend::OpParams& p = {});

// Binary op with result dtype `t` (float32, float64, int64, or float16/bfloat16 computed in float32) with
// broadcasting. For a 16-bit t, an operand of another float dtype (a float32 scalar) is read as float32
// rather than rounded to 16 bits first.
Tensor map_binary(const char* op, const Tensor& a, const Tensor& b, DType t, backend::BinaryOp f,
                  const backend::OpParams& p = {});

// Binary arithmetic (add, mul, ...): operands promoted to a common dtype (result_type), which is also the
// result's (bool arithmetic is done in int64; float16/bfloat16 in float32, stored back as 16-bit).
Tensor arith_binary(const char* op, const Tensor& a, const Tensor& b, backend::BinaryOp f,
                    const backend::OpParams& p = {});

// Binary float op (div, pow, ...): promoted, then at least float32 (16-bit floats stay 16-bit).
Tensor float_binary(const char* op, const Tensor& a, const Tensor& b, backend::BinaryOp f,
                    const backend::OpParams& p = {});

// Comparison-like op: operands promoted to a common dtype, bool result.
Tensor map_compare(const char* op, const Tensor& a, const Tensor& b, backend::CompareOp f,
                   const backend::OpParams& p = {});

// self = f(self, other) in place, other broadcast to self's shape. Bumps self's version.
void update_binary(const char* op, Tensor& self, const Tensor& other, backend::BinaryOp f,
                   const backend::OpParams& p = {});

// Refuses in-place changes that autograd could not follow.
void check_inplace(const char* op, const Tensor& self);

// A 0-d operand for the scalar v next to tensor a, as PyTorch treats Python scalars: a's float dtype
// (float32 for float16/bfloat16), int64 for an integral v next to an int/bool tensor, float32 otherwise.
Tensor scalar_like(const Tensor& a, double v);

// The gradient of an input of `shape` and `dtype` from a gradient over the broadcast result: summed back
// over the broadcast dims and converted to the input's float dtype (mixed float32/float64 ops).
Tensor reduce_grad(const Tensor& g, const Shape& shape, DType dtype);

}  // namespace strata::ops
