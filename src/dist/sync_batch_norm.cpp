// dist::convert_sync_batch_norm: the batch-norm layers' replica sums become all-reduces over the ranks.
#include "strata/dist/sync_batch_norm.h"

#include <vector>

#include "strata/core/error.h"
#include "strata/dist/process_group.h"
#include "strata/nn/normalization.h"

namespace strata::dist {

int64_t convert_sync_batch_norm(nn::Module& model) {
  STRATA_CHECK(is_initialized() || !launched_by_mpi(),
               "[convert_sync_batch_norm] call dist::init() first: this process was started by an MPI launcher "
               "but has not joined the job, so its batch norms could not be synchronised");
  // One rank: its statistics are the global ones; the fused single-process path stays (same results, same speed).
  const bool distributed = world_size() > 1;
  int64_t changed = 0;
  model.apply([&](nn::Module& m) {
    auto* bn = dynamic_cast<nn::BatchNormBase*>(&m);
    if (bn == nullptr) return;
    ++changed;
    if (distributed) bn->set_replica_sum([](std::vector<double>& values) { all_reduce(values, ReduceOp::Sum); });
  });
  return changed;
}

}  // namespace strata::dist
