#include "strata/core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "strata/core/error.h"

namespace strata::cpu_allocator {
namespace {

constexpr size_t kAlign = 64;

struct Cache {
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

Cache& cache() {
  static auto* c = new Cache();  // never destroyed: storages may be freed during static destruction
  return *c;
}

size_t round_up(size_t n) { return (std::max<size_t>(n, 1) + kAlign - 1) / kAlign * kAlign; }

}  // namespace

void* allocate(size_t nbytes) {
  size_t n = round_up(nbytes);
  Cache& c = cache();
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
  void* p = std::aligned_alloc(kAlign, n);
  if (!p) {
    empty_cache();
    p = std::aligned_alloc(kAlign, n);
  }
  if (!p) {
    std::lock_guard<std::mutex> lock(c.mu);
    c.stats.allocated_bytes -= static_cast<int64_t>(n);
    STRATA_FAIL("[allocator] out of memory allocating ", nbytes, " bytes");
  }
  return p;
}

void deallocate(void* p, size_t nbytes) {
  if (!p) return;
  size_t n = round_up(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.stats.allocated_bytes -= static_cast<int64_t>(n);
    if (c.enabled && static_cast<size_t>(c.stats.cached_bytes) + n <= c.limit) {
      c.free_blocks[n].push_back(p);
      c.stats.cached_bytes += static_cast<int64_t>(n);
      return;
    }
  }
  std::free(p);
}

void empty_cache() {
  Cache& c = cache();
  std::vector<void*> blocks;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    for (auto& [size, v] : c.free_blocks) blocks.insert(blocks.end(), v.begin(), v.end());
    c.free_blocks.clear();
    c.stats.cached_bytes = 0;
  }
  for (void* p : blocks) std::free(p);
}

void set_cache_limit(size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(cache().mu);
    cache().limit = bytes;
  }
  empty_cache();
}

AllocatorStats stats() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().stats;
}

void reset_peak() {
  std::lock_guard<std::mutex> lock(cache().mu);
  cache().stats.peak_allocated_bytes = cache().stats.allocated_bytes;
}

}  // namespace strata::cpu_allocator
