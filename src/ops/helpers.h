#pragma once
// Shared machinery of the op layer: broadcasting operands onto an output shape, dtype promotion, and the
// unary/binary/compare drivers that every elementwise op goes through. This is also where device dispatch
// happens: a CUDA backend adds its branch here, and no op or caller changes.
#include <array>
#include <cstring>
#include <functional>

#include "kernels/cpu/elementwise.h"
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

// Storage type S computed as C: a float16/bfloat16 element loads as float and a float result stores back.
template <class C, class S>
inline C load_as(S v) {
  return kernels::cpu::convert<C>(v);
}

// Operand layout of a unary op over x's shape.
inline kernels::cpu::LoopPlan<2> unary_plan(const Tensor& out, const Tensor& x) {
  Strides so = out.strides(), sx = x.strides();
  return kernels::cpu::make_plan<2>(out.shape(), {&so, &sx});
}
// Operand layout of a binary op with a and b broadcast to out's shape.
inline kernels::cpu::LoopPlan<3> binary_plan(const Tensor& out, const Tensor& a, const Tensor& b) {
  Strides so = out.strides(), sa = broadcast_strides(a, out.shape()), sb = broadcast_strides(b, out.shape());
  return kernels::cpu::make_plan<3>(out.shape(), {&so, &sa, &sb});
}

// Unary float op: out = f(x) with x's dtype when floating (float16/bfloat16 computed in float32), float32
// otherwise (ints, bool). f is a generic lambda; it is instantiated for float and double.
template <class F>
Tensor map_float(const char* op, const Tensor& x, F f) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  check_cpu(op, x.device());
  DType t = float_result_dtype(x.dtype());
  Tensor xin = cast(x, t);
  Tensor out = Tensor::empty(x.shape(), t, x.device());
  auto plan = unary_plan(out, xin);
  dispatch_float_io(t, op, [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    kernels::cpu::unary(plan, out.data_ptr<S>(), xin.data_ptr<S>(),
                        [&](S v) { return kernels::cpu::convert<S>(static_cast<C>(f(load_as<C>(v)))); });
  });
  return out;
}

// Unary float op whose float32 path is an array kernel vf(out, in, n) over contiguous runs (strided runs are
// gathered, see kernels::cpu::unary_array); float64 uses the per-element f. Dtypes as map_float.
template <class F>
Tensor map_float_array(const char* op, const Tensor& x, void (*vf)(float*, const float*, int64_t), F f) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  check_cpu(op, x.device());
  DType t = float_result_dtype(x.dtype());
  Tensor xin = cast(x, t);
  Tensor out = Tensor::empty(x.shape(), t, x.device());
  auto plan = unary_plan(out, xin);
  if (t == kFloat32) {
    kernels::cpu::unary_array(plan, out.data_ptr<float>(), xin.data_ptr<float>(), vf);
  } else if (t == kBFloat16) {
    kernels::cpu::unary_array_via_float(plan, out.data_ptr<BFloat16>(), xin.data_ptr<BFloat16>(), vf);
  } else if (t == kFloat16) {
    kernels::cpu::unary_array_via_float(plan, out.data_ptr<Half>(), xin.data_ptr<Half>(), vf);
  } else {
    kernels::cpu::unary(plan, out.data_ptr<double>(), xin.data_ptr<double>(),
                        [&](double v) { return static_cast<double>(f(v)); });
  }
  return out;
}

// Unary op with result dtype `t` (float32/64, float16/bfloat16 computed in float32, int64 or bool).
template <class F>
Tensor map_unary(const char* op, const Tensor& x, DType t, F f) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  if (is_low_float(t)) return map_float(op, cast(x, t), f);
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  check_cpu(op, x.device());
  Tensor xin = cast(x, t);
  Tensor out = Tensor::empty(x.shape(), t, x.device());
  auto plan = unary_plan(out, xin);
  dispatch_compute(t, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::unary(plan, out.data_ptr<T>(), xin.data_ptr<T>(), [&](T v) { return static_cast<T>(f(v)); });
  });
  return out;
}

