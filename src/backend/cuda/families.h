#pragma once
// The CUDA backend (built when nvcc is found; STRATA_WITH_CUDA). Memory, the copy family and the elementwise
// family are in; the other kernel families are not written yet, so their ops fail on "cuda" with
// "[op] no <family> kernels for device cuda:0 yet".
#include "backend/backend.h"

namespace strata::backend::cuda {

const Backend& backend();
const CopyKernels* copy_kernels();
const ElementwiseKernels* elementwise_kernels();

// Usable CUDA devices (0 when there is no driver or no GPU; *why then says why, when given).
int device_count(std::string* why);

}  // namespace strata::backend::cuda
