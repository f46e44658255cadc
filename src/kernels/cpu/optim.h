#pragma once
// Fused optimizer updates: one pass over the parameter, its gradient and its state arrays (contiguous,
// same length n), instead of the ~10 tensor ops of the reference path in src/optim/*.cpp. The arithmetic
// follows PyTorch 1.13's single-tensor implementations step by step (same order of operations, scalars
// rounded to T first), so that both paths agree to float rounding. Instantiated for float and double;
// built with -fno-math-errno so that the sqrt loops vectorise.
#include <cstdint>

namespace strata::kernels::cpu {

struct SgdArgs {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
  bool first_step = false;  // the momentum buffer is set to the gradient (PyTorch's buf = clone(d_p))
};

// p -= lr * d, d = g + wd p, with the momentum buffer `buf` (may be null when momentum == 0).
template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, const SgdArgs& a);

struct AdamArgs {
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
  bool decoupled = false;  // AdamW: p *= 1 - lr wd before the update; Adam: g += wd p
  int64_t step = 1;        // the step count after this step (bias correction)
};

// Adam/AdamW: m, v are the first and second moments; vmax (amsgrad's running max of v) may be null.
template <class T>
void adam_step(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamArgs& a);

struct RmspropArgs {
  double lr = 0, alpha = 0, eps = 0, weight_decay = 0, momentum = 0;
  bool centered = false;
};

// RMSprop: sq is the running mean of g^2, gavg (centered only) of g, buf (momentum > 0 only) the buffer.
template <class T>
void rmsprop_step(T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n, const RmspropArgs& a);

}  // namespace strata::kernels::cpu
