// Classification and regression metrics, and the streaming accumulator fit() and evaluate() use. The
// counting loops read the tensors' memory directly (outputs are float32/float64, class targets int64), so
// a batch's metrics cost one pass over its outputs and allocate nothing.
#include "strata/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "strata/core/error.h"

namespace strata::train {
namespace {

struct Counts {
  double correct = 0;
  double total = 0;
};

// Float outputs of any width: float16/bfloat16 outputs (a model run under autocast) are read as float32.
bool is_float(DType t) { return is_floating(t); }
// Metrics count on the host: outputs and targets of a model on another device are copied to the CPU first.
Tensor readable(const Tensor& t) {
  const Tensor h = t.to(kCPU);
  return is_low_float(h.dtype()) ? h.to(kFloat32).contiguous() : h.contiguous();
}

// Calls fn(const T* data) with the contiguous data of a float32/float64 tensor.
template <class Fn>
auto with_float_data(const Tensor& t, const char* metric, const char* what, Fn&& fn) {
  STRATA_CHECK(is_float(t.dtype()), "[", metric, "] ", what, " must be a float tensor, got ", t.dtype(), " with shape ",
               t.shape());
  Tensor c = readable(t);
  if (c.dtype() == kFloat32) return fn(c.data_ptr<float>());
  return fn(c.data_ptr<double>());
}

// Reads a tensor of any compute dtype as doubles, element i of the contiguous layout.
template <class Fn>
void for_each_value(const Tensor& t, const char* metric, const char* what, Fn&& fn) {
  Tensor c = readable(t);
  const int64_t n = c.numel();
  switch (c.dtype()) {
    case kFloat32: {
      const float* p = c.data_ptr<float>();
      for (int64_t i = 0; i < n; ++i) fn(i, static_cast<double>(p[i]));
      break;
    }
    case kFloat64: {
      const double* p = c.data_ptr<double>();
      for (int64_t i = 0; i < n; ++i) fn(i, p[i]);
      break;
    }
    case kInt64: {
      const int64_t* p = c.data_ptr<int64_t>();
      for (int64_t i = 0; i < n; ++i) fn(i, static_cast<double>(p[i]));
      break;
    }
    case kBool: {
      const bool* p = c.data_ptr<bool>();
      for (int64_t i = 0; i < n; ++i) fn(i, p[i] ? 1.0 : 0.0);
      break;
    }
    default: STRATA_FAIL("[", metric, "] ", what, " has unsupported dtype ", c.dtype(), " (shape ", c.shape(), ")");
  }
}

// True when output and target hold one value per example: equal shapes, or (N, 1) against (N).
bool same_elements(const Tensor& output, const Tensor& target) {
  if (output.shape() == target.shape()) return true;
  if (output.dim() == 2 && output.size(1) == 1 && target.dim() == 1) return output.size(0) == target.size(0);
  if (target.dim() == 2 && target.size(1) == 1 && output.dim() == 1) return output.size(0) == target.size(0);
  return false;
}

// Class-index targets: output (N, C, d...) and target (N, d...).
bool class_layout(const Tensor& output, const Tensor& target) {
  if (output.dim() != target.dim() + 1 || output.dim() < 2) return false;
  if (output.size(0) != target.size(0)) return false;
  for (int64_t d = 1; d < target.dim(); ++d)
    if (target.size(d) != output.size(d + 1)) return false;
  return true;
}

// Index of the largest of C values at stride `stride` (the first one on ties).
template <class T>
int64_t argmax_strided(const T* p, int64_t c, int64_t stride) {
  int64_t best = 0;
  T v = p[0];
  for (int64_t j = 1; j < c; ++j) {
    if (p[j * stride] > v) {
      v = p[j * stride];
      best = j;
    }
  }
  return best;
}

// Calls fn(flat example index, predicted class) for every (n, d...) position of output (N, C, d...).
template <class Fn>
void for_each_argmax(const Tensor& output, const char* metric, Fn&& fn) {
  const int64_t n = output.size(0), c = output.size(1);
  const int64_t rest = n == 0 || c == 0 ? 0 : output.numel() / (n * c);
  with_float_data(output, metric, "output", [&](const auto* p) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t r = 0; r < rest; ++r) fn(i * rest + r, argmax_strided(p + i * c * rest + r, c, rest));
    return 0;
  });
}

