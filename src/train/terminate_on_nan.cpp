// TerminateOnNaN: stops at the first non-finite batch loss and says where it happened.
#include <cmath>

#include "monitor.h"
#include "strata/core/error.h"
#include "strata/train/callbacks.h"

namespace strata::train {

void TerminateOnNaN::on_batch_end(TrainState& state, const Logs& batch_logs) {
  auto it = batch_logs.find("batch_loss");
  if (it == batch_logs.end()) it = batch_logs.find("loss");
  if (it == batch_logs.end() || std::isfinite(it->second)) return;
  triggered_ = true;
  // The optimizer step this micro-batch belongs to (1-based): the one it just completed, or the next one.
  global_step_ = state.optimizer_stepped ? state.global_step : state.global_step + 1;
  message_ = strata::detail::concat("TerminateOnNaN: loss is ", internal::format_double(it->second), " at epoch ",
                                    state.epoch + 1, "/", state.epochs, ", batch ", state.batch + 1, "/",
                                    state.batches_per_epoch, " (global step ", global_step_, "); stopping training");
  state.stop_training = true;
  state.stop_reason = message_;
  if (os_ != nullptr) *os_ << message_ << '\n' << std::flush;
}

}  // namespace strata::train
