#include "strata/core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "strata/core/error.h"

namespace strata {
namespace {

constexpr size_t kAlign = 64;

size_t round_up(size_t n) { return (std::max<size_t>(n, 1) + kAlign - 1) / kAlign * kAlign; }

void* host_alloc(size_t n) { return std::aligned_alloc(kAlign, n); }
void host_free(void* p) { std::free(p); }

}  // namespace

struct CachingAllocator::State {
  std::string name;
  RawAlloc raw_alloc;
  RawFree raw_free;
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // keyed by rounded size
  AllocatorStats stats;
  size_t limit = size_t{1} << 30;
#ifdef STRATA_SANITIZE
  bool enabled = false;  // let ASan see every use-after-free
#else
  bool enabled = true;
#endif
};

CachingAllocator::CachingAllocator(const char* device_name, RawAlloc raw_alloc, RawFree raw_free)
    : state_(new State{device_name, raw_alloc, raw_free, {}, {}, {}}) {}

// The state is deliberately leaked: a storage freed during static destruction still finds it.
CachingAllocator::~CachingAllocator() = default;

void* CachingAllocator::allocate(size_t nbytes) {
  size_t n = round_up(nbytes);
  State& c = *state_;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(n);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.stats.cached_bytes -= static_cast<int64_t>(n);
      c.stats.allocated_bytes += static_cast<int64_t>(n);
      c.stats.peak_allocated_bytes = std::max(c.stats.peak_allocated_bytes, c.stats.allocated_bytes);
      ++c.stats.hits;
      return p;
    }
    ++c.stats.misses;
    c.stats.allocated_bytes += static_cast<int64_t>(n);
    c.stats.peak_allocated_bytes = std::max(c.stats.peak_allocated_bytes, c.stats.allocated_bytes);
  }
  void* p = c.raw_alloc(n);
  if (!p) {
    empty_cache();
    p = c.raw_alloc(n);
  }
  if (!p) {
    std::lock_guard<std::mutex> lock(c.mu);
    c.stats.allocated_bytes -= static_cast<int64_t>(n);
    STRATA_FAIL("[allocator] out of memory allocating ", nbytes, " bytes on ", c.name);
  }
  return p;
}

void CachingAllocator::deallocate(void* p, size_t nbytes) {
  if (!p) return;
  size_t n = round_up(nbytes);
  State& c = *state_;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.stats.allocated_bytes -= static_cast<int64_t>(n);
    if (c.enabled && static_cast<size_t>(c.stats.cached_bytes) + n <= c.limit) {
      c.free_blocks[n].push_back(p);
      c.stats.cached_bytes += static_cast<int64_t>(n);
      return;
    }
  }
  c.raw_free(p);
}

void CachingAllocator::empty_cache() {
  State& c = *state_;
  std::vector<void*> blocks;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    for (auto& [size, v] : c.free_blocks) blocks.insert(blocks.end(), v.begin(), v.end());
    c.free_blocks.clear();
    c.stats.cached_bytes = 0;
  }
  for (void* p : blocks) c.raw_free(p);
}

void CachingAllocator::set_cache_limit(size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->limit = bytes;
  }
  empty_cache();
}

AllocatorStats CachingAllocator::stats() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stats.peak_allocated_bytes = state_->stats.allocated_bytes;
}

AllocatorStats allocator_stats(Device device) {
  return backend::backend_for("allocator_stats", device).stats(device.index);
}

namespace cpu_allocator {
CachingAllocator& instance() {
  static auto* a = new CachingAllocator("cpu", host_alloc, host_free);  // never destroyed
  return *a;
}
void* allocate(size_t nbytes) { return instance().allocate(nbytes); }
void deallocate(void* p, size_t nbytes) { instance().deallocate(p, nbytes); }
void empty_cache() { instance().empty_cache(); }
void set_cache_limit(size_t bytes) { instance().set_cache_limit(bytes); }
AllocatorStats stats() { return instance().stats(); }
void reset_peak() { instance().reset_peak(); }
}  // namespace cpu_allocator

CachingAllocator& host_caching_allocator(const char* name) {
  static std::mutex mu;
  static std::unordered_map<std::string, CachingAllocator*> all;
  std::lock_guard<std::mutex> lock(mu);
  if (std::string(name) == "cpu") return cpu_allocator::instance();
  CachingAllocator*& a = all[name];
  if (!a) a = new CachingAllocator(name, host_alloc, host_free);  // never destroyed
  return *a;
}

}  // namespace strata