Counts accuracy_counts(const Tensor& output, const Tensor& target, double threshold) {
  STRATA_CHECK(output.defined() && target.defined(), "[accuracy] needs an output and a target");
  if (target.dtype() == kInt64 && class_layout(output, target) && !same_elements(output, target)) {
    const int64_t c = output.size(1);
    STRATA_CHECK(c >= 1, "[accuracy] output ", output.shape(), " has no classes");
    Tensor tc = target.to(kCPU).contiguous();
    const int64_t* t = tc.data_ptr<int64_t>();
    Counts counts;
    for_each_argmax(output, "accuracy", [&](int64_t i, int64_t pred) {
      STRATA_CHECK(t[i] >= 0 && t[i] < c, "[accuracy] target ", t[i], " at index ", i, " is outside [0, ", c,
                   ") for output ", output.shape());
      counts.correct += pred == t[i] ? 1 : 0;
    });
    counts.total = static_cast<double>(tc.numel());
    return counts;
  }
  if (is_float(target.dtype()) && output.shape() == target.shape() && output.dim() >= 2 && output.size(1) > 1) {
    // One-hot or probability targets: compare the argmaxes.
    Tensor tc = target.to(kCPU).contiguous();
    const int64_t c = output.size(1);
    const int64_t rest = output.numel() / std::max<int64_t>(1, output.size(0) * c);
    std::vector<int64_t> truth(static_cast<size_t>(output.size(0) * rest));
    with_float_data(tc, "accuracy", "target", [&](const auto* p) {
      for (int64_t i = 0; i < output.size(0); ++i)
        for (int64_t r = 0; r < rest; ++r)
          truth[static_cast<size_t>(i * rest + r)] = argmax_strided(p + i * c * rest + r, c, rest);
      return 0;
    });
    Counts counts;
    for_each_argmax(output, "accuracy",
                    [&](int64_t i, int64_t pred) { counts.correct += pred == truth[static_cast<size_t>(i)]; });
    counts.total = static_cast<double>(truth.size());
    return counts;
  }
  if (same_elements(output, target)) {
    // Binary: positive when output > threshold; targets are 0/1 (anything > 0.5 counts as 1).
    STRATA_CHECK(is_float(output.dtype()), "[accuracy] binary output must be a float tensor, got ", output.dtype(),
                 " with shape ", output.shape());
    std::vector<char> truth(static_cast<size_t>(target.numel()));
    for_each_value(target, "accuracy", "target",
                   [&](int64_t i, double v) { truth[static_cast<size_t>(i)] = v > 0.5 ? 1 : 0; });
    Counts counts;
    for_each_value(output, "accuracy", "output", [&](int64_t i, double v) {
      counts.correct += (v > threshold ? 1 : 0) == truth[static_cast<size_t>(i)] ? 1 : 0;
    });
    counts.total = static_cast<double>(output.numel());
    return counts;
  }
  STRATA_FAIL("[accuracy] output ", output.shape(), " (", output.dtype(), ") does not match target ", target.shape(),
              " (", target.dtype(), "): expected output (N, C, ...) with int64 target (N, ...), or equal shapes");
}

Counts top_k_counts(const Tensor& output, const Tensor& target, int64_t k) {
  STRATA_CHECK(output.defined() && target.defined(), "[top_k_accuracy] needs an output and a target");
  STRATA_CHECK(output.dim() == 2 && target.dim() == 1 && output.size(0) == target.size(0),
               "[top_k_accuracy] expected output (N, C) and target (N), got output ", output.shape(), " and target ",
               target.shape());
  STRATA_CHECK(target.dtype() == kInt64, "[top_k_accuracy] target must be int64 class indices, got ", target.dtype(),
               " with shape ", target.shape());
  const int64_t n = output.size(0), c = output.size(1);
  STRATA_CHECK(k >= 1 && k <= c, "[top_k_accuracy] k = ", k, " must be in [1, C] for output ", output.shape());
  Tensor tc = target.to(kCPU).contiguous();
  const int64_t* t = tc.data_ptr<int64_t>();
  Counts counts;
  with_float_data(output, "top_k_accuracy", "output", [&](const auto* p) {
    for (int64_t i = 0; i < n; ++i) {
      STRATA_CHECK(t[i] >= 0 && t[i] < c, "[top_k_accuracy] target ", t[i], " at index ", i, " is outside [0, ", c,
                   ") for output ", output.shape());
      const auto* row = p + i * c;
      const auto v = row[t[i]];
      int64_t above = 0;  // classes scored strictly higher than the target (ties count in its favour)
      for (int64_t j = 0; j < c; ++j) above += row[j] > v ? 1 : 0;
      counts.correct += above < k ? 1 : 0;
    }
    return 0;
  });
  counts.total = static_cast<double>(n);
  return counts;
}

void check_regression(const Tensor& output, const Tensor& target, const char* metric) {
  STRATA_CHECK(output.defined() && target.defined(), "[", metric, "] needs an output and a target");
  STRATA_CHECK(same_elements(output, target), "[", metric, "] output ", output.shape(), " and target ", target.shape(),
               " must have the same shape");
}

enum Kind { Accuracy = 0, TopK = 1, MeanAbsError = 2, MeanSquaredError = 3 };

}  // namespace

