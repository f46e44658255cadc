// LRSchedulerCallback: steps an epoch or per-step scheduler, or a ReduceLROnPlateau on a monitored value.
#include "monitor.h"
#include "strata/core/error.h"
#include "strata/train/callbacks.h"

namespace strata::train {

LRSchedulerCallback::LRSchedulerCallback(std::shared_ptr<optim::LRScheduler> scheduler, Interval interval)
    : scheduler_(std::move(scheduler)), interval_(interval) {
  STRATA_CHECK(scheduler_ != nullptr, "[LRSchedulerCallback] the scheduler is null");
}

LRSchedulerCallback::LRSchedulerCallback(std::shared_ptr<optim::ReduceLROnPlateau> plateau, std::string monitor)
    : plateau_(std::move(plateau)), monitor_(std::move(monitor)) {
  STRATA_CHECK(plateau_ != nullptr, "[LRSchedulerCallback] the ReduceLROnPlateau scheduler is null");
}

void LRSchedulerCallback::on_batch_end(TrainState& state, const Logs&) {
  // Per-step schedulers advance once per optimizer step, not per accumulated micro-batch.
  if (scheduler_ && interval_ == Interval::Step && state.optimizer_stepped) scheduler_->step();
}

void LRSchedulerCallback::on_epoch_end(TrainState&, Logs& epoch_logs) {
  if (scheduler_ && interval_ == Interval::Epoch) scheduler_->step();
  if (plateau_) plateau_->step(internal::monitored_value(epoch_logs, monitor_, "LRSchedulerCallback"));
}

}  // namespace strata::train
