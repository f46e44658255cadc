// The CUDA backend's table: device memory through a caching allocator per device, host-device copies, and the
// copy family. Host code only: the CUDA runtime is reached through runtime.h.
#include <array>
#include <stdexcept>
#include <string>

#include "backend/cuda/families.h"
#include "backend/cuda/runtime.h"
#include "strata/core/error.h"

namespace strata::backend::cuda {

namespace {

constexpr int kMaxDevices = 16;

// Runs a runtime call, turning its failure into strata::Error naming what was being done.
template <class Fn>
auto guarded(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const std::runtime_error& e) {
    STRATA_FAIL("[cuda] ", what, " failed: ", e.what());
  }
}

void check_index(int index) {
  std::string why;
  const int n = device_count(&why);
  STRATA_CHECK(n > 0, "[cuda] no CUDA device is available (", why, ")");
  STRATA_CHECK(index >= 0 && index < n && index < kMaxDevices, "[cuda] device cuda:", index, " does not exist (", n,
               " device", n == 1 ? "" : "s", ")");
}

template <int I>
void* alloc_on(size_t n) {
  return guarded("cudaMalloc", [&] { return raw_malloc(n, I); });
}
template <int I>
void free_on(void* p) {
  guarded("cudaFree", [&] { raw_free(p, I); });
}

template <int... I>
std::array<CachingAllocator*, sizeof...(I)> make_allocators(std::integer_sequence<int, I...>) {
  static const char* names[] = {"cuda:0", "cuda:1", "cuda:2",  "cuda:3",  "cuda:4",  "cuda:5",  "cuda:6",  "cuda:7",
                                "cuda:8", "cuda:9", "cuda:10", "cuda:11", "cuda:12", "cuda:13", "cuda:14", "cuda:15"};
  return {new CachingAllocator(names[I], alloc_on<I>, free_on<I>)...};  // never destroyed
}

CachingAllocator& alloc(int index) {
  static const auto all = make_allocators(std::make_integer_sequence<int, kMaxDevices>{});
  return *all[static_cast<size_t>(index)];
}

}  // namespace

int device_count(std::string* why) {
  static std::string reason;
  static const int n = [] {
    try {
      return runtime_device_count(&reason);
    } catch (const std::exception& e) {
      reason = e.what();
      return 0;
    }
  }();
  if (why) *why = reason;
  return n;
}

const Backend& backend() {
  static const Backend* b = [] {
    auto* t = new Backend();  // never destroyed: storages may die during static destruction
    t->name = "cuda";
    t->type = DeviceType::CUDA;
    t->host_memory = false;
    t->allocate = [](size_t n, int index) {
      check_index(index);
      return alloc(index).allocate(n);
    };
    t->deallocate = [](void* p, size_t n, int index) { alloc(index).deallocate(p, n); };
    t->stats = [](int index) {
      check_index(index);
      return alloc(index).stats();
    };
    t->to_host = [](void* dst, const void* src, size_t n, int index) {
      guarded("copy to host", [&] { copy_to_host(dst, src, n, index); });
    };
    t->from_host = [](void* dst, const void* src, size_t n, int index) {
      guarded("copy from host", [&] { copy_from_host(dst, src, n, index); });
    };
    t->copy = copy_kernels();
    t->elementwise = elementwise_kernels();
    return t;
  }();
  return *b;
}

}  // namespace strata::backend::cuda
