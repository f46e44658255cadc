// diag::Monitor: per-layer measurements through module hooks and the training step's hook points.
#include "strata/diag/monitor.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "strata/autograd/anomaly.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/activation.h"
#include "strata/nn/conv.h"
#include "strata/nn/linear.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"

namespace strata::diag {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

LayerKind kind_of(const nn::Module& m) {
  if (dynamic_cast<const nn::ReLU*>(&m)) return LayerKind::ReLU;
  if (dynamic_cast<const nn::LeakyReLU*>(&m)) return LayerKind::LeakyReLU;
  if (dynamic_cast<const nn::Sigmoid*>(&m)) return LayerKind::Sigmoid;
  if (dynamic_cast<const nn::Tanh*>(&m)) return LayerKind::Tanh;
  if (dynamic_cast<const nn::Softmax*>(&m)) return LayerKind::Softmax;
  if (!m.named_parameters(false).empty()) return LayerKind::Parametric;
  return LayerKind::Other;
}

// The contiguous data of a floating-point tensor, read in place when it is float32 or float64 and contiguous
// (other floating dtypes are converted to float32, which holds them exactly). Measurements read activations
// and parameters through this in one pass, accumulating in double, instead of making float64 copies.
struct FloatData {
  Tensor holder;  // keeps a converted or made-contiguous copy alive
  const float* f = nullptr;
  const double* d = nullptr;
  size_t n = 0;
};

FloatData float_data(const Tensor& t) {
  FloatData v;
  if (!t.defined() || !is_floating(t.dtype()) || t.numel() == 0) return v;
  Tensor c = t.detach();
  if (c.dtype() != kFloat32 && c.dtype() != kFloat64) c = c.to(kFloat32);
  c = c.contiguous();
  v.n = static_cast<size_t>(c.numel());
  if (c.dtype() == kFloat64) {
    v.d = c.data_ptr<double>();
  } else {
    v.f = c.data_ptr<float>();
  }
  v.holder = std::move(c);
  return v;
}

// Calls fn(pointer) with the float or double data (nothing for an empty FloatData).
template <class Fn>
void visit(const FloatData& v, Fn&& fn) {
  if (v.f) fn(v.f);
  if (v.d) fn(v.d);
}

// Sum, sum of squares, min and max of p[0, n) (n >= 1) in double. Four independent accumulators: one chain of
// dependent adds would cost a whole add latency per element, and these loops run over every activation.
struct Moments {
  double sum = 0, sum_sq = 0, lo = 0, hi = 0;
};

template <class T>
Moments moments(const T* p, size_t n) {
  double s[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0}, lo[4], hi[4];
  for (int k = 0; k < 4; ++k) lo[k] = hi[k] = static_cast<double>(p[0]);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) {
      const auto x = static_cast<double>(p[i + static_cast<size_t>(k)]);
      s[k] += x;
      q[k] += x * x;
      lo[k] = std::min(lo[k], x);
      hi[k] = std::max(hi[k], x);
    }
  }
  for (; i < n; ++i) {
    const auto x = static_cast<double>(p[i]);
    s[0] += x;
    q[0] += x * x;
    lo[0] = std::min(lo[0], x);
    hi[0] = std::max(hi[0], x);
  }
  return {(s[0] + s[1]) + (s[2] + s[3]), (q[0] + q[1]) + (q[2] + q[3]),
          std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3])),
          std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]))};
}

// Squared 2-norm of a floating-point tensor (as double).
double sq_norm(const Tensor& t) {
  double s = 0;
  const FloatData v = float_data(t);
  visit(v, [&](const auto* p) {
    double a[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= v.n; i += 4) {
      for (size_t k = 0; k < 4; ++k) a[k] += static_cast<double>(p[i + k]) * static_cast<double>(p[i + k]);
    }
    for (; i < v.n; ++i) a[0] += static_cast<double>(p[i]) * static_cast<double>(p[i]);
    s = (a[0] + a[1]) + (a[2] + a[3]);
  });
  return s;
}

