#pragma once
// A caching allocator for CPU storage: freed blocks are kept per exact size and handed out again, so a
// training loop that allocates the same shapes every step stops calling malloc after the first step.
#include <cstddef>
#include <cstdint>

namespace strata {

struct AllocatorStats {
  int64_t allocated_bytes = 0;       // in live storages
  int64_t cached_bytes = 0;          // freed, kept for reuse
  int64_t peak_allocated_bytes = 0;  // high-water mark of allocated_bytes
  int64_t hits = 0;                  // allocations served from the cache
  int64_t misses = 0;                // allocations that went to the system
};

namespace cpu_allocator {
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
