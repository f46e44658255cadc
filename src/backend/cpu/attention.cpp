// The cpu backend's attention kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/cpu/families.h"

namespace strata::backend::cpu {

const AttentionKernels* attention_kernels() { return nullptr; }

}  // namespace strata::backend::cpu
