#pragma once
// Reductions over any set of dims (empty dims = all dims), with keepdim.
#include <utility>

#include "strata/core/tensor.h"

namespace strata {

Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// Variance with Bessel's correction (correction = 1) or without (0).
Tensor var(const Tensor& x, const Dims& dims = {}, int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, const Dims& dims = {}, int64_t correction = 1, bool keepdim = false);
// Largest / smallest over everything (0-d result); the gradient is split evenly between ties.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// Values and int64 indices of the largest / smallest along dim (first index among ties).
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
// Largest / smallest over dims (values only).
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// Index of the largest / smallest element, flattened (0-d) or along dim.
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
// log(sum(exp(x))) computed stably.
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
// p-norm (p = 2 default; p = 1; p = inf as std::numeric_limits<double>::infinity()).
Tensor norm(const Tensor& x, double p = 2.0, const Dims& dims = {}, bool keepdim = false);
// Whether every element of x is finite (no inf or NaN): a 0-d bool tensor on x's device. Not differentiable.
Tensor all_finite(const Tensor& x);

}  // namespace strata