// Binary op with result dtype `t` (float32, float64, int64, or float16/bfloat16 computed in float32) with
// broadcasting. For a 16-bit t, an operand of another float dtype (a float32 scalar) is read as float32
// rather than rounded to 16 bits first.
template <class F>
Tensor map_binary(const char* op, const Tensor& a, const Tensor& b, DType t, F f) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(a.defined() && b.defined(), "[", op, "] undefined tensor");
  check_cpu(op, a.device());
  check_cpu(op, b.device());
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  if (is_low_float(t)) {
    const Tensor ain = cast(a, a.dtype() == t ? t : kFloat32), bin = cast(b, b.dtype() == t ? t : kFloat32);
    Tensor out = Tensor::empty(shape, t, a.device());
    auto plan = binary_plan(out, ain, bin);
    dispatch_float_io(t, op, [&](auto stag, auto) {
      using S = typename decltype(stag)::type;
      auto run = [&](auto* pa, auto* pb) {
        kernels::cpu::binary(plan, out.data_ptr<S>(), pa, pb, [&](auto x, auto y) {
          return kernels::cpu::convert<S>(static_cast<float>(f(load_as<float>(x), load_as<float>(y))));
        });
      };
      const bool sa = ain.dtype() == t, sb = bin.dtype() == t;
      if (sa && sb) run(ain.data_ptr<S>(), bin.data_ptr<S>());
      else if (sa) run(ain.data_ptr<S>(), bin.data_ptr<float>());
      else if (sb) run(ain.data_ptr<float>(), bin.data_ptr<S>());
      else run(ain.data_ptr<float>(), bin.data_ptr<float>());
    });
    return out;
  }
  Tensor ain = cast(a, t), bin = cast(b, t);
  Tensor out = Tensor::empty(shape, t, a.device());
  auto plan = binary_plan(out, ain, bin);
  dispatch_numeric(t, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::binary(plan, out.data_ptr<T>(), ain.data_ptr<T>(), bin.data_ptr<T>(),
                         [&](T x, T y) { return static_cast<T>(f(x, y)); });
  });
  return out;
}

// Binary arithmetic (add, mul, ...): operands promoted to a common dtype (result_type), which is also the
// result's (bool arithmetic is done in int64; float16/bfloat16 in float32, stored back as 16-bit).
template <class F>
Tensor arith_binary(const char* op, const Tensor& a, const Tensor& b, F f) {
  DType t = result_type(a, b);
  if (t == kBool) t = kInt64;
  return map_binary(op, a, b, t, f);
}

// Binary float op (div, pow, ...): promoted, then at least float32 (16-bit floats stay 16-bit).
template <class F>
Tensor float_binary(const char* op, const Tensor& a, const Tensor& b, F f) {
  return map_binary(op, a, b, float_result_dtype(result_type(a, b)), f);
}

// Comparison-like op: operands promoted to a common dtype, bool result.
template <class F>
Tensor map_compare(const char* op, const Tensor& a, const Tensor& b, F f) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(a.defined() && b.defined(), "[", op, "] undefined tensor");
  check_cpu(op, a.device());
  check_cpu(op, b.device());
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  DType t = promote_types(a.dtype(), b.dtype());
  if (is_low_float(t)) t = kFloat32;  // 16-bit values are exact in float32
  Tensor ain = cast(a, t), bin = cast(b, t);
  Tensor out = Tensor::empty(shape, kBool, a.device());
  auto plan = binary_plan(out, ain, bin);
  dispatch_compute(t, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::binary(plan, out.data_ptr<bool>(), ain.data_ptr<T>(), bin.data_ptr<T>(),
                         [&](T x, T y) { return static_cast<bool>(f(x, y)); });
  });
  return out;
}

// self = f(self, other) in place, other broadcast to self's shape. Bumps self's version.
template <class F>
void update_binary(const char* op, Tensor& self, const Tensor& other, F f) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(self.defined() && other.defined(), "[", op, "] undefined tensor");
  check_cpu(op, self.device());
  Shape shape = broadcast_shapes(self.shape(), other.shape(), op);
  STRATA_CHECK(shape == self.shape(), "[", op, "] in-place result of shape ", shape,
               " does not fit the destination of shape ", self.shape());
  // A 16-bit destination reads a float32 `other` as float32 (compute type) instead of rounding it first.
  Tensor o = cast(other, is_low_float(self.dtype()) && other.dtype() != self.dtype() ? kFloat32 : self.dtype());
  Strides ss = self.strides(), so = broadcast_strides(o, shape);
  auto plan = kernels::cpu::make_plan<3>(shape, {&ss, &ss, &so});
  dispatch_numeric_io(self.dtype(), op, [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    auto run = [&](auto* po) {
      kernels::cpu::binary(plan, self.data_ptr<S>(), self.data_ptr<S>(), po, [&](S x, auto y) {
        return kernels::cpu::convert<S>(static_cast<C>(f(load_as<C>(x), load_as<C>(y))));
      });
    };
    if (o.dtype() == self.dtype()) run(o.data_ptr<S>());
    else run(o.data_ptr<float>());
  });
  self.bump_version();
}

// Refuses in-place changes that autograd could not follow.
void check_inplace(const char* op, const Tensor& self);

// A 0-d operand for the scalar v next to tensor a, as PyTorch treats Python scalars: a's float dtype
// (float32 for float16/bfloat16), int64 for an integral v next to an int/bool tensor, float32 otherwise.
Tensor scalar_like(const Tensor& a, double v);

// The gradient of an input of `shape` and `dtype` from a gradient over the broadcast result: summed back
// over the broadcast dims and converted to the input's float dtype (mixed float32/float64 ops).
Tensor reduce_grad(const Tensor& g, const Shape& shape, DType dtype);

}  // namespace strata::ops
