// The ref backend's table: its memory and its kernel families.
#include "backend/ref/families.h"

namespace strata::backend::ref {

namespace {
CachingAllocator& alloc() {
  static CachingAllocator& a = host_caching_allocator("ref");  // looked up once: allocation is on every op's path
  return a;
}
}  // namespace

const Backend& backend() {
  static const Backend* b = [] {
    auto* t = new Backend();  // never destroyed: storages may die during static destruction
    t->name = "ref";
    t->type = DeviceType::Ref;
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

}  // namespace strata::backend::ref
