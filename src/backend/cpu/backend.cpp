// The cpu backend's table: its memory and its kernel families.
#include "backend/cpu/families.h"

namespace strata::backend::cpu {

namespace {
CachingAllocator& alloc() {
  static CachingAllocator& a = host_caching_allocator("cpu");  // looked up once: allocation is on every op's path
  return a;
}
}  // namespace

const Backend& backend() {
  static const Backend* b = [] {
    auto* t = new Backend();  // never destroyed: storages may die during static destruction
    t->name = "cpu";
    t->type = DeviceType::CPU;
    t->host_memory = true;
    t->allocate = [](size_t n, int) { return alloc().allocate(n); };
    t->deallocate = [](void* p, size_t n, int) { alloc().deallocate(p, n); };
    t->stats = [](int) { return alloc().stats(); };
    t->copy = copy_kernels();
    t->elementwise = elementwise_kernels();
    t->reduction = reduction_kernels();
    t->gemm = gemm_kernels();
    t->conv = conv_kernels();
    t->index = index_kernels();
    t->norm = norm_kernels();
    t->attention = attention_kernels();
    t->rnn = rnn_kernels();
    t->optim = optim_kernels();
    return t;
  }();
  return *b;
}

}  // namespace strata::backend::cpu
