#include "strata/core/threading.h"

#include <omp.h>

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

const char* gemm_backend() {
#ifdef STRATA_HAVE_OPENBLAS
  return "openblas-openmp";
#else
  return "strata-packed";
#endif
}

}  // namespace strata
