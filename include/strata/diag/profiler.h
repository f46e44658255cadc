#pragma once
// Per-op time profile of training steps (docs/performance.md, "Profiling"). While a Profiler is alive, the probes
// of core/profile.h on its thread report to it: ops' forward self time, each autograd node's backward, the
// optimizer's step and the phases of train::Stepper / fit. When none is alive each probe is one branch.
//
//   diag::Profiler prof({.warmup_steps = 2, .max_steps = 10});
//   for (...) stepper(loss_fn);                 // or fit(...), or any loop calling optimizer.step()
//   diag::Profile p = prof.result();
//   std::cout << p.table();                     // rows by total time: kind, name, calls, total ms, ms/call, %
//   p.to_json();
//
// Rows (kind: what the time is):
//   forward    an op's self time (its function minus the ops it calls), recorded in the op entry points of
//              the main op families and the elementwise drivers; view ops (reshape, transpose) are not rows
//   backward   one autograd node's apply() by its op name (the ops its rule calls are inside it), and
//              "grad accumulation (engine)": the engine adding gradients that meet at one tensor
//   optimizer  "<Name>.step": Optimizer::step() over every parameter
//   other      "(outside any row)": the window's wall time minus every row above (module code, views, the
//              engine's scheduling, data loading, callbacks); the rows and this one sum to 100%
// Phases (inclusive, they overlap the rows): "data" (fit: fetching the next batch), "zero_grad", "forward+loss"
// and "backward" (Stepper::accumulate), "clip+callbacks" (Stepper::step before the update), "batch end" (fit:
// metrics and on_batch_end). A step is one optimizer.step() call; % is of the window's wall time.
// Only the constructing thread is measured. Profilers do not nest: a second one on the same thread is an error.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/io/json.h"

namespace strata::diag {

struct ProfileRow {
  std::string kind;  // "forward", "backward", "optimizer", "other" or "phase"
  std::string name;  // the op ("linear"), the node ("linear" in backward), "Adam.step", a phase
  int64_t calls = 0;
  double total_ms = 0;
  double percent = 0;  // of Profile::wall_ms
  double ms_per_call() const { return calls > 0 ? total_ms / static_cast<double>(calls) : 0.0; }
};

struct Profile {
  int64_t steps = 0;               // optimizer.step() calls in the window
  double wall_ms = 0;              // the window's wall time
  std::vector<ProfileRow> rows;    // forward / backward / optimizer / other, by total time, largest first
  std::vector<ProfileRow> phases;  // by total time
  double step_ms() const { return steps > 0 ? wall_ms / static_cast<double>(steps) : 0.0; }
  // The table (rows, then phases); `top` > 0 keeps only the largest `top` rows (the rest summed in one line).
  std::string table(int64_t top = 0) const;
  // {"steps", "wall_ms", "step_ms", "rows": [{"kind", "name", "calls", "total_ms", "ms_per_call", "percent"}],
  //  "phases": [...]}
  io::Json to_json() const;
};

struct ProfilerOptions {
  int64_t warmup_steps = 0;  // optimizer steps discarded before the window opens (>= 0)
  int64_t max_steps = 0;     // the window closes after this many steps (0: it stays open until result())
};

class Profiler {
 public:
  explicit Profiler(ProfilerOptions options = {});
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // Drops what was measured and opens the window now.
  void reset();
  // What the window holds so far (or held when it closed after max_steps).
  Profile result() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// True while a Profiler is alive on this thread.
bool profiler_active();

}  // namespace strata::diag
