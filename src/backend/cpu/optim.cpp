// The cpu backend's optim kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/cpu/families.h"

namespace strata::backend::cpu {

const OptimKernels* optim_kernels() { return nullptr; }

}  // namespace strata::backend::cpu