double accuracy(const Tensor& output, const Tensor& target, double threshold) {
  Counts c = accuracy_counts(output, target, threshold);
  return c.total > 0 ? c.correct / c.total : 0.0;
}

double top_k_accuracy(const Tensor& output, const Tensor& target, int64_t k) {
  Counts c = top_k_counts(output, target, k);
  return c.total > 0 ? c.correct / c.total : 0.0;
}

Tensor confusion_matrix(const Tensor& pred, const Tensor& target, int64_t num_classes) {
  STRATA_CHECK(num_classes >= 1, "[confusion_matrix] num_classes must be >= 1, got ", num_classes);
  STRATA_CHECK(pred.defined() && target.defined(), "[confusion_matrix] needs predictions and a target");
  STRATA_CHECK(target.dim() == 1 && target.dtype() == kInt64, "[confusion_matrix] target must be (N) int64, got ",
               target.shape(), " ", target.dtype());
  const int64_t n = target.size(0);
  std::vector<int64_t> predicted(static_cast<size_t>(n));
  if (pred.dim() == 1 && pred.dtype() == kInt64) {
    STRATA_CHECK(pred.size(0) == n, "[confusion_matrix] pred ", pred.shape(), " and target ", target.shape(),
                 " differ in length");
    Tensor pc = pred.to(kCPU).contiguous();
    std::copy(pc.data_ptr<int64_t>(), pc.data_ptr<int64_t>() + n, predicted.begin());
  } else {
    STRATA_CHECK(pred.dim() == 2 && pred.size(0) == n && pred.size(1) == num_classes,
                 "[confusion_matrix] pred must be (N) int64 or (N, C) scores with C = num_classes = ", num_classes,
                 ", got pred ", pred.shape(), " and target ", target.shape());
    for_each_argmax(pred, "confusion_matrix", [&](int64_t i, int64_t p) { predicted[static_cast<size_t>(i)] = p; });
  }
  Tensor m = Tensor::empty(Shape{num_classes, num_classes}, kInt64);
  int64_t* cm = m.data_ptr<int64_t>();
  std::fill(cm, cm + num_classes * num_classes, 0);
  Tensor tc = target.to(kCPU).contiguous();
  const int64_t* t = tc.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t p = predicted[static_cast<size_t>(i)];
    STRATA_CHECK(t[i] >= 0 && t[i] < num_classes, "[confusion_matrix] target ", t[i], " at index ", i,
                 " is outside [0, ", num_classes, ")");
    STRATA_CHECK(p >= 0 && p < num_classes, "[confusion_matrix] prediction ", p, " at index ", i, " is outside [0, ",
                 num_classes, ")");
    ++cm[t[i] * num_classes + p];
  }
  return m;
}

ClassificationReport precision_recall_f1(const Tensor& confusion) {
  STRATA_CHECK(confusion.defined() && confusion.dim() == 2 && confusion.size(0) == confusion.size(1) &&
                   confusion.size(0) >= 1 && confusion.dtype() == kInt64,
               "[precision_recall_f1] expected a square (C, C) int64 confusion matrix, got ",
               confusion.defined() ? confusion.shape() : Shape{}, confusion.defined() ? " " : "",
               confusion.defined() ? dtype_name(confusion.dtype()) : "undefined");
  const int64_t c = confusion.size(0);
  Tensor m = confusion.to(kCPU).contiguous();
  const int64_t* p = m.data_ptr<int64_t>();
  ClassificationReport r;
  r.precision.assign(static_cast<size_t>(c), 0.0);
  r.recall.assign(static_cast<size_t>(c), 0.0);
  r.f1.assign(static_cast<size_t>(c), 0.0);
  r.support.assign(static_cast<size_t>(c), 0);
  int64_t total = 0, trace = 0;
  for (int64_t i = 0; i < c; ++i) {
    int64_t row = 0, col = 0;
    for (int64_t j = 0; j < c; ++j) {
      STRATA_CHECK(p[i * c + j] >= 0, "[precision_recall_f1] negative count ", p[i * c + j], " at (", i, ", ", j, ")");
      row += p[i * c + j];
      col += p[j * c + i];
    }
    const double tp = static_cast<double>(p[i * c + i]);
    const size_t k = static_cast<size_t>(i);
    r.support[k] = row;
    r.precision[k] = col > 0 ? tp / static_cast<double>(col) : 0.0;
    r.recall[k] = row > 0 ? tp / static_cast<double>(row) : 0.0;
    const double s = r.precision[k] + r.recall[k];
    r.f1[k] = s > 0 ? 2 * r.precision[k] * r.recall[k] / s : 0.0;
    total += row;
    trace += p[i * c + i];
  }
  for (int64_t i = 0; i < c; ++i) {
    const size_t k = static_cast<size_t>(i);
    r.macro_precision += r.precision[k] / static_cast<double>(c);
    r.macro_recall += r.recall[k] / static_cast<double>(c);
    r.macro_f1 += r.f1[k] / static_cast<double>(c);
    if (total > 0) r.weighted_f1 += r.f1[k] * static_cast<double>(r.support[k]) / static_cast<double>(total);
  }
  r.accuracy = total > 0 ? static_cast<double>(trace) / static_cast<double>(total) : 0.0;
  return r;
}

