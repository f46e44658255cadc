#include "strata/autograd/autocast.h"

#include <unordered_map>

#include "strata/autograd/grad_mode.h"
#include "strata/ops/views.h"

namespace strata {
namespace {
thread_local bool enabled = false;
thread_local DType low_dtype = kBFloat16;
thread_local int depth = 0;

struct CacheEntry {
  Tensor source;  // keeps the parameter alive so its address is not reused while cached
  uint64_t version = 0;
  Tensor low;
};
// Low-precision copies of leaf tensors that require grad (parameters), keyed by storage identity.
thread_local std::unordered_map<const void*, CacheEntry> cache;
}  // namespace

AutocastGuard::AutocastGuard(DType dtype, bool on) : prev_enabled_(enabled), prev_dtype_(low_dtype) {
  STRATA_CHECK(dtype == kBFloat16 || dtype == kFloat16,
               "[autocast] the low-precision dtype must be bfloat16 or "
               "float16, got ",
               dtype);
  enabled = on;
  low_dtype = dtype;
  ++depth;
}

AutocastGuard::~AutocastGuard() {
  enabled = prev_enabled_;
  low_dtype = prev_dtype_;
  if (--depth == 0) autocast::clear_cache();
}

namespace autocast {

bool is_enabled() { return enabled; }
DType dtype() { return low_dtype; }

Tensor to_low(const Tensor& t) {
  if (!enabled || !t.defined() || t.dtype() != kFloat32) return t;
  // Parameters (leaves that require grad) are cast once per outermost guard; the cast is recorded, so every
  // use sends its gradient through it to the float32 parameter.
  if (t.is_leaf() && t.requires_grad() && GradMode::is_enabled()) {
    const void* key = t.raw_data();
    auto it = cache.find(key);
    if (it != cache.end() && it->second.version == t.version() && it->second.low.dtype() == low_dtype &&
        it->second.source.shape() == t.shape()) {
      return it->second.low;
    }
    Tensor low = to_dtype(t, low_dtype);
    cache[key] = CacheEntry{t, t.version(), low};
    return low;
  }
  return to_dtype(t, low_dtype);
}

Tensor to_float32(const Tensor& t) {
  if (!enabled || !t.defined() || (t.dtype() != kBFloat16 && t.dtype() != kFloat16)) return t;
  return to_dtype(t, kFloat32);
}

void clear_cache() { cache.clear(); }

}  // namespace autocast
}  // namespace strata
