// The ref backend's conv kernels: not moved behind the seam yet (the ops still call kernels::cpu directly).
#include "backend/ref/families.h"

namespace strata::backend::ref {

const ConvKernels* conv_kernels() { return nullptr; }

}  // namespace strata::backend::ref
