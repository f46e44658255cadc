// The caching CPU allocator: statistics, reuse of freed blocks, the cache limit, and empty_cache.
#include <gtest/gtest.h>

#include <cstdint>

#include "strata/strata.h"

using namespace strata;

#ifndef STRATA_SANITIZE  // sanitizer builds bypass the cache so that ASan sees every use after free

namespace {
// An odd size that nothing else in the test binary is likely to allocate.
constexpr int64_t kOdd = 12345 + 7;
constexpr int64_t kOddBytes = (kOdd * 4 + 63) / 64 * 64;
}  // namespace

TEST(Allocator, AlignedAndAccounted) {
  cpu_allocator::empty_cache();
  AllocatorStats before = cpu_allocator::stats();
  void* p = cpu_allocator::allocate(100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  AllocatorStats during = cpu_allocator::stats();
  EXPECT_EQ(during.allocated_bytes - before.allocated_bytes, 128);  // rounded up to 64 bytes
  EXPECT_GE(during.peak_allocated_bytes, during.allocated_bytes);
  cpu_allocator::deallocate(p, 100);
  AllocatorStats after = cpu_allocator::stats();
  EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
  EXPECT_EQ(after.cached_bytes - before.cached_bytes, 128);
  cpu_allocator::deallocate(nullptr, 10);  // a no-op
}

TEST(Allocator, RepeatedSameSizeAllocationsHitTheCache) {
  cpu_allocator::empty_cache();
  AllocatorStats s0 = cpu_allocator::stats();
  EXPECT_EQ(s0.cached_bytes, 0);
  const void* first = nullptr;
  {
    Tensor t = empty({kOdd});
    first = t.raw_data();
  }
  AllocatorStats s1 = cpu_allocator::stats();
  EXPECT_EQ(s1.misses - s0.misses, 1);
  EXPECT_EQ(s1.cached_bytes, kOddBytes);
  for (int i = 0; i < 5; ++i) {
    Tensor t = empty({kOdd});
    EXPECT_EQ(t.raw_data(), first);  // the same block comes back
  }
  AllocatorStats s2 = cpu_allocator::stats();
  EXPECT_EQ(s2.hits - s1.hits, 5);
  EXPECT_EQ(s2.misses, s1.misses);
  // A different size does not take the cached block.
  { Tensor t = empty({kOdd + 64}); }
  EXPECT_EQ(cpu_allocator::stats().misses - s2.misses, 1);
  cpu_allocator::empty_cache();
  EXPECT_EQ(cpu_allocator::stats().cached_bytes, 0);
}

TEST(Allocator, PeakAndReset) {
  cpu_allocator::reset_peak();
  AllocatorStats s0 = cpu_allocator::stats();
  EXPECT_EQ(s0.peak_allocated_bytes, s0.allocated_bytes);
  {
    Tensor big = empty({1 << 20});  // 4 MiB
    EXPECT_GE(cpu_allocator::stats().peak_allocated_bytes, s0.allocated_bytes + (4 << 20));
  }
  AllocatorStats s1 = cpu_allocator::stats();
  EXPECT_EQ(s1.allocated_bytes, s0.allocated_bytes);
  EXPECT_GE(s1.peak_allocated_bytes, s0.allocated_bytes + (4 << 20));  // the peak remembers
  cpu_allocator::reset_peak();
  EXPECT_EQ(cpu_allocator::stats().peak_allocated_bytes, s1.allocated_bytes);
}

TEST(Allocator, CacheLimit) {
  cpu_allocator::set_cache_limit(0);  // nothing is kept
  EXPECT_EQ(cpu_allocator::stats().cached_bytes, 0);
  { Tensor t = empty({kOdd}); }
  EXPECT_EQ(cpu_allocator::stats().cached_bytes, 0);
  cpu_allocator::set_cache_limit(size_t{1} << 30);
  { Tensor t = empty({kOdd}); }
  EXPECT_EQ(cpu_allocator::stats().cached_bytes, kOddBytes);
  cpu_allocator::empty_cache();
}

#endif  // STRATA_SANITIZE

TEST(Allocator, ImpossibleSizesThrow) {
  // 2^48 float32 elements (1 PiB) cannot be mapped; 2^62 of them do not even fit in 64-bit byte counts.
#ifndef STRATA_SANITIZE  // ASan aborts on such requests instead of returning null
  EXPECT_THROW(empty({int64_t{1} << 48}), Error);
#endif
  try {
    empty({int64_t{1} << 31, int64_t{1} << 31, 4});
    FAIL() << "expected strata::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[empty]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(empty({-1, 3}), Error);
}

TEST(Storage, WrapsExternalMemoryWithDeleter) {
  static float buffer[6] = {1, 2, 3, 4, 5, 6};
  int deleted = 0;
  {
    auto storage = std::make_shared<StorageImpl>(buffer, sizeof(buffer), kCPU, [&deleted](void* p) {
      EXPECT_EQ(p, buffer);
      ++deleted;
    });
    Tensor t = Tensor::make_view(storage, {2, 3}, {3, 1}, 0, kFloat32);
    EXPECT_EQ(t.at({1, 2}), 6.0);
    Tensor col = Tensor::make_view(storage, {2}, {3}, 1, kFloat32);
    EXPECT_EQ(col.to_vector<float>(), (std::vector<float>{2, 5}));
    EXPECT_EQ(deleted, 0);
  }
  EXPECT_EQ(deleted, 1);
}
