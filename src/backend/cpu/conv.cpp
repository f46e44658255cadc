// The cpu backend's conv kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/cpu/families.h"

namespace strata::backend::cpu {

const ConvKernels* conv_kernels() { return nullptr; }

}  // namespace strata::backend::cpu
