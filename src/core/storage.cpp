#include "strata/core/storage.h"

#include "strata/core/allocator.h"
#include "strata/core/error.h"

namespace strata {

StorageImpl::StorageImpl(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  check_cpu("storage", device);
  data_ = cpu_allocator::allocate(nbytes);
}

StorageImpl::StorageImpl(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)), owned_(false) {}

StorageImpl::~StorageImpl() {
  if (owned_) {
    cpu_allocator::deallocate(data_, nbytes_);
  } else if (deleter_) {
    deleter_(data_);
  }
}

}  // namespace strata
