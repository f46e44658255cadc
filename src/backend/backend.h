#pragma once
// The backend seam. Every op reaches its kernels through the Backend of its operands' device: one table per
// device type, with one struct of function pointers per kernel family (copies and casts, elementwise,
// reductions, GEMM, convolution and pooling, indexing, normalisation and losses, attention, recurrent cells,
// optimizer updates). The op layer never names a device and never calls kernels::cpu directly.
//
// Backends: "cpu" (src/backend/cpu: the optimised kernels), "ref" (src/backend/ref: the naive reference
// kernels that sit beside every optimised one, in host memory of their own; it proves the seam and checks the
// cpu backend) and "cuda" (src/backend/cuda, when built with CUDA). A backend is wired in by backend.cpp, not by
// static registration, because libstrata is a static library.
//
// A family pointer may be null where a backend has no kernels of that family yet; the op then fails with
// "[op] no <family> kernels for device <d>". Some slots inside a family are optional (a fused fast path); the
// op layer then takes its composite path, written in ops.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "strata/core/allocator.h"
#include "strata/core/device.h"
#include "strata/core/tensor.h"

namespace strata::backend {

struct CopyKernels;
struct ElementwiseKernels;
struct ReductionKernels;
struct GemmKernels;
struct ConvKernels;
struct IndexKernels;
struct NormKernels;
struct AttentionKernels;
struct RnnKernels;
struct OptimKernels;

// Kernel families, for the per-backend call counters.
enum class Family : uint8_t { Copy, Elementwise, Reduction, Gemm, Conv, Index, Norm, Attention, Rnn, Optim, Count };
const char* family_name(Family f);

struct Backend {
  const char* name = "";
  DeviceType type = DeviceType::CPU;
  bool host_memory = true;  // the CPU may read and write its memory directly

  // Device memory (index: the device's index).
  void* (*allocate)(size_t nbytes, int index) = nullptr;
  void (*deallocate)(void* p, size_t nbytes, int index) = nullptr;
  AllocatorStats (*stats)(int index) = nullptr;
  // Contiguous bytes between host memory and this device (null for host backends: std::memcpy).
  void (*to_host)(void* host_dst, const void* src, size_t nbytes, int index) = nullptr;
  void (*from_host)(void* dst, const void* host_src, size_t nbytes, int index) = nullptr;

  const CopyKernels* copy = nullptr;
  const ElementwiseKernels* elementwise = nullptr;
  const ReductionKernels* reduction = nullptr;
  const GemmKernels* gemm = nullptr;
  const ConvKernels* conv = nullptr;  // convolution, pooling, upsampling
  const IndexKernels* index = nullptr;
  const NormKernels* norm = nullptr;  // softmax, losses, batch and layer norm
  const AttentionKernels* attention = nullptr;
  const RnnKernels* rnn = nullptr;
  const OptimKernels* optim = nullptr;

  // How many kernel calls of each family this backend has served (tests use it to show that an op really ran
  // on the backend it was asked for).
  mutable std::atomic<int64_t> calls[static_cast<int>(Family::Count)] = {};
};

// The backend of device d; throws strata::Error naming op when this build has none for it.
const Backend& backend_for(const char* op, Device d);
// Whether this build has a backend for device type t.
bool has_backend(DeviceType t);

// The device every defined tensor in ts lives on; throws strata::Error naming op and both devices when they
// differ. A 0-d CPU tensor (a wrapped scalar) is allowed next to tensors of any device, as PyTorch allows Python
// scalars; the caller moves it with on_device. Returns kCPU when no tensor is defined.
Device common_device(const char* op, std::initializer_list<const Tensor*> ts);
// t on device d: t itself when it is there already, else a copy (for the 0-d CPU operands above).
Tensor on_device(const Tensor& t, Device d);
// The op's device (common_device of ts), with every defined operand that is elsewhere (a 0-d CPU scalar)
// replaced by its copy there. The usual first line of an op:
//   Tensor a = a_in, b = b_in;
//   const Device dev = backend::place("add", {&a, &b});
Device place_slow(const char* op, std::initializer_list<Tensor*> ts);
inline Device place(const char* op, std::initializer_list<Tensor*> ts) {
  for (const Tensor* t : ts) {
    if (t->defined() && !t->device().is_cpu()) return place_slow(op, ts);
  }
  return kCPU;  // every operand on the CPU: nothing to check or move
}

// Test support: while alive on this thread, CPU tensors of any rank follow the other operands' device, as 0-d
// ones always do. The backend tests use it to run op-table rows whose index and mask constants were made on
// the CPU when the row was registered. Never set by the library.
class CpuOperandsFollowGuard {
 public:
  CpuOperandsFollowGuard();
  ~CpuOperandsFollowGuard();
  CpuOperandsFollowGuard(const CpuOperandsFollowGuard&) = delete;
  CpuOperandsFollowGuard& operator=(const CpuOperandsFollowGuard&) = delete;

 private:
  bool prev_;
};

[[noreturn]] void throw_no_family(const char* op, Device d, Family f);

// The kernels of one family on device d, counted; throws strata::Error naming op when the backend has none.
template <class K>
const K& kernels(const char* op, Device d, const K* Backend::*slot, Family f) {
  const Backend& b = backend_for(op, d);
  const K* k = b.*slot;
  if (k == nullptr) [[unlikely]] {
    throw_no_family(op, d, f);
  }
  b.calls[static_cast<int>(f)].fetch_add(1, std::memory_order_relaxed);
  return *k;
}
// Shorthands, one per family: backend::copy(op, dev).convert(...).
inline const CopyKernels& copy(const char* op, Device d) { return kernels(op, d, &Backend::copy, Family::Copy); }
inline const ElementwiseKernels& elementwise(const char* op, Device d) {
  return kernels(op, d, &Backend::elementwise, Family::Elementwise);
}
inline const ReductionKernels& reduction(const char* op, Device d) {
  return kernels(op, d, &Backend::reduction, Family::Reduction);
}
inline const GemmKernels& gemm(const char* op, Device d) { return kernels(op, d, &Backend::gemm, Family::Gemm); }
inline const ConvKernels& conv(const char* op, Device d) { return kernels(op, d, &Backend::conv, Family::Conv); }
inline const IndexKernels& index(const char* op, Device d) { return kernels(op, d, &Backend::index, Family::Index); }
inline const NormKernels& norm(const char* op, Device d) { return kernels(op, d, &Backend::norm, Family::Norm); }
inline const AttentionKernels& attention(const char* op, Device d) {
  return kernels(op, d, &Backend::attention, Family::Attention);
}
inline const RnnKernels& rnn(const char* op, Device d) { return kernels(op, d, &Backend::rnn, Family::Rnn); }
inline const OptimKernels& optim(const char* op, Device d) { return kernels(op, d, &Backend::optim, Family::Optim); }

// The family table of device d, or null when its backend has none (for optional fused paths).
template <class K>
const K* maybe_kernels(Device d, const K* Backend::*slot) {
  return has_backend(d.type) ? backend_for("", d).*slot : nullptr;
}

// n contiguous bytes from src (on device sd) to dst (on device dd), between any two devices of this build.
void copy_bytes(void* dst, Device dd, const void* src, Device sd, size_t n);

// Calls served so far by device type t's backend for family f (0 when not built).
int64_t call_count(DeviceType t, Family f);

}  // namespace strata::backend
