#pragma once
// `mpirun -np N strata train cfg.json` (docs/distributed.md): what a run does differently on N processes.
// Every rank trains (its share of each global batch, gradients averaged by dist::DataParallel); rank 0 alone
// prints, logs, checkpoints and writes the run folder.
#include <memory>

#include "strata/data/dataloader.h"
#include "strata/nn/module.h"
#include "strata/tools/run_config.h"
#include "strata/train/fit.h"

namespace strata::tools::detail {

// Loader options for this rank: its shard of each global batch (training: every rank gets as many batches;
// evaluation: every example once). An error naming "batch_size" when it is smaller than the number of processes.
void shard_loader(data::DataLoaderOptions& options, const RunConfig& config, bool training);

// On several processes: converts batch norm to synchronised batch norm when "distributed.sync_batch_norm", wraps
// the model in dist::DataParallel (rank 0's weights to every rank) as fo.grad_sync, and adds the callback that
// spreads a signal received by any rank to all. Nothing in a world of one.
void setup_data_parallel(const RunConfig& config, nn::Module& model, train::FitOptions& fo);

}  // namespace strata::tools::detail
