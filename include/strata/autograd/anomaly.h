#pragma once
// Anomaly mode (torch.autograd.detect_anomaly, extended to name the layer): while a DetectAnomalyGuard is
// alive, every recorded op checks its outputs and every backward rule checks the gradients it returns. The
// first op that turns finite inputs into nan/inf (forward) or finite output gradients into nan/inf input
// gradients (backward) is remembered with the scope active when it ran: the module path that module hooks
// push with AnomalyScope ("features.3 (Linear)"). Nothing throws: first_anomaly() says what happened, and
// the training doctor reports it. Costs one pass over every op's outputs, so it is off by default.
#include <optional>
#include <string>

#include "strata/core/tensor.h"

namespace strata::autograd {

struct Anomaly {
  std::string phase;   // "forward" or "backward"
  std::string op;      // the op as recorded ("log", "div", "linear")
  std::string scope;   // innermost AnomalyScope when the op was recorded ("" outside any module)
  std::string detail;  // "output 0 of shape (64, 10): 12 nan, 0 inf"
};

bool anomaly_enabled();

// Turns anomaly mode on (or off) for its lifetime; nests. Clears the remembered anomaly when it turns the
// mode on.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool enabled = true);
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool prev_;
};

// The first anomaly since the mode was turned on or clear_anomaly() was called.
std::optional<Anomaly> first_anomaly();
void clear_anomaly();

// Names the code that records ops while it is alive (innermost wins); pushed by module hooks.
class AnomalyScope {
 public:
  explicit AnomalyScope(std::string label);
  ~AnomalyScope();
  AnomalyScope(const AnomalyScope&) = delete;
  AnomalyScope& operator=(const AnomalyScope&) = delete;
};
void push_anomaly_scope(std::string label);
void pop_anomaly_scope();
std::string current_anomaly_scope();

// Counts of nan and inf elements of a floating-point tensor (0, 0 for other dtypes).
struct NonFinite {
  int64_t nan = 0, inf = 0;
  bool any() const { return nan + inf > 0; }
};
NonFinite count_non_finite(const Tensor& t);

namespace detail {
// Called by record() and the engine when anomaly mode is on.
void check_forward(const char* op, const TensorList& inputs, const TensorList& outputs);
void check_backward(const std::string& op, const std::string& scope, const TensorList& grad_outputs,
                    const TensorList& grad_inputs);
}  // namespace detail

}  // namespace strata::autograd
