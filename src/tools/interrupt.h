#pragma once
// SIGINT / SIGTERM during `strata train`: the first signal only sets a flag, which the run's checkpoint writer reads
// after each optimizer step (it then writes a checkpoint and stops training); the handler is reset to the
// default, so a second Ctrl-C ends the process at once.
namespace strata::tools::detail {

// Installs the handlers for its lifetime and restores the previous ones afterwards; clears the flag.
class InterruptHandlers {
 public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;
};

// The signal received since the handlers were installed (SIGINT, SIGTERM), 0 when none.
int pending_interrupt();
// "SIGINT", "SIGTERM" or "signal N".
const char* signal_name(int sig);
// For tests: acts as if `sig` had been received.
void raise_interrupt(int sig);

}  // namespace strata::tools::detail
