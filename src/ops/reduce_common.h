#pragma once
// Shared by the reduction op files: which dims a reduction covers, the kernel layout of its input, and
// the small broadcasting maps that the backward rules are written with.
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/reduce.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/ops/views.h"

namespace strata::ops {

struct DimPlan {
  std::vector<bool> mask;  // per input dim: reduced?
  Shape out_shape;         // result shape
  Shape keep_shape;        // result shape with the reduced dims kept as size 1
  int64_t count = 1;       // input elements per output
};

// Which dims `dims` names (empty = all); a repeated or out-of-range dim is an error naming op.
inline DimPlan plan_dims(const Tensor& x, const Dims& dims, bool keepdim, const char* op) {
  DimPlan p;
  p.mask.assign(static_cast<size_t>(x.dim()), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, x.dim(), op);
    if (x.dim() == 0) continue;
    STRATA_CHECK(!p.mask[static_cast<size_t>(w)], "[", op, "] dim ", d, " appears more than once in the dims of ",
                 "a reduction over a tensor of shape ", x.shape());
    p.mask[static_cast<size_t>(w)] = true;
  }
  for (size_t i = 0; i < p.mask.size(); ++i) {
    if (p.mask[i]) {
      p.count *= x.shape()[i];
      p.keep_shape.push_back(1);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.keep_shape.push_back(x.shape()[i]);
      p.out_shape.push_back(x.shape()[i]);
    }
  }
  return p;
}

// Only one dim reduced (max/argmax along dim).
inline DimPlan plan_dim(const Tensor& x, int64_t dim, bool keepdim, const char* op) {
  return plan_dims(x, Dims{dim}, keepdim, op);
}

inline void check_input(const Tensor& x, const char* op) {
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  check_cpu(op, x.device());
}

inline void check_float(const Tensor& x, const char* op) {
  check_input(x, op);
  STRATA_CHECK(is_floating(x.dtype()), "[", op, "] expected a floating-point tensor, got ", x.dtype());
}

// The kernel layout of xin reduced as p says (output contiguous in p.out_shape). Copies xin to a dense
// layout when its innermost dim is not unit-stride.
inline kernels::cpu::ReduceLayout layout_for(Tensor& xin, const DimPlan& p) {
  Strides out = contiguous_strides(p.keep_shape);
  for (size_t d = 0; d < p.mask.size(); ++d) {
    if (p.mask[d]) out[d] = 0;
  }
  auto L = kernels::cpu::make_reduce_layout(xin.shape(), xin.strides(), out, p.mask);
  if (!kernels::cpu::reduce_layout_dense(L)) {
    NoGradGuard no_grad;
    xin = clone(xin.detach());
    L = kernels::cpu::make_reduce_layout(xin.shape(), xin.strides(), out, p.mask);
  }
  return L;
}

// Runs kernels::cpu::reduce of x (already in its compute dtype) into a new tensor of dtype O.
template <class O, class T, class P, class Acc, class Map, class Combine, class Finish>
Tensor run_reduce(const Tensor& x, const DimPlan& p, const Tensor& prm, Acc id, Map map, Combine combine,
                  Finish finish) {
  Tensor xin = x;
  auto L = layout_for(xin, p);
  Tensor out = Tensor::empty(p.out_shape, dtype_of<O>(), x.device());
  kernels::cpu::reduce(L, xin.data_ptr<T>(), out.data_ptr<O>(), prm.defined() ? prm.data_ptr<P>() : nullptr, id, map,
                       combine, finish);
  return out;
}

// The gradient in the dtype of the input it belongs to (float16/bfloat16 inputs compute in float32).
inline Tensor grad_as(const Tensor& g, DType t) { return cast(g, t); }

// A keepdim-shaped view of an output-shaped tensor (g, the result, a per-output factor).
inline Tensor keep_view(const Tensor& t, const DimPlan& p) {
  NoGradGuard no_grad;
  return reshape(t, p.keep_shape);
}

// out(shape) = f(a, b) with a and b broadcast to shape; O, A, B are the element types.
template <class O, class A, class B, class F>
Tensor map2(const Shape& shape, const Tensor& a, const Tensor& b, F f) {
  Tensor out = Tensor::empty(shape, dtype_of<O>(), kCPU);
  Strides so = out.strides(), sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
  auto plan = kernels::cpu::make_plan<3>(shape, {&so, &sa, &sb});
  kernels::cpu::binary(plan, out.data_ptr<O>(), a.data_ptr<A>(), b.data_ptr<B>(), f);
  return out;
}

// out(shape) = f(a, b, c) with a, b, c broadcast to shape.
template <class O, class A, class B, class C, class F>
Tensor map3(const Shape& shape, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  Tensor out = Tensor::empty(shape, dtype_of<O>(), kCPU);
  Strides so = out.strides(), sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape),
          sc = broadcast_strides(c, shape);
  auto plan = kernels::cpu::make_plan<4>(shape, {&so, &sa, &sb, &sc});
  kernels::cpu::ternary(plan, out.data_ptr<O>(), a.data_ptr<A>(), b.data_ptr<B>(), c.data_ptr<C>(), f);
  return out;
}

// The identity of max (lowest value) and min (highest value) for T.
template <class T>
constexpr T lowest_value() {
  if constexpr (std::is_floating_point_v<T>) {
    return -std::numeric_limits<T>::infinity();
  } else {
    return std::numeric_limits<T>::lowest();
  }
}
template <class T>
constexpr T highest_value() {
  if constexpr (std::is_floating_point_v<T>) {
    return std::numeric_limits<T>::infinity();
  } else {
    return std::numeric_limits<T>::max();
  }
}

// True where v is the selected extreme m (NaN matches NaN, as PyTorch's evenly-distributed gradient).
template <class T>
inline bool matches(T v, T m) {
  return v == m || (kernels::cpu::is_nan_value(v) && kernels::cpu::is_nan_value(m));
}

}  // namespace strata::ops