// Squared 2-norms of w, of b and of w - b, in one pass (w and b: the same shape; a parameter and its copy).
void sq_norms(const Tensor& w, const Tensor& b, double& w2, double& b2, double& d2) {
  const FloatData vw = float_data(w), vb = float_data(b);
  if (vw.n != vb.n || (vw.f == nullptr) != (vb.f == nullptr)) {
    w2 += sq_norm(w);
    b2 += sq_norm(b);
    d2 += sq_norm(w.detach() - b);
    return;
  }
  auto run = [&](const auto* pw, const auto* pb) {
    double a[2][3] = {{0, 0, 0}, {0, 0, 0}};  // two interleaved accumulator sets, as in moments()
    size_t i = 0;
    for (; i + 2 <= vw.n; i += 2) {
      for (size_t k = 0; k < 2; ++k) {
        const auto x = static_cast<double>(pw[i + k]), y = static_cast<double>(pb[i + k]);
        a[k][0] += x * x;
        a[k][1] += y * y;
        a[k][2] += (x - y) * (x - y);
      }
    }
    for (; i < vw.n; ++i) {
      const auto x = static_cast<double>(pw[i]), y = static_cast<double>(pb[i]);
      a[0][0] += x * x;
      a[0][1] += y * y;
      a[0][2] += (x - y) * (x - y);
    }
    w2 += a[0][0] + a[1][0];
    b2 += a[0][1] + a[1][1];
    d2 += a[0][2] + a[1][2];
  };
  if (vw.f) run(vw.f, vb.f);
  if (vw.d) run(vw.d, vb.d);
}

// The values of a float32/float64 tensor as one contiguous float64 vector (empty for other dtypes).
std::vector<double> values_of(const Tensor& t) {
  std::vector<double> v;
  const FloatData d = float_data(t);
  visit(d, [&](const auto* p) { v.assign(p, p + d.n); });
  return v;
}

// Fraction of rows (dim 0 slices) equal to another row within a relative 1e-6: rows are sorted by their sum
// and neighbours compared, so identical rows (which have identical sums) always meet.
double identical_row_fraction(const Tensor& w) {
  if (!w.defined() || w.dim() < 2 || w.size(0) < 2) return -1;
  const std::vector<double> v = values_of(w);
  if (v.empty()) return -1;
  for (double x : v) {
    if (!std::isfinite(x)) return -1;  // nan compares equal to nothing: no verdict on broken weights
  }
  const auto rows = static_cast<size_t>(w.size(0));
  const size_t cols = v.size() / rows;
  std::vector<std::pair<double, size_t>> sums(rows);
  for (size_t r = 0; r < rows; ++r) {
    double s = 0;
    for (size_t c = 0; c < cols; ++c) s += v[r * cols + c];
    sums[r] = {s, r};
  }
  std::sort(sums.begin(), sums.end());
  std::vector<bool> dup(rows, false);
  for (size_t i = 0; i + 1 < rows; ++i) {
    const size_t a = sums[i].second, b = sums[i + 1].second;
    double scale = 1e-12, diff = 0;
    for (size_t c = 0; c < cols; ++c) {
      scale = std::max(scale, std::abs(v[a * cols + c]));
      diff = std::max(diff, std::abs(v[a * cols + c] - v[b * cols + c]));
    }
    if (diff <= 1e-6 * scale) dup[a] = dup[b] = true;
  }
  return static_cast<double>(std::count(dup.begin(), dup.end(), true)) / static_cast<double>(rows);
}

}  // namespace

const char* layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::Parametric: return "parametric";
    case LayerKind::ReLU: return "relu";
    case LayerKind::LeakyReLU: return "leaky_relu";
    case LayerKind::Sigmoid: return "sigmoid";
    case LayerKind::Tanh: return "tanh";
    case LayerKind::Softmax: return "softmax";
    case LayerKind::Other: return "other";
  }
  return "other";
}

struct Monitor::Impl {
  struct Layer {
    nn::Module* module = nullptr;
    TensorList params;                // own parameters
    TensorList before;                // copies taken in on_before_step at sampled steps
    std::vector<int64_t> last_fired;  // ReLU: per unit, the sample index it last fired at (-1: never)
    int64_t first_sample = -1;        // sample index of the first measurement
    int64_t recorded_sample = -1;     // sample index of the entry at the back of the record's series
    Tensor symmetric_weight;          // Linear / Conv2d weight, for the identical-rows check
  };
  nn::Module* model = nullptr;
  std::vector<Layer> layers;
  std::vector<nn::HookHandle> handles;
  std::unique_ptr<autograd::DetectAnomalyGuard> anomaly;
  bool sampling = false;
  int64_t sample_index = -1;
  double pending_total_grad = kNaN;
  // A non-finite gradient seen in on_after_backward, recorded in on_before_step: a step that loss scaling
  // skips for inf gradients (fp16 overflow, handled) never reaches on_before_step and is not an event.
  std::string pending_non_finite;
};

