// The cpu backend's index kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/cpu/families.h"

namespace strata::backend::cpu {

const IndexKernels* index_kernels() { return nullptr; }

}  // namespace strata::backend::cpu
