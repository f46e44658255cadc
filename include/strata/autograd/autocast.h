#pragma once
// Automatic mixed precision, with the semantics of PyTorch's torch.autocast("cpu"): inside an AutocastGuard,
// the ops that gain from low precision (matmul, linear, addmm, bmm, conv2d, conv_transpose2d, attention's
// products) cast their float32 operands to the guard's dtype (bfloat16 or float16) and return that dtype,
// with float32 accumulation inside; the ops that need range or precision (softmax, log_softmax, layer/batch/
// group norm, every loss, sum/mean reductions, exp/log, norms) cast 16-bit operands up to float32 and return
// float32; every other op runs in the dtype of its operands (a ReLU of a bfloat16 tensor is bfloat16).
// Parameters stay float32 (the master weights, and so the optimizer state): their low-precision copy is made
// per forward, through a recorded cast, so their gradients arrive in float32. A parameter's copy is cached for
// the outermost guard's scope (a weight used at every time step is converted once).
//
//   {
//     AutocastGuard autocast(kBFloat16);
//     Tensor loss = loss_fn(model(x), y);   // linear layers run in bfloat16, the loss in float32
//   }
//   loss.backward();                        // outside the guard, as in PyTorch
#include "strata/core/dtype.h"
#include "strata/core/tensor.h"

namespace strata {

class AutocastGuard {
 public:
  // dtype: kBFloat16 or kFloat16. enabled = false makes a scope that turns autocast off (nested regions).
  explicit AutocastGuard(DType dtype, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool prev_enabled_;
  DType prev_dtype_;
};

namespace autocast {
// True inside an enabled AutocastGuard on this thread.
bool is_enabled();
// The current guard's low-precision dtype (kBFloat16 when none is active).
DType dtype();
// For ops on the low-precision list: a float32 t cast to dtype() when autocast is enabled (recorded, so the
// gradient flows back in float32); other tensors unchanged.
Tensor to_low(const Tensor& t);
// For ops on the float32 list: a float16/bfloat16 t cast to float32 when autocast is enabled; else unchanged.
Tensor to_float32(const Tensor& t);
// Drops the cached low-precision copies of parameters (the outermost guard does this when it ends).
void clear_cache();
}  // namespace autocast

}  // namespace strata
