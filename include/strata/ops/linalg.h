#pragma once
// Matrix products through the GEMM library chosen by measurement (docs/performance.md).
#include "strata/core/tensor.h"

namespace strata {

// PyTorch's matmul: 1-D x 1-D dot; 2-D x 2-D matrix product; 1-D operands get a dim prepended/appended and
// removed after; N-D operands multiply their last two dims and broadcast the leading (batch) dims.
//   a: (..., n, k)   b: (..., k, m)   ->   (..., n, m)
Tensor matmul(const Tensor& a, const Tensor& b);
// 2-D only: (n, k) x (k, m) -> (n, m).
Tensor mm(const Tensor& a, const Tensor& b);
// 3-D only: (B, n, k) x (B, k, m) -> (B, n, m).
Tensor bmm(const Tensor& a, const Tensor& b);
// beta * self + alpha * (a @ b), with self broadcast to (n, m).
Tensor addmm(const Tensor& self, const Tensor& a, const Tensor& b, double beta = 1.0, double alpha = 1.0);
// x @ weight^T + bias, as nn.Linear:  x: (*, in)  weight: (out, in)  bias: (out) or undefined  -> (*, out)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace strata
