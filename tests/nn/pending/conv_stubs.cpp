// Stand-ins for the conv/pool ops (declared in strata/ops/conv.h, implemented by the conv family) so that
// the nn tests link before that family is merged. tests/CMakeLists.txt adds this file only while no
// src/ops/conv*.cpp / pool*.cpp exists; each stand-in throws, so a forward test cannot pass by accident.
#include "strata/core/error.h"
#include "strata/ops/conv.h"

namespace strata {

Tensor conv2d(const Tensor&, const Tensor&, const Tensor&, Size2, Size2, Size2, int64_t) {
  STRATA_FAIL("[conv2d] not available in this build (the conv family is not merged)");
}
Tensor max_pool2d(const Tensor&, Size2, Size2, Size2, Size2, bool) {
  STRATA_FAIL("[max_pool2d] not available in this build (the conv family is not merged)");
}
Tensor avg_pool2d(const Tensor&, Size2, Size2, Size2, bool, bool) {
  STRATA_FAIL("[avg_pool2d] not available in this build (the conv family is not merged)");
}
Tensor adaptive_avg_pool2d(const Tensor&, Size2) {
  STRATA_FAIL("[adaptive_avg_pool2d] not available in this build (the conv family is not merged)");
}

}  // namespace strata