// ---- MetricAccumulator ----

MetricAccumulator::MetricAccumulator(std::vector<std::string> names, double binary_threshold)
    : names_(std::move(names)), threshold_(binary_threshold) {
  for (const std::string& name : names_) {
    Metric m{name, Accuracy, 0};
    if (name == "accuracy" || name == "acc") {
      m.kind = Accuracy;
    } else if (name == "mae") {
      m.kind = MeanAbsError;
    } else if (name == "mse") {
      m.kind = MeanSquaredError;
    } else if (name.size() > 3 && name.compare(0, 3, "top") == 0 &&
               std::all_of(name.begin() + 3, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
               name.size() < 10) {
      m.kind = TopK;
      m.k = std::stoll(name.substr(3));
      STRATA_CHECK(m.k >= 1, "[metrics] \"", name, "\": k must be >= 1");
    } else {
      STRATA_FAIL("[metrics] unknown metric \"", name, "\"; known: accuracy (acc), topK (e.g. top5), mae, mse");
    }
    for (const Metric& other : metrics_)
      STRATA_CHECK(other.name != name, "[metrics] metric \"", name, "\" is listed twice");
    STRATA_CHECK(name != "loss", "[metrics] \"loss\" is always reported; it is not a metric name");
    metrics_.push_back(m);
  }
}

void MetricAccumulator::reset() {
  loss_sum_ = 0;
  samples_ = 0;
  for (Metric& m : metrics_) m.total = m.count = 0;
}

std::vector<double> MetricAccumulator::totals() const {
  std::vector<double> t{loss_sum_, static_cast<double>(samples_)};
  for (const Metric& m : metrics_) {
    t.push_back(m.total);
    t.push_back(m.count);
  }
  return t;
}

void MetricAccumulator::set_totals(const std::vector<double>& totals) {
  STRATA_CHECK(totals.size() == 2 + 2 * metrics_.size(), "[MetricAccumulator] expected ", 2 + 2 * metrics_.size(),
               " totals for ", metrics_.size(), " metrics, got ", totals.size());
  loss_sum_ = totals[0];
  samples_ = static_cast<int64_t>(totals[1]);
  for (size_t i = 0; i < metrics_.size(); ++i) {
    metrics_[i].total = totals[2 + 2 * i];
    metrics_[i].count = totals[3 + 2 * i];
  }
}

void MetricAccumulator::update_loss(double loss, int64_t batch_size) {
  loss_sum_ += loss * static_cast<double>(batch_size);
  samples_ += batch_size;
}

void MetricAccumulator::update(const Tensor& output, const Tensor& target, double loss, int64_t batch_size) {
  update_loss(loss, batch_size);
  for (Metric& m : metrics_) {
    switch (m.kind) {
      case Accuracy: {
        Counts c = accuracy_counts(output, target, threshold_);
        m.total += c.correct;
        m.count += c.total;
        break;
      }
      case TopK: {
        Counts c = top_k_counts(output, target, m.k);
        m.total += c.correct;
        m.count += c.total;
        break;
      }
      case MeanAbsError:
      case MeanSquaredError: {
        const char* name = m.kind == MeanAbsError ? "mae" : "mse";
        check_regression(output, target, name);
        std::vector<double> t(static_cast<size_t>(target.numel()));
        for_each_value(target, name, "target", [&](int64_t i, double v) { t[static_cast<size_t>(i)] = v; });
        double s = 0;
        const bool abs_err = m.kind == MeanAbsError;
        for_each_value(output, name, "output", [&](int64_t i, double v) {
          const double d = v - t[static_cast<size_t>(i)];
          s += abs_err ? std::fabs(d) : d * d;
        });
        m.total += s;
        m.count += static_cast<double>(output.numel());
        break;
      }
      default: break;
    }
  }
}

void MetricAccumulator::results_into(Logs& logs, const std::string& prefix) const {
  const double nan = std::nan("");
  logs[prefix + "loss"] = samples_ > 0 ? loss_sum_ / static_cast<double>(samples_) : nan;
  for (const Metric& m : metrics_) logs[prefix + m.name] = m.count > 0 ? m.total / m.count : nan;
}

Logs MetricAccumulator::results(const std::string& prefix) const {
  Logs logs;
  results_into(logs, prefix);
  return logs;
}

}  // namespace strata::train
