#pragma once
// Device-side helpers shared by the CUDA backend's .cu files: element loads and stores (16-bit floats through
// float), strided offsets, launch geometry and error checks, and element-type dispatch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "backend/cuda/runtime.h"

namespace strata::backend::cuda::dev {

constexpr int kThreads = 256;

// Loads any element type as C (bool as 0/1; 16-bit floats through float).
template <class C, class T>
__device__ inline C load(const T* p) {
  if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>) {
    return static_cast<C>(static_cast<float>(*p));
  } else {
    return static_cast<C>(*p);
  }
}
template <class T, class C>
__device__ inline void store(T* p, C v) {
  if constexpr (std::is_same_v<T, __half>) {
    *p = __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    *p = __float2bfloat16_rn(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    *p = v != C(0);
  } else {
    *p = static_cast<T>(v);
  }
}

__device__ inline int64_t offset_of(const StridedView& v, int64_t i) {
  int64_t off = 0;
  for (int d = v.ndim - 1; d >= 0; --d) {
    const int64_t k = i % v.sizes[d];
    i /= v.sizes[d];
    off += k * v.strides[d];
  }
  return off;
}

inline unsigned blocks(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

inline void check_launch(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

template <class Fn>
void with_type(Elem e, Fn&& fn) {
  switch (e) {
    case Elem::F32: fn(static_cast<float*>(nullptr)); break;
    case Elem::F64: fn(static_cast<double*>(nullptr)); break;
    case Elem::I64: fn(static_cast<int64_t*>(nullptr)); break;
    case Elem::Bool: fn(static_cast<bool*>(nullptr)); break;
    case Elem::F16: fn(static_cast<__half*>(nullptr)); break;
    case Elem::BF16: fn(static_cast<__nv_bfloat16*>(nullptr)); break;
  }
}

}  // namespace strata::backend::cuda::dev
