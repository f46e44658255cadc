#include "strata/core/profile.h"

#include <chrono>

namespace strata::profile {

namespace detail {
thread_local Collector* t_collector = nullptr;
}

namespace {
// The innermost recorded Forward/Backward/Optimizer scope of this thread.
thread_local Scope* t_top = nullptr;
thread_local int t_opaque = 0;  // > 0 inside a backward node or an optimizer step
}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Forward: return "forward";
    case Kind::Backward: return "backward";
    case Kind::Optimizer: return "optimizer";
    case Kind::Phase: return "phase";
  }
  return "?";
}

Collector* install(Collector* c) {
  Collector* prev = detail::t_collector;
  detail::t_collector = c;
  return prev;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Scope::begin(Kind kind, std::string_view name) {
  if (kind != Kind::Phase) {
    // Inside an opaque scope the enclosing row already times everything; a same-name nesting is one call.
    if (t_opaque > 0 || (t_top != nullptr && t_top->name_ == name)) return;
    parent_ = t_top;
    t_top = this;
    if (kind != Kind::Forward) ++t_opaque;
  }
  on_ = true;
  kind_ = kind;
  name_ = name;
  start_ = now_ns();
}

void Scope::end() {
  const int64_t elapsed = now_ns() - start_;
  if (kind_ != Kind::Phase) {
    t_top = parent_;
    if (kind_ != Kind::Forward) --t_opaque;
    if (parent_ != nullptr) parent_->child_ns_ += elapsed;
  }
  // The collector may have been removed while the scope was open (a Profiler that ended inside an op).
  if (Collector* c = detail::t_collector) c->add(kind_, name_, kind_ == Kind::Forward ? elapsed - child_ns_ : elapsed);
}

}  // namespace strata::profile