Monitor::Monitor(MonitorOptions options) : options_(options), impl_(std::make_unique<Impl>()) {
  STRATA_CHECK(options_.period >= 1, "[diag::Monitor] period must be >= 1, got ", options_.period);
  STRATA_CHECK(options_.dead_window >= 1, "[diag::Monitor] dead_window must be >= 1, got ", options_.dead_window);
  STRATA_CHECK(options_.histogram_bins >= 1, "[diag::Monitor] histogram_bins must be >= 1, got ",
               options_.histogram_bins);
  record_.period = options_.period;
  record_.dead_window = options_.dead_window;
}

Monitor::~Monitor() { detach(); }

void Monitor::attach(nn::Module& model) {
  detach();
  Impl& im = *impl_;
  im.model = &model;
  record_.model_type = model.type_name();
  record_.layers.clear();
  im.layers.clear();
  for (const auto& [name, m] : model.named_modules()) {
    const bool leaf = m->named_children().empty();
    const auto own = m->named_parameters(false);
    if (!leaf && own.empty()) continue;
    if (name.empty() && !leaf) continue;
    LayerRecord r;
    r.name = name.empty() ? "(model)" : name;
    r.type = m->type_name();
    r.kind = kind_of(*m);
    r.depth_index = static_cast<int64_t>(record_.layers.size());
    Impl::Layer l;
    l.module = m.get();
    for (const auto& [_, p] : own) {
      if (p.requires_grad()) l.params.push_back(p);
      r.num_params += p.numel();
      r.has_matrix = r.has_matrix || p.dim() >= 2;
    }
    if (dynamic_cast<nn::Linear*>(m.get()) || dynamic_cast<nn::Conv2d*>(m.get())) {
      l.symmetric_weight = m->param("weight");
      r.identical_rows_start = identical_row_fraction(l.symmetric_weight);
    }
    record_.layers.push_back(std::move(r));
    im.layers.push_back(std::move(l));
  }
  const bool anomaly = options_.anomaly;
  for (size_t i = 0; i < im.layers.size(); ++i) {
    nn::Module* m = im.layers[i].module;
    if (anomaly) {
      const std::string label = record_.layers[i].name + " (" + record_.layers[i].type + ")";
      im.handles.push_back(m->register_forward_pre_hook([label](nn::Module&, const Tensor&) -> Tensor {
        autograd::push_anomaly_scope(label);
        return {};
      }));
    }
    im.handles.push_back(
        m->register_forward_hook([this, i, anomaly](nn::Module&, const Tensor&, const Tensor& y) -> Tensor {
          if (anomaly) autograd::pop_anomaly_scope();
          if (!impl_->sampling) return {};
          NoGradGuard no_grad;
          LayerRecord& r = record_.layers[i];
          Impl::Layer& l = impl_->layers[i];
          const FloatData v = float_data(y);
          double mean = kNaN, std = kNaN, dead = kNaN, sat = kNaN;
          visit(v, [&](const auto* p) {
            const Moments mo = moments(p, v.n);
            const double lo = mo.lo, hi = mo.hi;
            const auto n = static_cast<double>(v.n);
            mean = mo.sum / n;
            std = std::sqrt(std::max(0.0, mo.sum_sq / n - mean * mean));
            if (r.kind == LayerKind::Sigmoid || r.kind == LayerKind::Tanh) {
              const bool sigmoid = r.kind == LayerKind::Sigmoid;
              int64_t saturated = 0;
              for (size_t e = 0; e < v.n; ++e) {
                const auto x = static_cast<double>(p[e]);
                saturated += sigmoid ? (x < 0.01 || x > 0.99) : std::abs(x) > 0.99;
              }
              sat = static_cast<double>(saturated) / n;
            }
            // Histogram over [lo, hi] of this sample.
            const auto bins = static_cast<size_t>(options_.histogram_bins);
            r.histogram.edges.assign(bins + 1, 0.0);
            r.histogram.counts.assign(bins, 0);
            const double width = hi > lo ? (hi - lo) / static_cast<double>(bins) : 1.0;
            for (size_t b = 0; b <= bins; ++b) r.histogram.edges[b] = lo + width * static_cast<double>(b);
            for (size_t e = 0; e < v.n; ++e) {
              const auto x = static_cast<double>(p[e]);
              if (!std::isfinite(x)) continue;
              auto b = static_cast<size_t>((x - lo) / width);
              r.histogram.counts[std::min(b, bins - 1)]++;
            }
            if (r.kind == LayerKind::ReLU && y.dim() >= 1) {
              // Units: channels of a 4-D output, else the last dim; the data is (outer, units, inner).
              const bool chan = y.dim() == 4;
              const int64_t units = chan ? y.size(1) : y.size(-1);
              const int64_t inner = chan ? y.size(2) * y.size(3) : 1;
              if (static_cast<int64_t>(l.last_fired.size()) != units)
                l.last_fired.assign(static_cast<size_t>(units), -1);
              r.units = units;
              const int64_t k = impl_->sample_index;
              const auto uz = static_cast<size_t>(units), iz = static_cast<size_t>(inner);
              for (size_t o = 0; o < v.n / (uz * iz); ++o) {
                for (size_t u = 0; u < uz; ++u) {
                  if (l.last_fired[u] == k) continue;
                  const auto* q = p + (o * uz + u) * iz;
                  for (size_t j = 0; j < iz; ++j) {
                    if (q[j] > 0) {
                      l.last_fired[u] = k;
                      break;
                    }
                  }
                }
              }
              if (l.first_sample < 0) l.first_sample = k;
              const int64_t window_start = std::max(l.first_sample, k - options_.dead_window + 1);
              int64_t silent = 0;
              for (int64_t f : l.last_fired) silent += f < window_start;
              dead = static_cast<double>(silent) / static_cast<double>(units);
            } else if (y.dim() >= 1) {
              r.units = y.dim() == 4 ? y.size(1) : y.size(-1);
            }
          });
          // A module called twice in one forward (a shared ReLU) overwrites its first call's statistics.
          if (l.recorded_sample == impl_->sample_index) {
            r.act_mean.back() = mean;
            r.act_std.back() = std;
            if (!std::isnan(dead)) r.dead_fraction.back() = std::min(r.dead_fraction.back(), dead);
            r.saturated_fraction.back() = sat;
            return {};
          }
          l.recorded_sample = impl_->sample_index;
          r.step.push_back(-1);  // the global step, set in on_batch_end
          r.act_mean.push_back(mean);
          r.act_std.push_back(std);
          r.dead_fraction.push_back(dead);
          r.saturated_fraction.push_back(sat);
          r.grad_norm.push_back(kNaN);
          r.weight_norm.push_back(kNaN);
          r.update_ratio.push_back(kNaN);
          return {};
        }));
  }
  // The model's own output: does it look like probabilities?
  im.handles.push_back(model.register_forward_hook([this](nn::Module&, const Tensor&, const Tensor& y) -> Tensor {
    if (!impl_->sampling || !y.defined() || y.dim() != 2 || y.size(1) < 2) return {};
    const std::vector<double> v = values_of(y);
    if (v.empty()) return {};
    const int64_t rows = y.size(0), cols = y.size(1);
    int64_t prob_rows = 0, unit = 0;
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      bool in01 = true;
      for (int64_t c = 0; c < cols; ++c) {
        const double x = v[static_cast<size_t>(r * cols + c)];
        s += x;
        const bool u = x >= 0 && x <= 1;
        unit += u;
        in01 = in01 && u;
      }
      prob_rows += in01 && std::abs(s - 1.0) < 1e-3;
    }
    record_.output_prob_rows.push_back(static_cast<double>(prob_rows) / static_cast<double>(rows));
    record_.output_unit_interval.push_back(static_cast<double>(unit) / static_cast<double>(rows * cols));
    return {};
  }));
  if (options_.anomaly) im.anomaly = std::make_unique<autograd::DetectAnomalyGuard>(true);
}

