#pragma once
// float32 2-D convolutions through oneDNN (the 2.6 API), on the same contiguous NCHW buffers and ConvGeom as
// kernels/cpu/conv.h. oneDNN picks its own (blocked) layouts; inputs are reordered in and results out on every
// call. Primitives are cached per (operation, geometry, bias, thread count) in a bounded, thread-safe LRU cache;
// reorder buffers and the scratchpad live in per-thread buffers reused across calls. All oneDNN code is in
// conv_dnnl.cpp; built without oneDNN (STRATA_WITH_DNNL=OFF or the library not found) every function here
// returns false and the callers use im2col.
#include <cstddef>

#include "kernels/cpu/conv.h"

namespace strata::kernels::cpu {

// Whether this build has oneDNN.
bool dnnl_available();

// Each returns false, having written nothing, when oneDNN is absent or has no optimised implementation for g
// (only its reference loops); the caller then runs im2col. Same contracts as conv2d_forward & co.
bool conv2d_forward_dnnl(const ConvGeom& g, const float* x, const float* w, const float* b, float* y);
bool conv2d_backward_data_dnnl(const ConvGeom& g, const float* dy, const float* w, float* dx);
// dw must be non-null; db may be null.
bool conv2d_backward_weight_dnnl(const ConvGeom& g, const float* dy, const float* x, float* dw, float* db);

// The primitive cache: how many entries it holds, and emptying it (tests).
size_t dnnl_conv_cache_size();
void dnnl_conv_cache_clear();
// oneDNN's implementation name for the forward primitive of g ("" without oneDNN), e.g. "jit:avx2" (tests, bench).
const char* dnnl_conv_impl(const ConvGeom& g);

}  // namespace strata::kernels::cpu
