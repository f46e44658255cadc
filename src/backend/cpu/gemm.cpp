// The cpu backend's gemm kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/cpu/families.h"

namespace strata::backend::cpu {

const GemmKernels* gemm_kernels() { return nullptr; }

}  // namespace strata::backend::cpu
