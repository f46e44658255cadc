// The CUDA copy family's kernels: one strided N-d elementwise kernel, instantiated per element-type pair.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "backend/cuda/runtime.h"

namespace strata::backend::cuda {

namespace {

constexpr int kThreads = 256;

// Loads any element type as C (bool as 0/1; 16-bit floats through float).
template <class C, class T>
__device__ C load(const T* p) {
  if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>) {
    return static_cast<C>(static_cast<float>(*p));
  } else {
    return static_cast<C>(*p);
  }
}
template <class T, class C>
__device__ void store(T* p, C v) {
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

__device__ int64_t offset_of(const StridedView& v, int64_t i) {
  int64_t off = 0;
  for (int d = v.ndim - 1; d >= 0; --d) {
    const int64_t k = i % v.sizes[d];
    i /= v.sizes[d];
    off += k * v.strides[d];
  }
  return off;
}

template <class D, class S>
__global__ void convert_kernel(StridedView dst, StridedView src, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const S* s = static_cast<const S*>(src.data) + offset_of(src, i);
  D* d = static_cast<D*>(dst.data) + offset_of(dst, i);
  if constexpr (std::is_same_v<S, double> || std::is_same_v<D, double>) {
    store(d, load<double>(s));
  } else if constexpr (std::is_same_v<S, int64_t> || std::is_same_v<D, int64_t>) {
    if constexpr (std::is_same_v<S, int64_t>) {
      store(d, *s);
    } else {
      store(d, static_cast<int64_t>(load<float>(s)));
    }
  } else {
    store(d, load<float>(s));
  }
}

template <class T>
__global__ void fill_kernel(StridedView dst, double value, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  store(static_cast<T*>(dst.data) + offset_of(dst, i), value);
}

template <class T, class C>
__global__ void add_kernel(StridedView out, StridedView a, StridedView b, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const C x = load<C>(static_cast<const T*>(a.data) + offset_of(a, i));
  const C y = load<C>(static_cast<const T*>(b.data) + offset_of(b, i));
  store(static_cast<T*>(out.data) + offset_of(out, i), x + y);
}

unsigned blocks(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

void check_launch(const char* what) {
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

}  // namespace

void launch_convert(const StridedView& dst, const StridedView& src, int64_t n, int index) {
  cudaSetDevice(index);
  with_type(dst.elem, [&](auto* dtag) {
    using D = std::remove_pointer_t<decltype(dtag)>;
    with_type(src.elem, [&](auto* stag) {
      using S = std::remove_pointer_t<decltype(stag)>;
      convert_kernel<D, S><<<blocks(n), kThreads>>>(dst, src, n);
    });
  });
  check_launch("convert kernel");
}

void launch_fill(const StridedView& dst, double value, int64_t n, int index) {
  cudaSetDevice(index);
  with_type(dst.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    fill_kernel<T><<<blocks(n), kThreads>>>(dst, value, n);
  });
  check_launch("fill kernel");
}

void launch_add(const StridedView& out, const StridedView& a, const StridedView& b, int64_t n, int index) {
  cudaSetDevice(index);
  switch (out.elem) {
    case Elem::F32: add_kernel<float, float><<<blocks(n), kThreads>>>(out, a, b, n); break;
    case Elem::F64: add_kernel<double, double><<<blocks(n), kThreads>>>(out, a, b, n); break;
    case Elem::F16: add_kernel<__half, float><<<blocks(n), kThreads>>>(out, a, b, n); break;
    case Elem::BF16: add_kernel<__nv_bfloat16, float><<<blocks(n), kThreads>>>(out, a, b, n); break;
    default: throw std::runtime_error("add kernel: floating types only");
  }
  check_launch("add kernel");
}

}  // namespace strata::backend::cuda
