#pragma once
// The ref backend's kernel families, one provider per family (src/backend/ref/<family>.cpp). A provider
// returns null while the backend has no kernels of that family.
#include "backend/backend.h"

namespace strata::backend::ref {

const Backend& backend();

const CopyKernels* copy_kernels();
const ElementwiseKernels* elementwise_kernels();
const ReductionKernels* reduction_kernels();
const GemmKernels* gemm_kernels();
const ConvKernels* conv_kernels();
const IndexKernels* index_kernels();
const NormKernels* norm_kernels();
const AttentionKernels* attention_kernels();
const RnnKernels* rnn_kernels();
const OptimKernels* optim_kernels();

}  // namespace strata::backend::ref
