#pragma once
// The CUDA backend's device side, as plain C++ declarations: the .cu files (compiled by nvcc) define these and
// are the only code that includes CUDA headers. The host side (backend.cpp, copy.cpp here) unpacks tensors into
// StridedView and calls them. Everything here is compiled when nvcc is found (STRATA_WITH_CUDA) and runs only on
// a machine with an NVIDIA driver and GPU.
#include <cstddef>
#include <cstdint>
#include <string>

namespace strata::backend::cuda {

// Element types the kernels know (strata::DType's order: Float32, Float64, Int64, Bool, Float16, BFloat16).
enum class Elem : int { F32 = 0, F64 = 1, I64 = 2, Bool = 3, F16 = 4, BF16 = 5 };

inline constexpr int kMaxDims = 8;

// One operand of an elementwise kernel: element type, data, and a shape with strides in elements (after the
// host has merged the dims it can; at most kMaxDims).
struct StridedView {
  Elem elem = Elem::F32;
  void* data = nullptr;
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
};

// Usable devices; 0, with *why set to the runtime's message, when there is no driver or no GPU.
int runtime_device_count(std::string* why);
// Device memory on device `index`; nullptr when it is exhausted.
void* raw_malloc(size_t nbytes, int index);
void raw_free(void* p, int index);
// Synchronous copies between host and device memory (they wait for the kernels queued before them).
void copy_to_host(void* host_dst, const void* src, size_t nbytes, int index);
void copy_from_host(void* dst, const void* host_src, size_t nbytes, int index);
void synchronize(int index);

// dst = src converted to dst's element type; fill; out = a + b (floating types, 16-bit computed in float).
// All views have the same sizes; n is their element count (> 0).
void launch_convert(const StridedView& dst, const StridedView& src, int64_t n, int index);
void launch_fill(const StridedView& dst, double value, int64_t n, int index);
void launch_add(const StridedView& out, const StridedView& a, const StridedView& b, int64_t n, int index);

// The elementwise family (elementwise_kernels.cu): op is a backend::UnaryOp / BinaryOp / CompareOp value and
// params its OpParams {a, b, c}. unary: x has out's element type. binary: a and b have out's, except that a
// float16/bfloat16 out may take a float32 operand. compare: a and b share one type, out is bool. where: cond is
// bool, a and b have out's type. Float16/bfloat16 compute in float.
void launch_unary(int op, const double* params, const StridedView& out, const StridedView& x, int64_t n, int index);
void launch_binary(int op, const double* params, const StridedView& out, const StridedView& a, const StridedView& b,
                   int64_t n, int index);
void launch_compare(int op, const double* params, const StridedView& out, const StridedView& a, const StridedView& b,
                    int64_t n, int index);
void launch_where(const StridedView& out, const StridedView& cond, const StridedView& a, const StridedView& b,
                  int64_t n, int index);

}  // namespace strata::backend::cuda
