// The ref backend's norm kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/ref/families.h"

namespace strata::backend::ref {

const NormKernels* norm_kernels() { return nullptr; }

}  // namespace strata::backend::ref
