#pragma once
// Kernel family: softmax and log_softmax, the nll / cross-entropy losses, batch norm (fused training kernels and
// the phases of synchronised batch norm) and layer norm. Tensors passed in live on the backend's device, are
// contiguous and in the compute dtype (float32 or float64); outputs are pre-allocated by the op. An optional
// tensor (weight, bias, a gradient not wanted) is passed undefined.
#include <cstdint>

#include "backend/backend.h"
#include "kernels/cpu/softmax.h"

namespace strata::backend {

// A contiguous (outer, n, inner) block around the softmax dim (n entries at stride inner).
struct SoftmaxShape {
  int64_t outer = 1, n = 1, inner = 1;
};

// Logits / log-probabilities as (N, C, D) (D = 1 for (N, C) input), targets (N, D) int64 already checked.
using kernels::cpu::LossShape;

// The sums a loss reduction needs: of the per-position losses and of the non-ignored targets' weights.
struct LossTotals {
  double total = 0, weight = 0;
};

// Batch norm over a contiguous (N, C, S) view, S the product of the spatial dims (1 for (N, C) input).
struct BatchNormShape {
  int64_t N = 0, C = 0, S = 1;
};

struct NormKernels {
  // y = softmax(x) (log_softmax when log) along the middle dim; gx from the output y and its gradient g:
  //   softmax: gx = y * (g - sum(g * y))        log_softmax: gx = g - exp(y) * sum(g)
  void (*softmax_forward)(const Tensor& y, const Tensor& x, const SoftmaxShape& s, bool log);
  void (*softmax_backward)(const Tensor& gx, const Tensor& y, const Tensor& g, const SoftmaxShape& s, bool log);

  // NLL: loss[p] = -w[t] lp[n, t, d] (0 where t == ignore_index), per position into loss (N * D, lp's dtype).
  LossTotals (*nll_forward)(const LossShape& s, const Tensor& loss, const Tensor& lp, const Tensor& target,
                            const Tensor& weight);
  // gx[n, t, d] = -w[t] g[p] scale, 0 elsewhere; g per position (g_stride 1) or one value (g_stride 0).
  void (*nll_backward)(const LossShape& s, const Tensor& gx, const Tensor& target, const Tensor& weight,
                       const Tensor& g, int64_t g_stride, double scale);
  // Cross-entropy on logits z with label smoothing eps (PyTorch 1.13); lse and loss: float64, N * D each (lse is
  // kept for the backward).
  LossTotals (*cross_entropy_forward)(const LossShape& s, const Tensor& lse, const Tensor& loss, const Tensor& z,
                                      const Tensor& target, const Tensor& weight, double eps);
  void (*cross_entropy_backward)(const LossShape& s, const Tensor& gx, const Tensor& z, const Tensor& target,
                                 const Tensor& weight, double eps, const Tensor& lse, const Tensor& g, int64_t g_stride,
                                 double scale);

  // Batch norm, training mode: y = (x - mean) rstd w + b with the batch's mean and biased var (C each, written
  // with rstd = 1 / sqrt(var + eps)); backward from the saved x, mean and rstd (dx, dw, db each optional).
  void (*batch_norm_forward)(const BatchNormShape& s, const Tensor& y, const Tensor& mean, const Tensor& var,
                             const Tensor& rstd, const Tensor& x, const Tensor& w, const Tensor& b, double eps);
  void (*batch_norm_backward)(const BatchNormShape& s, const Tensor& dx, const Tensor& dw, const Tensor& db,
                              const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                              const Tensor& w);
  // The phases of synchronised batch norm; per-channel double arrays (C each) live in host memory, where the
  // replicas' sums are taken. On one replica they give the fused kernels' bits.
  void (*batch_norm_channel_sums)(const BatchNormShape& s, const Tensor& x, double* sum);
  void (*batch_norm_channel_sq)(const BatchNormShape& s, const Tensor& x, const double* mean, double* sq);
  void (*batch_norm_apply)(const BatchNormShape& s, const Tensor& y, const Tensor& x, const double* mean,
                           const double* rstd, const Tensor& w, const Tensor& b);
  void (*batch_norm_grad_sums)(const BatchNormShape& s, const Tensor& dy, const Tensor& x, const Tensor& mean,
                               double* sdy, double* sdyx);
  void (*batch_norm_grad_input)(const BatchNormShape& s, const Tensor& dx, const Tensor& dy, const Tensor& x,
                                const Tensor& mean, const Tensor& rstd, const Tensor& w, const double* sdy,
                                const double* sdyx, double M);

  // Layer norm over the M rows of N values of a contiguous (M, N) view: y = (x - mean) rstd w + b (w, b: N),
  // mean and rstd saved (M each); backward: dx and the optional dw, db (N).
  void (*layer_norm_forward)(int64_t M, int64_t N, const Tensor& y, const Tensor& mean, const Tensor& rstd,
                             const Tensor& x, const Tensor& w, const Tensor& b, double eps);
  void (*layer_norm_backward)(int64_t M, int64_t N, const Tensor& dx, const Tensor& dw, const Tensor& db,
                              const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                              const Tensor& w);
};

}  // namespace strata::backend
