#pragma once
// The probes behind diag::Profiler (strata/diag/profiler.h). Ops, the autograd engine, the optimizers and the
// training step open a profile::Scope around their work; while no Collector is installed on the calling
// thread a Scope costs one thread-local load and a branch, and records nothing.
//
// What a Scope measures:
//   Kind::Forward    an op's self time: wall time inside the op function minus the time of the ops it calls
//                    (linear's row excludes the matmul it might call). A scope nested in one of the same name
//                    (gelu calling its elementwise driver "gelu") is merged into it.
//   Kind::Backward   one autograd node's apply(), inclusive: the ops its backward rule calls are not rows of
//                    their own (opaque).
//   Kind::Optimizer  an optimizer's step() over all parameters, inclusive (opaque).
//   Kind::Phase      a phase of the training step (forward+loss, backward, ...), inclusive, outside the
//                    self-time accounting: phases overlap the rows above.
// Only the thread that installed the collector is measured (a data loader's prefetch thread is not).
#include <cstdint>
#include <string_view>

namespace strata::profile {

enum class Kind : uint8_t { Forward, Backward, Optimizer, Phase };

const char* kind_name(Kind k);  // "forward", "backward", "optimizer", "phase"

class Collector {
 public:
  virtual ~Collector() = default;
  // One timed call of `name` (nanoseconds). Called on the installing thread only.
  virtual void add(Kind kind, std::string_view name, int64_t ns) = 0;
};

namespace detail {
extern thread_local Collector* t_collector;
}

// The collector of this thread (nullptr: profiling is off).
inline Collector* active() { return detail::t_collector; }
// Installs `c` on this thread (nullptr: off) and returns the previous one.
Collector* install(Collector* c);

int64_t now_ns();  // a steady clock

// Times its lifetime as one call of `name`; `name` must outlive the scope.
class Scope {
 public:
  Scope(Kind kind, std::string_view name) {
    if (detail::t_collector != nullptr) begin(kind, name);
  }
  ~Scope() {
    if (on_) end();
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void begin(Kind kind, std::string_view name);
  void end();

  bool on_ = false;
  Kind kind_ = Kind::Forward;
  std::string_view name_;
  int64_t start_ = 0;
  int64_t child_ns_ = 0;  // time of nested recorded scopes (subtracted for self time)
  Scope* parent_ = nullptr;
};

}  // namespace strata::profile
