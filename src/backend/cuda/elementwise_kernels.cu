// The CUDA elementwise family: one strided kernel per kind (unary, binary, compare, where), instantiated for each
// op of backend/functors.h's lists and each element type the op takes. The functors are the ones the cpu and ref
// backends use, compiled for the device (STRATA_HD).
#define STRATA_HD __host__ __device__
#include "backend/cuda/device_util.cuh"
#include "backend/functors.h"

namespace strata::backend::cuda {

namespace {
using namespace dev;  // NOLINT(google-build-using-namespace): the shared device helpers

// The type a stored element computes in: float for the 16-bit floats, itself otherwise.
template <class S>
using compute_t = std::conditional_t<std::is_same_v<S, __half> || std::is_same_v<S, __nv_bfloat16>, float, S>;

template <class T>
constexpr bool is_16bit = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

template <class F, class S>
__global__ void unary_kernel(StridedView out, StridedView x, int64_t n, F f, OpParams p) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  using C = compute_t<S>;
  const C v = load<C>(static_cast<const S*>(x.data) + offset_of(x, i));
  store(static_cast<S*>(out.data) + offset_of(out, i), f(v, p));
}

template <class F, class S, class A, class B>
__global__ void binary_kernel(StridedView out, StridedView a, StridedView b, int64_t n, F f, OpParams p) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  using C = compute_t<S>;
  const C x = load<C>(static_cast<const A*>(a.data) + offset_of(a, i));
  const C y = load<C>(static_cast<const B*>(b.data) + offset_of(b, i));
  store(static_cast<S*>(out.data) + offset_of(out, i), f(x, y, p));
}

template <class F, class T>
__global__ void compare_kernel(StridedView out, StridedView a, StridedView b, int64_t n, F f, OpParams p) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const T x = static_cast<const T*>(a.data)[offset_of(a, i)];
  const T y = static_cast<const T*>(b.data)[offset_of(b, i)];
  static_cast<bool*>(out.data)[offset_of(out, i)] = f(x, y, p);
}

template <class T>
__global__ void where_kernel(StridedView out, StridedView c, StridedView a, StridedView b, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const bool take_a = static_cast<const bool*>(c.data)[offset_of(c, i)];
  const T* src =
      take_a ? static_cast<const T*>(a.data) + offset_of(a, i) : static_cast<const T*>(b.data) + offset_of(b, i);
  static_cast<T*>(out.data)[offset_of(out, i)] = *src;
}

[[noreturn]] void bad_type(const char* kind, int op, Elem e) {
  throw std::runtime_error(std::string(kind) + " op " + std::to_string(op) + " does not take element type " +
                           std::to_string(static_cast<int>(e)));
}

// Whether an op of these OpTypes is instantiated for storage type S.
template <class S>
constexpr bool takes(OpTypes k) {
  if constexpr (std::is_same_v<S, bool>) {
    return k == OpTypes::All;
  } else if constexpr (std::is_same_v<S, int64_t>) {
    return k != OpTypes::Float;
  } else {
    return k != OpTypes::Int;
  }
}

OpParams params_of(const double* p) { return OpParams{p[0], p[1], p[2]}; }

template <class F, OpTypes K>
void unary_op(int op, const OpParams& p, const StridedView& out, const StridedView& x, int64_t n) {
  with_type(out.elem, [&](auto* tag) {
    using S = std::remove_pointer_t<decltype(tag)>;
    if constexpr (takes<S>(K)) {
      unary_kernel<F, S><<<blocks(n), kThreads>>>(out, x, n, F{}, p);
    } else {
      bad_type("unary", op, out.elem);
    }
  });
}

template <class F, OpTypes K>
void binary_op(int op, const OpParams& p, const StridedView& out, const StridedView& a, const StridedView& b,
               int64_t n) {
  with_type(out.elem, [&](auto* tag) {
    using S = std::remove_pointer_t<decltype(tag)>;
    if constexpr (!takes<S>(K) || std::is_same_v<S, bool>) {
      bad_type("binary", op, out.elem);
    } else if constexpr (is_16bit<S>) {
      // Either operand may be float32 next to a 16-bit out.
      const bool fa = a.elem == Elem::F32, fb = b.elem == Elem::F32;
      if (fa && fb) binary_kernel<F, S, float, float><<<blocks(n), kThreads>>>(out, a, b, n, F{}, p);
      else if (fa) binary_kernel<F, S, float, S><<<blocks(n), kThreads>>>(out, a, b, n, F{}, p);
      else if (fb) binary_kernel<F, S, S, float><<<blocks(n), kThreads>>>(out, a, b, n, F{}, p);
      else binary_kernel<F, S, S, S><<<blocks(n), kThreads>>>(out, a, b, n, F{}, p);
    } else {
      binary_kernel<F, S, S, S><<<blocks(n), kThreads>>>(out, a, b, n, F{}, p);
    }
  });
}

template <class F>
void compare_op(const OpParams& p, const StridedView& out, const StridedView& a, const StridedView& b, int64_t n) {
  with_type(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (is_16bit<T>) {
      throw std::runtime_error("compare: 16-bit operands arrive as float32");
    } else {
      compare_kernel<F, T><<<blocks(n), kThreads>>>(out, a, b, n, F{}, p);
    }
  });
}

}  // namespace

void launch_unary(int op, const double* params, const StridedView& out, const StridedView& x, int64_t n, int index) {
  cudaSetDevice(index);
  const OpParams p = params_of(params);
  switch (static_cast<UnaryOp>(op)) {
#define STRATA_CUDA_UNARY_CASE(Name, str, types) \
  case UnaryOp::Name: unary_op<fn::Name, OpTypes::types>(op, p, out, x, n); break;
    STRATA_UNARY_OPS(STRATA_CUDA_UNARY_CASE)
#undef STRATA_CUDA_UNARY_CASE
  }
  check_launch("unary kernel");
}

void launch_binary(int op, const double* params, const StridedView& out, const StridedView& a, const StridedView& b,
                   int64_t n, int index) {
  cudaSetDevice(index);
  const OpParams p = params_of(params);
  switch (static_cast<BinaryOp>(op)) {
#define STRATA_CUDA_BINARY_CASE(Name, str, types) \
  case BinaryOp::Name: binary_op<fn::Name, OpTypes::types>(op, p, out, a, b, n); break;
    STRATA_BINARY_OPS(STRATA_CUDA_BINARY_CASE)
#undef STRATA_CUDA_BINARY_CASE
  }
  check_launch("binary kernel");
}

void launch_compare(int op, const double* params, const StridedView& out, const StridedView& a, const StridedView& b,
                    int64_t n, int index) {
  cudaSetDevice(index);
  const OpParams p = params_of(params);
  switch (static_cast<CompareOp>(op)) {
#define STRATA_CUDA_COMPARE_CASE(Name, str, types) \
  case CompareOp::Name: compare_op<fn::Name>(p, out, a, b, n); break;
    STRATA_COMPARE_OPS(STRATA_CUDA_COMPARE_CASE)
#undef STRATA_CUDA_COMPARE_CASE
  }
  check_launch("compare kernel");
}

void launch_where(const StridedView& out, const StridedView& cond, const StridedView& a, const StridedView& b,
                  int64_t n, int index) {
  cudaSetDevice(index);
  with_type(out.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    where_kernel<T><<<blocks(n), kThreads>>>(out, cond, a, b, n);
  });
  check_launch("where kernel");
}

}  // namespace strata::backend::cuda
