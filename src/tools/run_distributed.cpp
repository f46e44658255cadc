// `strata train` on several processes (run_distributed.h).
#include "tools/run_distributed.h"

#include <vector>

#include "strata/core/error.h"
#include "strata/dist/data_parallel.h"
#include "strata/dist/sync_batch_norm.h"
#include "tools/interrupt.h"

namespace strata::tools::detail {

namespace {

// SIGINT / SIGTERM reach a rank's handler; the run's checkpoint writer (rank 0) reads it after each optimizer step.
// This callback runs first, after each step, on every rank: when any rank has a signal, every rank takes it, so
// rank 0 writes the checkpoint and all stop after the same step (mpirun forwards a Ctrl-C to every rank anyway;
// a `kill` of one rank's process reaches only that one).
class SpreadSignals : public train::Callback {
 public:
  void on_batch_end(train::TrainState& s, const train::Logs& /*logs*/) override {
    if (!s.optimizer_stepped) return;
    std::vector<double> sig{static_cast<double>(pending_interrupt())};
    dist::all_reduce(sig, dist::ReduceOp::Max);
    if (sig[0] > 0 && pending_interrupt() == 0) raise_interrupt(static_cast<int>(sig[0]));
  }
};

// Each rank its own dropout and noise stream, derived from rank 0's at every epoch's start.
class RankStreams : public train::Callback {
 public:
  void on_epoch_begin(train::TrainState& /*s*/) override { dist::decorrelate_default_generator(); }
};

}  // namespace

void shard_loader(data::DataLoaderOptions& options, const RunConfig& config, bool training) {
  const int world = dist::world_size();
  if (world <= 1) return;
  STRATA_CHECK(options.batch_size >= world, config.json.where(), ": ", training ? "batch_size" : "eval_batch_size",
               " is the global batch (", options.batch_size, "), split over ", world,
               " processes: it must be at least the number of processes");
  options.num_shards = world;
  options.shard = dist::rank();
  options.even_shards = training;
}

void setup_data_parallel(const RunConfig& config, nn::Module& model, train::FitOptions& fo) {
  if (dist::world_size() <= 1) return;
  if (config.distributed.sync_batch_norm) dist::convert_sync_batch_norm(model);
  dist::DataParallelOptions o;
  o.bucket_cap_mb = config.distributed.bucket_cap_mb;
  fo.grad_sync = std::make_shared<dist::DataParallel>(model, o);
  fo.callbacks.insert(fo.callbacks.begin(), std::make_shared<SpreadSignals>());
  fo.callbacks.insert(fo.callbacks.begin(), std::make_shared<RankStreams>());
}

}  // namespace strata::tools::detail
