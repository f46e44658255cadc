// The CUDA runtime calls behind runtime.h: devices, memory and copies. Errors become a message that the host
// side turns into strata::Error (this file does not include the library's headers).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "backend/cuda/runtime.h"

namespace strata::backend::cuda {

namespace {
void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
void set_device(int index) { check(cudaSetDevice(index), "cudaSetDevice"); }
}  // namespace

int runtime_device_count(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (why) *why = cudaGetErrorString(e);
    (void)cudaGetLastError();  // clear the sticky error
    return 0;
  }
  if (n == 0 && why) *why = "no CUDA device";
  return n;
}

void* raw_malloc(size_t nbytes, int index) {
  set_device(index);
  void* p = nullptr;
  if (cudaMalloc(&p, nbytes) != cudaSuccess) {
    (void)cudaGetLastError();
    return nullptr;
  }
  return p;
}

void raw_free(void* p, int index) {
  set_device(index);
  check(cudaFree(p), "cudaFree");
}

void copy_to_host(void* host_dst, const void* src, size_t nbytes, int index) {
  set_device(index);
  check(cudaMemcpy(host_dst, src, nbytes, cudaMemcpyDeviceToHost), "cudaMemcpy device to host");
}

void copy_from_host(void* dst, const void* host_src, size_t nbytes, int index) {
  set_device(index);
  check(cudaMemcpy(dst, host_src, nbytes, cudaMemcpyHostToDevice), "cudaMemcpy host to device");
}

void synchronize(int index) {
  set_device(index);
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

}  // namespace strata::backend::cuda
