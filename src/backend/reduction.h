#pragma once
// Kernel family: reductions. An op names what it reduces (ReduceOp + ReduceParams) and which dims; the backend
// chooses the loops. Tensors passed in live on the backend's device and are already in the compute dtype.
//
// Output-shaped tensors (out, g, aux) are passed with x's rank: the reduced dims kept as size 1 (the op reshapes
// its keepdim=false result to that view). Their strides are read as given; a size-1 dim is broadcast.
#include <cstdint>
#include <vector>

#include "backend/backend.h"

namespace strata::backend {

enum class ReduceOp : uint8_t {
  Sum,        // sum x; x float32/float64/int64, out the same dtype
  Mean,       // sum x / count; out x's dtype, or float64 (var's first pass)
  Var,        // sum (x - aux)^2 / max(0, count - correction); aux: the float64 mean (Mean into float64)
  Std,        // sqrt of Var
  LogSumExp,  // m + log sum exp(x - m), m the max (taken as 0 where infinite)
  Norm,       // (sum |x|^p)^(1/p) for params.p; p = 0 counts the non-zeros, +-inf the largest/smallest |x|
  Max,        // the largest value (NaN wins); float32/float64/int64/bool
  Min,        // the smallest value (NaN wins)
  AllFinite,  // out (bool) = no element of x is inf or NaN; x float32/float64
};

struct ReduceParams {
  double p = 2.0;          // Norm's order
  int64_t correction = 0;  // Var/Std: Bessel's correction (the divisor is count - correction)
};

struct ReductionKernels {
  // out (x's rank, reduced dims 1) = op over the dims of x where reduced[d] (x non-empty, any strides).
  // aux: the per-output parameter Var/Std read (undefined otherwise).
  void (*reduce)(ReduceOp op, const ReduceParams& prm, const Tensor& out, const Tensor& x, const Tensor& aux,
                 const std::vector<bool>& reduced);
  // gx (x's shape, contiguous, g's dtype) = d op / dx applied to g (output-shaped), for the x, out and aux of the
  // forward. Sum and Mean read g only (x may be undefined). Max/Min split g evenly among the elements equal to the
  // result; Norm follows PyTorch 1.13 (0 where the norm is 0). Not for AllFinite.
  void (*reduce_backward)(ReduceOp op, const ReduceParams& prm, const Tensor& gx, const Tensor& g, const Tensor& x,
                          const Tensor& out, const Tensor& aux, const std::vector<bool>& reduced);
  // The best value (vals, may be undefined) and its index (idx, int64) along dim of x (first index among ties;
  // NaN counts as larger and smaller than everything). vals/idx: x's rank with dim as size 1. x: float32/float64/
  // int64/bool, dim of size > 0 (for a 0-d x, dim 0 of size 1).
  void (*arg_reduce)(const Tensor& vals, const Tensor& idx, const Tensor& x, int64_t dim, bool is_max);
  // gx (contiguous, g's dtype) = g where the position along dim equals idx, 0 elsewhere; g and idx: gx's rank with
  // dim as size 1.
  void (*arg_reduce_backward)(const Tensor& gx, const Tensor& g, const Tensor& idx, int64_t dim);
};

}  // namespace strata::backend
