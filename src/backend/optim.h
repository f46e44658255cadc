#pragma once
// Kernel family: fused optimizer updates. Every slot is optional: where a backend leaves one null, the optimizer
// takes its unfused path written with tensor ops (PyTorch's single-tensor implementation, op for op).
// Tensors passed in live on the backend's device, are contiguous, have one float dtype (float32 or float64) and
// one shape; the optional state tensors may be undefined where the arguments say so.
#include "backend/backend.h"
#include "kernels/cpu/optim.h"

namespace strata::backend {

using kernels::cpu::AdamArgs;
using kernels::cpu::RmspropArgs;
using kernels::cpu::SgdArgs;

struct OptimKernels {
  // p -= lr d; buf: the momentum buffer (undefined when momentum == 0).
  void (*sgd_step)(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdArgs& a) = nullptr;
  // Adam / AdamW; vmax: amsgrad's running max of v (undefined without amsgrad).
  void (*adam_step)(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
                    const AdamArgs& a) = nullptr;
  // RMSprop; gavg undefined unless centered, buf undefined unless momentum > 0.
  void (*rmsprop_step)(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& gavg, const Tensor& buf,
                       const RmspropArgs& a) = nullptr;
};

// The optim kernels of device d when it has them (null otherwise: the optimizers take their unfused path).
inline const OptimKernels* maybe_optim(Device d) { return maybe_kernels(d, &Backend::optim); }

}  // namespace strata::backend
