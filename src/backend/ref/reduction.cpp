// The ref backend's reduction kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/ref/families.h"

namespace strata::backend::ref {

const ReductionKernels* reduction_kernels() { return nullptr; }

}  // namespace strata::backend::ref
