// The ref backend's optimizer updates: none fused. Every slot is null, so the optimizers take their unfused
// path (tensor ops, PyTorch's single-tensor implementations), which then runs on ref's other families.
#include "backend/optim.h"

#include "backend/ref/families.h"

namespace strata::backend::ref {

namespace {
const OptimKernels kOptim{};
}  // namespace

const OptimKernels* optim_kernels() { return &kOptim; }

}  // namespace strata::backend::ref
