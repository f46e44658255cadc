#pragma once
// Random fills over raw memory, reproducing PyTorch 1.13's CPU kernels (aten/src/ATen/native/cpu/
// DistributionTemplates.h) draw for draw, so that a seed gives the same numbers in Strata and PyTorch.
// What matches exactly, and what only to rounding, is listed in distributions.cpp.
#include <cstdint>

#include "strata/core/dtype.h"
#include "strata/core/generator.h"

namespace strata::detail {

// One uniform draw in [from, from + range) the way at::uniform_real_distribution<T> makes it: `digits`
// random bits (24 float, 53 double, 11 float16, 8 bfloat16) scaled by 2^-digits, then x * range + from
// (fused, as in PyTorch's AVX2 build). range is (to - from) computed in the tensor's dtype.
float uniform_float_draw(Generator& g, float from, float range, int digits);
double uniform_double_draw(Generator& g, double from, double range);

// Box-Muller over 16-element blocks (PyTorch's normal_fill), for contiguous memory with n >= 16.
// float32 follows normal_fill_AVX2 (avx_mathfun's log256_ps / sincos256_ps, emulated lane by lane).
void normal_fill_float(float* data, int64_t n, float mean, float std, Generator& g);
void normal_fill_double(double* data, int64_t n, double mean, double std, Generator& g);
// normal_fill<Half> / normal_fill<BFloat16>: scalar_t arithmetic, i.e. float math rounded to T at each store.
template <class T>
void normal_fill_half(T* data, int64_t n, float mean, float std, Generator& g);

}  // namespace strata::detail
