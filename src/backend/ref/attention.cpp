// The ref backend's attention kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/ref/families.h"

namespace strata::backend::ref {

const AttentionKernels* attention_kernels() { return nullptr; }

}  // namespace strata::backend::ref
