#include "strata/core/storage.h"

#include "backend/backend.h"
#include "strata/core/allocator.h"
#include "strata/core/error.h"

namespace strata {

StorageImpl::StorageImpl(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  // The CPU's allocator directly: every op allocates, and this skips the table lookup on the common path.
  data_ = device.is_cpu() ? cpu_allocator::allocate(nbytes)
                          : backend::backend_for("storage", device).allocate(nbytes, device.index);
}

StorageImpl::StorageImpl(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)), owned_(false) {}

StorageImpl::~StorageImpl() {
  if (owned_) {
    if (device_.is_cpu()) {
      cpu_allocator::deallocate(data_, nbytes_);
    } else {
      backend::backend_for("storage", device_).deallocate(data_, nbytes_, device_.index);
    }
  } else if (deleter_) {
    deleter_(data_);
  }
}

}  // namespace strata
