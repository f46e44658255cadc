// Per-module forward and backward latency through module hooks (the scheme is in strata/diag/summary.h).
#include "diag/summary_latency.h"

#include <algorithm>
#include <chrono>

#include "strata/core/error.h"
#include "strata/ops/creation.h"

namespace strata::diag::detail {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double fastest(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// One module's open calls: a stack, since calls nest and backward visits them in reverse.
struct Clocks {
  std::vector<Clock::time_point> fwd_open, bwd_open;
  double fwd_ms = 0, bwd_ms = 0;
  bool fwd_seen = false, bwd_seen = false;
};

struct Guard {
  std::vector<nn::HookHandle> handles;
  nn::Module& model;
  bool was_training;
  ~Guard() {
    for (nn::HookHandle& h : handles) h.remove();
    model.train(was_training);
  }
};

}  // namespace

void time_layers(nn::Module& model, const Shape& input_shape, const SummaryOptions& options,
                 const std::vector<nn::Module*>& modules, ModelSummary& s) {
  std::vector<Clocks> clocks(modules.size());
  Guard guard{{}, model, model.is_training()};
  model.eval();
  for (size_t i = 0; i < modules.size(); ++i) {
    Clocks* c = &clocks[i];
    guard.handles.push_back(modules[i]->register_forward_pre_hook([c](nn::Module&, const Tensor& in) {
      Tensor alias;
      if (in.defined() && in.requires_grad()) {
        // A view of its own, so that its gradient is this module's input gradient alone (not a sum over readers).
        alias = in.view(in.shape());
        alias.register_hook([c](const Tensor&) {
          if (!c->bwd_open.empty()) {
            c->bwd_ms += ms_between(c->bwd_open.back(), Clock::now());
            c->bwd_open.pop_back();
          }
          return Tensor();
        });
      }
      c->fwd_open.push_back(Clock::now());
      return alias;
    }));
    guard.handles.push_back(modules[i]->register_forward_hook([c](nn::Module&, const Tensor&, const Tensor&) {
      c->fwd_ms += ms_between(c->fwd_open.back(), Clock::now());
      c->fwd_open.pop_back();
      c->fwd_seen = true;
      return Tensor();
    }));
    guard.handles.push_back(modules[i]->register_output_grad_hook([c](nn::Module&, const Tensor&) {
      c->bwd_open.push_back(Clock::now());
      c->bwd_seen = true;
    }));
  }
  Tensor x = zeros(input_shape, TensorOptions().with_dtype(options.dtype));
  if (is_floating(options.dtype)) x.requires_grad_(true);
  std::vector<std::vector<double>> fwd(modules.size()), bwd(modules.size());
  std::vector<double> total_bwd;
  for (int rep = 0; rep <= options.latency_repeats; ++rep) {
    for (Clocks& c : clocks) c = Clocks{};
    Tensor y = model(x);
    // An output that needs no gradient (every parameter frozen, integer input) has no backward to time.
    const bool backward = y.requires_grad();
    const Clock::time_point b0 = Clock::now();
    if (backward) y.sum().backward();
    const Clock::time_point b1 = Clock::now();
    // A module whose input needs no gradient ends its backward with backward() itself.
    for (Clocks& c : clocks) {
      while (!c.bwd_open.empty()) {
        c.bwd_ms += ms_between(c.bwd_open.back(), b1);
        c.bwd_open.pop_back();
      }
    }
    if (rep == 0) continue;  // warm-up: caches, the allocator's free lists
    if (backward) total_bwd.push_back(ms_between(b0, b1));
    for (size_t i = 0; i < modules.size(); ++i) {
      if (clocks[i].fwd_seen) fwd[i].push_back(clocks[i].fwd_ms);
      if (clocks[i].bwd_seen) bwd[i].push_back(clocks[i].bwd_ms);
    }
  }
  model.zero_grad();
  s.latency = true;
  s.forward_ms = fwd[0].empty() ? -1 : fastest(fwd[0]);
  s.backward_ms = total_bwd.empty() ? -1 : fastest(total_bwd);
  for (size_t i = 1; i < modules.size() && i - 1 < s.layers.size(); ++i) {
    s.layers[i - 1].forward_ms = fwd[i].empty() ? -1 : fastest(fwd[i]);
    s.layers[i - 1].backward_ms = bwd[i].empty() ? -1 : fastest(bwd[i]);
  }
}

}  // namespace strata::diag::detail