void Monitor::detach() {
  if (!impl_) return;
  for (auto& h : impl_->handles) h.remove();
  impl_->handles.clear();
  impl_->anomaly.reset();
  impl_->sampling = false;
}

void Monitor::on_train_begin(train::TrainState& state) {
  STRATA_CHECK(state.model != nullptr, "[diag::Monitor] the training state has no model");
  if (impl_->model != state.model || impl_->handles.empty()) attach(*state.model);
}

void Monitor::on_batch_begin(train::TrainState& state) {
  Impl& im = *impl_;
  const bool sample = state.global_step % options_.period == 0;
  if (sample && !im.sampling) {
    ++im.sample_index;
    im.pending_total_grad = kNaN;
  }
  im.sampling = sample;
}

void Monitor::on_after_backward(train::TrainState& state) {
  Impl& im = *impl_;
  im.pending_non_finite.clear();
  if (!im.sampling) return;
  // The gradients carry the loss scale until a GradScaler has unscaled them (state.grad_scale is then 1).
  const double unscale = state.grad_scale != 0 ? 1.0 / state.grad_scale : 1.0;
  double total = 0;
  for (size_t i = 0; i < im.layers.size(); ++i) {
    LayerRecord& r = record_.layers[i];
    if (im.layers[i].params.empty() || im.layers[i].recorded_sample != im.sample_index) continue;
    double sq = 0;
    bool any = false;
    for (const Tensor& p : im.layers[i].params) {
      if (!p.grad().defined()) continue;
      any = true;
      sq += sq_norm(p.grad());
    }
    if (!any) continue;
    const double n = std::sqrt(sq) * unscale;
    r.grad_norm.back() = n;
    total += n * n;
    if (!std::isfinite(n) && im.pending_non_finite.empty()) im.pending_non_finite = "gradient of " + r.name;
  }
  im.pending_total_grad = std::sqrt(total);
}

