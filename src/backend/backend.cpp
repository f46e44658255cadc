#include "backend/backend.h"

#include <cstring>

#include "backend/cpu/families.h"
#include "backend/ref/families.h"
#if STRATA_WITH_CUDA
#include "backend/cuda/families.h"
#endif
#include "strata/core/backends.h"
#include "strata/core/error.h"

namespace strata::backend {

namespace {
const Backend* table[kDeviceTypeCount] = {};

struct Wire {
  Wire() {
    table[static_cast<int>(DeviceType::CPU)] = &cpu::backend();
    table[static_cast<int>(DeviceType::Ref)] = &ref::backend();
#if STRATA_WITH_CUDA
    table[static_cast<int>(DeviceType::CUDA)] = &cuda::backend();
#endif
  }
};

const Backend* lookup(DeviceType t) {
  static const Wire wire;
  return table[static_cast<int>(t)];
}
}  // namespace

const char* family_name(Family f) {
  switch (f) {
    case Family::Copy: return "copy";
    case Family::Elementwise: return "elementwise";
    case Family::Reduction: return "reduction";
    case Family::Gemm: return "GEMM";
    case Family::Conv: return "convolution";
    case Family::Index: return "indexing";
    case Family::Norm: return "normalisation";
    case Family::Attention: return "attention";
    case Family::Rnn: return "recurrent";
    case Family::Optim: return "optimizer";
    case Family::Count: break;
  }
  return "?";
}

bool has_backend(DeviceType t) { return lookup(t) != nullptr; }

const Backend& backend_for(const char* op, Device d) {
  const Backend* b = lookup(d.type);
  if (b == nullptr) [[unlikely]] {
    STRATA_FAIL("[", op, "] no kernel for device ", d.str(), " (this build has no ",
                d.type == DeviceType::CUDA ? "CUDA" : "such", " backend)");
  }
  return *b;
}

void throw_no_family(const char* op, Device d, Family f) {
  STRATA_FAIL("[", op, "] no ", family_name(f), " kernels for device ", d.str(), " yet");
}

namespace {
thread_local bool cpu_operands_follow = false;
}  // namespace

CpuOperandsFollowGuard::CpuOperandsFollowGuard() : prev_(cpu_operands_follow) { cpu_operands_follow = true; }
CpuOperandsFollowGuard::~CpuOperandsFollowGuard() { cpu_operands_follow = prev_; }

namespace {
// The device of the first operand that is not a following CPU tensor; throws when another one differs.
template <class It>
Device device_of(const char* op, It begin, It end) {
  // The common case first: every operand on the CPU.
  It it0 = begin;
  while (it0 != end && (!(*it0)->defined() || (*it0)->device().is_cpu())) ++it0;
  if (it0 == end) return kCPU;
  const Tensor* first = nullptr;
  for (It it = begin; it != end; ++it) {
    const Tensor* t = *it;
    if (!t->defined()) continue;
    // A 0-d CPU tensor (a wrapped scalar) goes with any device.
    if (t->device().is_cpu() && (t->dim() == 0 || cpu_operands_follow)) continue;
    if (first == nullptr) {
      first = t;
    } else if (t->device() != first->device()) {
      STRATA_FAIL("[", op, "] expected all tensors on one device, got ", first->device().str(), " and ",
                  t->device().str());
    }
  }
  return first != nullptr ? first->device() : kCPU;
}
}  // namespace

Device common_device(const char* op, std::initializer_list<const Tensor*> ts) {
  return device_of(op, ts.begin(), ts.end());
}

Device place_slow(const char* op, std::initializer_list<Tensor*> ts) {
  const Device dev = device_of(op, ts.begin(), ts.end());
  if (!dev.is_cpu()) {
    for (Tensor* t : ts) {
      if (t->defined() && t->device() != dev) *t = t->to(dev);
    }
  }
  return dev;
}

Tensor on_device(const Tensor& t, Device d) { return !t.defined() || t.device() == d ? t : t.to(d); }

void copy_bytes(void* dst, Device dd, const void* src, Device sd, size_t n) {
  if (n == 0) return;
  const Backend& bs = backend_for("to", sd);
  const Backend& bd = backend_for("to", dd);
  if (bs.host_memory && bd.host_memory) {
    std::memcpy(dst, src, n);
  } else if (bs.host_memory) {
    bd.from_host(dst, src, n, dd.index);
  } else if (bd.host_memory) {
    bs.to_host(dst, src, n, sd.index);
  } else {  // between two accelerators: through the host
    void* staging = cpu_allocator::allocate(n);
    bs.to_host(staging, src, n, sd.index);
    bd.from_host(dst, staging, n, dd.index);
    cpu_allocator::deallocate(staging, n);
  }
}

int64_t call_count(DeviceType t, Family f) {
  const Backend* b = lookup(t);
  return b ? b->calls[static_cast<int>(f)].load(std::memory_order_relaxed) : 0;
}

}  // namespace strata::backend

namespace strata {

bool device_built(DeviceType t) { return backend::has_backend(t); }

int cuda_device_count(std::string* why) {
#if STRATA_WITH_CUDA
  return backend::cuda::device_count(why);
#else
  if (why) *why = "this build has no CUDA backend";
  return 0;
#endif
}

}  // namespace strata
