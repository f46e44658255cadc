#pragma once
// A caching allocator for CPU storage: freed blocks are kept per exact size and handed out again, so a
// training loop that allocates the same shapes every step stops calling malloc after the first step.
#include <cstddef>
#include <cstdint>

#include "strata/core/device.h"

namespace strata {

struct AllocatorStats {
  int64_t allocated_bytes = 0;       // in live storages
  int64_t cached_bytes = 0;          // freed, kept for reuse
  int64_t peak_allocated_bytes = 0;  // high-water mark of allocated_bytes
  int64_t hits = 0;                  // allocations served from the cache
  int64_t misses = 0;                // allocations that went to the system
};

// The caching policy over a raw allocator: freed blocks are kept per rounded size (64 bytes) up to a limit.
// Every backend gets its own instance (the CPU's below, the reference backend's, one per CUDA device), so each
// device's statistics are its own. Instances are never destroyed: storages may die during static destruction.
class CachingAllocator {
 public:
  using RawAlloc = void* (*)(size_t nbytes);  // returns nullptr when out of memory
  using RawFree = void (*)(void* p);
  CachingAllocator(const char* device_name, RawAlloc raw_alloc, RawFree raw_free);
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;
  ~CachingAllocator();

  // 64-byte aligned; never returns nullptr (throws strata::Error when out of memory).
  void* allocate(size_t nbytes);
  void deallocate(void* p, size_t nbytes);
  void empty_cache();
  void set_cache_limit(size_t bytes);
  AllocatorStats stats();
  void reset_peak();

 private:
  struct State;
  State* state_;
};

// The statistics of the allocator behind a device's storages ("cpu", "ref", "cuda:N").
AllocatorStats allocator_stats(Device device);

// The caching allocator over aligned host memory for the host backend `name` (one instance per name; "cpu"
// gives cpu_allocator's).
CachingAllocator& host_caching_allocator(const char* name);

namespace cpu_allocator {
CachingAllocator& instance();
// 64-byte aligned; never returns nullptr (throws strata::Error when out of memory).
void* allocate(size_t nbytes);
void deallocate(void* p, size_t nbytes);
// Returns every cached block to the system.
void empty_cache();
// Most bytes kept in the cache; beyond that, freed blocks go back to the system. Default 1 GiB.
void set_cache_limit(size_t bytes);
AllocatorStats stats();
void reset_peak();
}  // namespace cpu_allocator

}  // namespace strata