void Monitor::on_before_step(train::TrainState& state) {
  Impl& im = *impl_;
  if (!im.pending_non_finite.empty() && !record_.non_finite)
    record_.non_finite = NonFiniteEvent{state.global_step + 1, im.pending_non_finite, "", "", "", ""};
  im.pending_non_finite.clear();
  if (!im.sampling) return;
  NoGradGuard no_grad;
  for (auto& l : im.layers) {
    l.before.clear();
    for (const Tensor& p : l.params) l.before.push_back(p.detach().clone());
  }
}

void Monitor::on_batch_end(train::TrainState& state, const train::Logs& batch_logs) {
  Impl& im = *impl_;
  if (!state.optimizer_stepped) return;
  const int64_t step = state.global_step;  // 1-based count of updates so far
  auto get = [&](const char* k) {
    auto it = batch_logs.find(k);
    return it == batch_logs.end() ? kNaN : it->second;
  };
  const double loss = get("batch_loss");
  record_.steps.push_back(step);
  record_.loss.push_back(loss);
  record_.lr.push_back(get("lr"));
  record_.loss_scale.push_back(state.loss_scale);
  record_.skipped.push_back(state.skipped_steps);
  record_.steps_run = step;
  if (!std::isfinite(loss) && !record_.non_finite) {
    NonFiniteEvent e{step, "loss", "", "", "", ""};
    if (auto a = autograd::first_anomaly()) {
      e.op = a->op;
      e.layer = a->scope;
      e.phase = a->phase;
      e.detail = a->detail;
    }
    record_.non_finite = e;
  }
  if (record_.non_finite && record_.non_finite->op.empty()) {
    if (auto a = autograd::first_anomaly()) {
      record_.non_finite->op = a->op;
      record_.non_finite->layer = a->scope;
      record_.non_finite->phase = a->phase;
      record_.non_finite->detail = a->detail;
    }
  }
  if (im.sampling) {
    NoGradGuard no_grad;
    record_.sample_steps.push_back(step);
    record_.total_grad_norm.push_back(im.pending_total_grad);
    for (size_t i = 0; i < im.layers.size(); ++i) {
      LayerRecord& r = record_.layers[i];
      Impl::Layer& l = im.layers[i];
      if (l.recorded_sample != im.sample_index) continue;
      r.step.back() = step;
      if (l.params.empty()) continue;
      double w2 = 0, d2 = 0, b2 = 0;
      for (size_t j = 0; j < l.params.size(); ++j) {
        if (j < l.before.size()) {
          sq_norms(l.params[j], l.before[j], w2, b2, d2);
        } else {
          w2 += sq_norm(l.params[j]);
        }
      }
      r.weight_norm.back() = std::sqrt(w2);
      if (!l.before.empty()) r.update_ratio.back() = b2 > 0 ? std::sqrt(d2 / b2) : kNaN;
      l.before.clear();
      if (!std::isfinite(w2) && !record_.non_finite)
        record_.non_finite = NonFiniteEvent{step, "weights of " + r.name, "", "", "", ""};
    }
    im.sampling = false;
  }
  if (record_.non_finite && options_.stop_on_non_finite && !state.stop_training) {
    state.stop_training = true;
    state.stop_reason = "diag::Monitor: non-finite " + record_.non_finite->what + " at step " +
                        std::to_string(record_.non_finite->step);
  }
}

