#include "strata/core/threading.h"

#include <omp.h>

#include <atomic>

#include "strata/core/error.h"

#ifdef STRATA_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace strata {

int get_num_threads() { return omp_get_max_threads(); }

void set_num_threads(int n) {
  STRATA_CHECK(n >= 1, "[set_num_threads] need at least one thread, got ", n);
  omp_set_num_threads(n);
#ifdef STRATA_HAVE_OPENBLAS
  openblas_set_num_threads(n);
#endif
}

namespace {
std::atomic<bool> g_deterministic{false};
}  // namespace

void set_deterministic(bool on) { g_deterministic.store(on, std::memory_order_relaxed); }
bool is_deterministic() { return g_deterministic.load(std::memory_order_relaxed); }

const char* gemm_backend() {
#ifdef STRATA_HAVE_OPENBLAS
  return "openblas-openmp";
#else
  return "strata-packed";
#endif
}

}  // namespace strata
