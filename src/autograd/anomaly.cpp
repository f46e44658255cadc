// Anomaly mode: finds the first op whose forward or backward turns finite values into nan/inf, and the
// module scope it ran in.
#include "strata/autograd/anomaly.h"

#include <cmath>
#include <mutex>
#include <sstream>
#include <vector>

namespace strata::autograd {

namespace {

// Global rather than thread-local: the doctor turns it on around a training step, whose ops may run on
// the calling thread only (OpenMP parallelises inside kernels, not across ops).
bool g_enabled = false;
std::mutex g_mutex;
std::optional<Anomaly> g_first;
thread_local std::vector<std::string> t_scopes;

template <class T>
NonFinite count_typed(const Tensor& c) {
  NonFinite r;
  const T* p = c.data_ptr<T>();
  const int64_t n = c.numel();
  for (int64_t i = 0; i < n; ++i) {
    const T v = p[i];
    if (std::isnan(v)) {
      ++r.nan;
    } else if (std::isinf(v)) {
      ++r.inf;
    }
  }
  return r;
}

bool all_finite(const TensorList& ts) {
  for (const Tensor& t : ts) {
    if (t.defined() && count_non_finite(t).any()) return false;
  }
  return true;
}

void remember(Anomaly a) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_first) g_first = std::move(a);
}

bool already_found() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_first.has_value();
}

}  // namespace

bool anomaly_enabled() { return g_enabled; }

DetectAnomalyGuard::DetectAnomalyGuard(bool enabled) : prev_(g_enabled) {
  if (enabled && !prev_) clear_anomaly();
  g_enabled = enabled;
}

DetectAnomalyGuard::~DetectAnomalyGuard() { g_enabled = prev_; }

std::optional<Anomaly> first_anomaly() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_first;
}

void clear_anomaly() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_first.reset();
}

AnomalyScope::AnomalyScope(std::string label) { push_anomaly_scope(std::move(label)); }
AnomalyScope::~AnomalyScope() { pop_anomaly_scope(); }

void push_anomaly_scope(std::string label) { t_scopes.push_back(std::move(label)); }
void pop_anomaly_scope() {
  if (!t_scopes.empty()) t_scopes.pop_back();
}
std::string current_anomaly_scope() { return t_scopes.empty() ? std::string() : t_scopes.back(); }

NonFinite count_non_finite(const Tensor& t) {
  if (!t.defined() || t.numel() == 0) return {};
  const DType d = t.dtype();
  if (d != kFloat32 && d != kFloat64) return {};
  const Tensor c = t.is_contiguous() ? t : t.contiguous();
  return d == kFloat32 ? count_typed<float>(c) : count_typed<double>(c);
}

namespace detail {

void check_forward(const char* op, const TensorList& inputs, const TensorList& outputs) {
  if (already_found()) return;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NonFinite nf = count_non_finite(outputs[i]);
    if (!nf.any()) continue;
    if (!all_finite(inputs)) return;  // carried over from an input: not where it started
    std::ostringstream d;
    d << "output " << i << " of shape " << outputs[i].shape() << ": " << nf.nan << " nan, " << nf.inf
      << " inf (inputs finite)";
    remember({"forward", op, current_anomaly_scope(), d.str()});
    return;
  }
}

void check_backward(const std::string& op, const std::string& scope, const TensorList& grad_outputs,
                    const TensorList& grad_inputs) {
  if (already_found()) return;
  for (size_t i = 0; i < grad_inputs.size(); ++i) {
    const NonFinite nf = count_non_finite(grad_inputs[i]);
    if (!nf.any()) continue;
    if (!all_finite(grad_outputs)) return;
    std::ostringstream d;
    d << "gradient of input " << i << " of shape " << grad_inputs[i].shape() << ": " << nf.nan << " nan, " << nf.inf
      << " inf (output gradients finite)";
    remember({"backward", op, scope, d.str()});
    return;
  }
}

}  // namespace detail

}  // namespace strata::autograd