void Monitor::on_epoch_end(train::TrainState& state, train::Logs& epoch_logs) {
  record_.epochs.push_back(epoch_logs);
  record_.epoch_end_steps.push_back(state.global_step);
  record_.epochs_run = static_cast<int64_t>(record_.epochs.size());
}

void Monitor::on_train_end(train::TrainState& /*state*/) {
  for (size_t i = 0; i < impl_->layers.size(); ++i) {
    if (impl_->layers[i].symmetric_weight.defined()) {
      record_.layers[i].identical_rows_end = identical_row_fraction(impl_->layers[i].symmetric_weight);
    }
  }
  detach();
}

namespace {

io::Json nums(const std::vector<double>& v) {
  io::Json a = io::Json::array();
  for (double x : v) a.push_back(std::isfinite(x) ? io::Json(x) : io::Json());
  return a;
}

io::Json ints(const std::vector<int64_t>& v) {
  io::Json a = io::Json::array();
  for (int64_t x : v) a.push_back(x);
  return a;
}

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

}  // namespace

bool uses_loss_scaling(const TrainingRecord& r) {
  for (double s : r.loss_scale)
    if (s != 1.0) return true;
  return !r.skipped.empty() && r.skipped.back() > 0;
}

io::Json to_json(const TrainingRecord& r) {
  io::Json j = io::Json::object();
  io::Json steps = io::Json::object();
  steps.set("step", ints(r.steps));
  steps.set("loss", nums(r.loss));
  steps.set("lr", nums(r.lr));
  // Loss scaling only: a run without it keeps the report as it was.
  if (uses_loss_scaling(r)) {
    steps.set("loss_scale", nums(r.loss_scale));
    steps.set("skipped", ints(r.skipped));
  }
  j.set("steps", steps);
  io::Json epochs = io::Json::array();
  for (size_t e = 0; e < r.epochs.size(); ++e) {
    io::Json o = io::Json::object();
    o.set("epoch", static_cast<int64_t>(e + 1));
    for (const auto& [k, v] : r.epochs[e]) o.set(k, std::isfinite(v) ? io::Json(v) : io::Json());
    epochs.push_back(o);
  }
  j.set("epochs", epochs);
  io::Json layers = io::Json::array();
  for (const LayerRecord& l : r.layers) {
    io::Json o = io::Json::object();
    o.set("name", l.name);
    o.set("type", l.type);
    o.set("kind", layer_kind_name(l.kind));
    o.set("params", l.num_params);
    o.set("step", ints(l.step));
    const std::pair<const char*, const std::vector<double>*> series[] = {{"grad_norm", &l.grad_norm},
                                                                         {"update_ratio", &l.update_ratio},
                                                                         {"weight_norm", &l.weight_norm},
                                                                         {"act_mean", &l.act_mean},
                                                                         {"act_std", &l.act_std},
                                                                         {"dead_fraction", &l.dead_fraction},
                                                                         {"saturated_fraction", &l.saturated_fraction}};
    for (const auto& [key, v] : series) {
      if (any_finite(*v)) o.set(key, nums(*v));
    }
    if (!l.histogram.counts.empty()) {
      io::Json h = io::Json::object();
      h.set("edges", nums(l.histogram.edges));
      h.set("counts", ints(l.histogram.counts));
      o.set("histogram", h);
    }
    if (l.identical_rows_start >= 0) o.set("identical_rows_start", l.identical_rows_start);
    if (l.identical_rows_end >= 0) o.set("identical_rows_end", l.identical_rows_end);
    layers.push_back(o);
  }
  j.set("layers", layers);
  if (!r.sample_checks.empty()) {
    io::Json checks = io::Json::array();
    for (const SampleCheck& c : r.sample_checks) {
      io::Json o = io::Json::object();
      o.set("epoch", c.epoch);
      o.set("step", c.step);
      o.set("samples", c.samples);
      if (c.modes > 0) {
        o.set("modes", c.modes);
        o.set("modes_covered", c.modes_covered);
        o.set("high_quality", std::isfinite(c.high_quality) ? io::Json(c.high_quality) : io::Json());
      }
      if (c.classes > 0) {
        o.set("classes", c.classes);
        o.set("classes_covered", c.classes_covered);
        o.set("class_histogram", ints(c.class_histogram));
      }
      o.set("diversity_ratio", std::isfinite(c.diversity_ratio) ? io::Json(c.diversity_ratio) : io::Json());
      checks.push_back(o);
    }
    j.set("sample_checks", checks);
  }
  return j;
}

}  // namespace strata::diag
