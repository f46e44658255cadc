// The CUDA copy family's kernels: one strided N-d elementwise kernel, instantiated per element-type pair.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "backend/cuda/device_util.cuh"
#include "backend/cuda/runtime.h"

namespace strata::backend::cuda {

namespace {
using namespace dev;  // NOLINT(google-build-using-namespace): the shared device helpers

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
