#pragma once
// Transitional: the CPU loop plans that op files not yet behind the backend seam still use (ops::binary_plan in
// indexing.cpp; kernels::cpu::convert reached through this include in creation.cpp and others). helpers.h
// includes it at its end; drop that include once every family calls its backend.
#include "kernels/cpu/elementwise.h"
#include "strata/core/tensor.h"

namespace strata::ops {

Strides broadcast_strides(const Tensor& t, const Shape& out);

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

}  // namespace strata::ops
