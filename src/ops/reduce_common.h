#pragma once
// Shared by the reduction op files: which dims a reduction covers, and the calls into the reduction family.
#include <vector>

#include "backend/reduction.h"
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

inline void check_input(const Tensor& x, const char* op) { STRATA_CHECK(x.defined(), "[", op, "] undefined tensor"); }

inline void check_float(const Tensor& x, const char* op) {
  check_input(x, op);
  STRATA_CHECK(is_floating(x.dtype()), "[", op, "] expected a floating-point tensor, got ", x.dtype());
}

// The gradient in the dtype of the input it belongs to (float16/bfloat16 inputs compute in float32).
inline Tensor grad_as(const Tensor& g, DType t) { return cast(g, t); }

// A keepdim-shaped view of an output-shaped tensor (g, the result, a per-output factor).
inline Tensor keep_view(const Tensor& t, const DimPlan& p) {
  NoGradGuard no_grad;
  return reshape(t, p.keep_shape);
}

// A new tensor (p.out_shape, dtype t, on x's device) = op over x (already in its compute dtype) as p says.
inline Tensor run_reduce(const char* name, backend::ReduceOp op, const Tensor& x, const DimPlan& p, DType t,
                         const Tensor& aux = Tensor(), const backend::ReduceParams& prm = {}) {
  Tensor out = Tensor::empty(p.out_shape, t, x.device());
  backend::reduction(name, x.device()).reduce(op, prm, out, x, aux, p.mask);
  return out;
}

// The gradient (x's shape, g's dtype, contiguous) of op from g for the forward's x, out and aux.
inline Tensor run_reduce_backward(const char* name, backend::ReduceOp op, const Tensor& g, const Shape& in_shape,
                                  const Tensor& x, const Tensor& out, const Tensor& aux, const DimPlan& p,
                                  const backend::ReduceParams& prm = {}) {
  Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
  auto kv = [&](const Tensor& t) { return t.defined() ? keep_view(t, p) : t; };
  backend::reduction(name, g.device()).reduce_backward(op, prm, gx, kv(g), x, kv(out), kv(aux), p.mask);
  return gx;
}

}  // namespace strata::ops
