// The training doctor's rules: measurements (TrainingRecord) in, findings with causes and remedies out.
// Each rule is one function below; docs/doctor.md gives the thresholds and the reasons for them.
#include "strata/diag/doctor.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "diag/doctor_rules.h"
#include "strata/core/error.h"
#include "strata/io/atomic_file.h"

namespace strata::diag {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v, const char* f = "%.3g") {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string pct(double v) { return num(100.0 * v, "%.0f") + "%"; }

std::vector<double> finite(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v) {
    if (std::isfinite(x)) out.push_back(x);
  }
  return out;
}

double median(std::vector<double> v) {
  v = finite(v);
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

io::Json json_num(double v) { return std::isfinite(v) ? io::Json(v) : io::Json(); }

// The loss series cut into consecutive windows (about 10, at least 3 steps each); their means.
std::vector<double> window_means(const std::vector<double>& loss) {
  const size_t n = loss.size();
  if (n < 6) return {};
  const size_t windows = std::min<size_t>(10, n / 3);
  std::vector<double> m;
  for (size_t w = 0; w < windows; ++w) {
    const size_t a = w * n / windows, b = (w + 1) * n / windows;
    double s = 0;
    size_t c = 0;
    for (size_t i = a; i < b; ++i) {
      if (std::isfinite(loss[i])) {
        s += loss[i];
        ++c;
      }
    }
    m.push_back(c ? s / static_cast<double>(c) : kNaN);
  }
  return m;
}

}  // namespace

LossTrend loss_trend(const TrainingRecord& r) {
  LossTrend t;
  const std::vector<double> m = window_means(r.loss);
  if (m.size() < 3 || !std::isfinite(m.front()) || m.front() <= 0) return t;
  double first = kNaN;
  for (double x : r.loss) {
    if (std::isfinite(x)) {
      first = x;
      break;
    }
  }
  int flips = 0, moves = 0;
  double swing = 0;
  for (size_t i = 1; i < m.size(); ++i) {
    const double d = m[i] - m[i - 1];
    if (i >= 2) {
      const double prev = m[i - 1] - m[i - 2];
      ++moves;
      if ((d > 0) != (prev > 0)) ++flips;
    }
    swing = std::max(swing, std::abs(d) / m[i - 1]);
  }
  t.change = (m.back() - m.front()) / m.front();
  const double peak = *std::max_element(m.begin(), m.end());
  if (std::isfinite(first) && first > 0 && peak > 1.5 * first) {
    t.kind = "diverging";
  } else if (moves > 0 && flips * 10 >= moves * 6 && swing > 0.2) {
    t.kind = "oscillating";
  } else if (std::abs(t.change) < 0.02) {
    t.kind = "plateau";
  } else {
    t.kind = t.change < 0 ? "decreasing" : "increasing";
  }
  return t;
}

namespace {

// Layers with a weight matrix (Linear, Conv2d, recurrent, embedding) in forward order, with their median
// relative gradient ||g|| / ||w|| over the sampled steps.
struct MatrixLayer {
  const LayerRecord* layer;
  double rel_grad;
  double update_ratio;
};

std::vector<MatrixLayer> matrix_layers(const TrainingRecord& r) {
  std::vector<MatrixLayer> out;
  for (const LayerRecord& l : r.layers) {
    if (!l.has_matrix) continue;
    std::vector<double> rel;
    for (size_t i = 0; i < l.grad_norm.size() && i < l.weight_norm.size(); ++i) {
      if (l.weight_norm[i] > 0) rel.push_back(l.grad_norm[i] / l.weight_norm[i]);
    }
    const double g = median(rel);
    if (std::isnan(g)) continue;
    out.push_back({&l, g, median(l.update_ratio)});
  }
  return out;
}

Finding make(const char* id, const char* severity) {
  Finding f;
  f.id = id;
  f.severity = severity;
  f.numbers = io::Json::object();
  return f;
}

// ---------------------------------------------------------------- the rules

void rule_non_finite(const TrainingRecord& r, std::vector<Finding>& out) {
  if (!r.non_finite) return;
  const NonFiniteEvent& e = *r.non_finite;
  Finding f = make("non_finite", "error");
  f.step = e.step;
  std::ostringstream ev;
  ev << "the " << e.what << " became nan/inf at step " << e.step;
  if (!e.op.empty()) {
    ev << "; it started in the " << e.phase << " pass of op '" << e.op << "'";
    if (!e.layer.empty()) ev << " in layer " << e.layer;
    ev << " (" << e.detail << ")";
    if (!e.layer.empty()) f.layers.push_back(e.layer.substr(0, e.layer.find(' ')));
  }
  f.evidence = ev.str();
  f.cause =
      "a value overflowed to inf or became nan (0/0, log of 0, inf - inf); usually huge gradients or a learning "
      "rate so high that the weights blow up, and from then on every number is nan";
  f.remedy =
      "lower the learning rate (try 1e-3), add gradient clipping (clip_grad_norm 1.0), and check the inputs for "
      "nan; the doctor stops training at the first non-finite loss";
  f.numbers.set("step", e.step);
  f.numbers.set("what", e.what);
  f.numbers.set("op", e.op);
  f.numbers.set("layer", e.layer);
  f.numbers.set("phase", e.phase);
  out.push_back(std::move(f));
}

void rule_exploding(const TrainingRecord& r, const DoctorContext& ctx, const DoctorThresholds& t,
                    std::vector<Finding>& out) {
  const std::vector<double>& g = r.total_grad_norm;
  double first = kNaN, peak = kNaN;
  int64_t at = -1;
  for (size_t i = 0; i < g.size(); ++i) {
    if (!std::isfinite(g[i])) continue;
    if (std::isnan(first) && g[i] > 0) first = g[i];
    if (std::isnan(peak) || g[i] > peak) peak = g[i];
    const bool big = g[i] > t.exploding_norm || (!std::isnan(first) && g[i] > t.exploding_growth * first);
    if (big && at < 0) at = r.sample_steps[i];
  }
  const bool grad_nonfinite = r.non_finite && r.non_finite->what.rfind("gradient", 0) == 0;
  if (at < 0 && !grad_nonfinite) return;
  Finding f = make("exploding_gradients", "error");
  f.step = at >= 0 ? at : r.non_finite->step;
  // The layers carrying the largest gradients at the worst sample.
  std::vector<std::pair<double, std::string>> by_norm;
  for (const LayerRecord& l : r.layers) {
    const double m = finite(l.grad_norm).empty()
                         ? kNaN
                         : *std::max_element(l.grad_norm.begin(), l.grad_norm.end(), [](double a, double b) {
                             if (!std::isfinite(a)) return true;
                             if (!std::isfinite(b)) return false;
                             return a < b;
                           });
    if (std::isfinite(m)) by_norm.emplace_back(m, l.name);
  }
  std::sort(by_norm.rbegin(), by_norm.rend());
  for (size_t i = 0; i < by_norm.size() && i < 3; ++i) f.layers.push_back(by_norm[i].second);
  std::ostringstream ev;
  if (at >= 0) {
    ev << "the total gradient norm reached " << num(peak) << " (first measured " << num(first) << ") at step " << at
       << (ctx.clipping ? " before clipping" : ", with no gradient clipping");
  } else {
    ev << "the gradient of " << r.non_finite->what.substr(12) << " became nan/inf at step " << r.non_finite->step;
  }
  if (!f.layers.empty()) ev << "; largest in " << join(f.layers);
  f.evidence = ev.str();
  f.cause =
      "gradients grow exponentially as they propagate backward through layers with large weights or derivatives "
      "> 1, so the updates become huge and training diverges";
  f.remedy =
      "apply gradient clipping (clip_grad_norm 1.0 caps the gradient size), careful weight initialization "
      "(He for ReLU, Xavier for tanh/sigmoid) and normalization layers; a lower learning rate also helps";
  f.numbers.set("first_grad_norm", json_num(first));
  f.numbers.set("max_grad_norm", json_num(peak));
  out.push_back(std::move(f));
}

void rule_vanishing(const TrainingRecord& r, const DoctorThresholds& t, std::vector<Finding>& out) {
  const std::vector<MatrixLayer> ml = matrix_layers(r);
  if (static_cast<int64_t>(ml.size()) < t.vanishing_min_layers) return;
  const double last = ml.back().rel_grad;
  if (!(last > 0)) return;
  const double ratio = ml.front().rel_grad / last;
  if (!(ratio < t.vanishing_ratio)) return;
  Finding f = make("vanishing_gradients", "warning");
  for (const MatrixLayer& m : ml) {
    if (m.rel_grad < t.vanishing_ratio * last) f.layers.push_back(m.layer->name);
  }
  f.step = r.sample_steps.empty() ? -1 : r.sample_steps.front();
  std::ostringstream ev;
  ev << "relative gradient ||g||/||w|| of the first layer (" << ml.front().layer->name << ") is "
     << num(ml.front().rel_grad) << ", " << num(ratio) << " times that of the last layer (" << ml.back().layer->name
     << ", " << num(last) << "); per layer, first to last:";
  for (const MatrixLayer& m : ml) ev << " " << num(m.rel_grad, "%.1e");
  f.evidence = ev.str();
  f.cause =
      "the gradient becomes smaller and smaller through multiplication (chain rule) as it moves back through "
      "many layers whose derivatives are below 1 (sigmoid's is at most 0.25), so the early layers barely learn";
  f.remedy =
      "use ReLU (with He initialization) instead of sigmoid/tanh in hidden layers, add batch normalization, or "
      "residual (skip) connections";
  f.numbers.set("ratio_first_to_last", ratio);
  io::Json per = io::Json::array();
  for (const MatrixLayer& m : ml) per.push_back(m.rel_grad);
  f.numbers.set("relative_grad_per_layer", per);
  out.push_back(std::move(f));
}

void rule_dead_relu(const TrainingRecord& r, const DoctorThresholds& t, std::vector<Finding>& out) {
  Finding f = make("dead_relu", "warning");
  std::ostringstream ev;
  io::Json per = io::Json::object();
  for (const LayerRecord& l : r.layers) {
    if (l.kind != LayerKind::ReLU || l.units < t.dead_min_units) continue;
    const std::vector<double> d = finite(l.dead_fraction);
    if (d.empty() || d.back() < t.dead_fraction) continue;
    int64_t first = -1;
    for (size_t i = 0; i < l.dead_fraction.size(); ++i) {
      if (l.dead_fraction[i] >= t.dead_fraction) {
        first = l.step[i];
        break;
      }
    }
    if (f.step < 0 || (first >= 0 && first < f.step)) f.step = first;
    f.layers.push_back(l.name);
    ev << (ev.tellp() > 0 ? "; " : "") << pct(d.back()) << " of the " << l.units << " units of " << l.name
       << " output 0 for every example of the last " << std::min<int64_t>(r.dead_window, static_cast<int64_t>(d.size()))
       << " sampled batches";
    per.set(l.name, d.back());
  }
  if (f.layers.empty()) return;
  f.evidence = ev.str();
  f.cause =
      "a ReLU neuron whose input is negative for every example outputs 0 and gets zero gradient, so it stops "
      "learning for good; large updates (a high learning rate) or a bad initialization push weights there";
  f.remedy = "use Leaky ReLU, a smaller learning rate, or better initialization (He)";
  f.numbers.set("dead_fraction", per);
  out.push_back(std::move(f));
}

void rule_saturated(const TrainingRecord& r, const DoctorThresholds& t, std::vector<Finding>& out) {
  Finding f = make("saturated_activations", "warning");
  std::ostringstream ev;
  io::Json per = io::Json::object();
  const LayerRecord* output_layer = nullptr;  // the last layer called: an output sigmoid may saturate by design
  for (const LayerRecord& l : r.layers) {
    if (!l.step.empty()) output_layer = &l;
  }
  for (const LayerRecord& l : r.layers) {
    if ((l.kind != LayerKind::Sigmoid && l.kind != LayerKind::Tanh) || &l == output_layer) continue;
    std::vector<double> s = finite(l.saturated_fraction);
    if (s.empty()) continue;
    const size_t k = std::min<size_t>(3, s.size());
    double mean = 0;
    for (size_t i = s.size() - k; i < s.size(); ++i) mean += s[i] / static_cast<double>(k);
    if (mean < t.saturated_fraction) continue;
    for (size_t i = 0; i < l.saturated_fraction.size(); ++i) {
      if (l.saturated_fraction[i] >= t.saturated_fraction) {
        if (f.step < 0 || l.step[i] < f.step) f.step = l.step[i];
        break;
      }
    }
    f.layers.push_back(l.name);
    ev << (ev.tellp() > 0 ? "; " : "") << pct(mean) << " of the outputs of " << l.name << " (" << l.type
       << ") are within 0.01 of " << (l.kind == LayerKind::Sigmoid ? "0 or 1" : "-1 or 1");
    per.set(l.name, mean);
  }
  if (f.layers.empty()) return;
  f.evidence = ev.str();
  f.cause =
      "a saturated sigmoid or tanh sits on the flat part of its S-curve where its derivative is almost 0, so "
      "almost no gradient passes through it (large weights or inputs push it there)";
  f.remedy =
      "use ReLU in hidden layers, Xavier initialization for tanh/sigmoid layers, normalize the inputs, or add "
      "batch normalization before the activation";
  f.numbers.set("saturated_fraction", per);
  out.push_back(std::move(f));
}

void rule_symmetric(const TrainingRecord& r, const DoctorThresholds& t, std::vector<Finding>& out) {
  Finding f = make("symmetric_init", "error");
  std::ostringstream ev;
  io::Json per = io::Json::object();
  for (const LayerRecord& l : r.layers) {
    const double end = l.identical_rows_end >= 0 ? l.identical_rows_end : l.identical_rows_start;
    if (end < t.symmetric_fraction) continue;
    f.layers.push_back(l.name);
    ev << (ev.tellp() > 0 ? "; " : "") << pct(end) << " of the rows of " << l.name << " (" << l.type
       << ") are identical to another row" << (l.identical_rows_end >= 0 ? " after training" : "")
       << (l.identical_rows_start >= t.symmetric_fraction ? " (" + pct(l.identical_rows_start) + " at initialization)"
                                                          : "");
    per.set(l.name, end);
  }
  if (f.layers.empty()) return;
  f.step = 0;
  f.evidence = ev.str();
  f.cause =
      "the weights started equal (e.g. all zeros): every unit of a layer computes the same thing and receives the "
      "same gradient, so the units stay copies of each other and the layer is as good as one unit";
  f.remedy = "use random initialization: He (kaiming_normal) for ReLU layers, Xavier for tanh/sigmoid";
  f.numbers.set("identical_fraction", per);
  out.push_back(std::move(f));
}

void rule_lr_too_high(const TrainingRecord& r, const DoctorContext& ctx, const DoctorThresholds& t,
                      std::vector<Finding>& out) {
  // The loss at initialization (the first step's, measured before any update) against the windows of the run.
  const std::vector<double> m = window_means(r.loss);
  double initial = kNaN, rise = 0;
  size_t at = 0;
  for (double x : r.loss) {
    if (std::isfinite(x)) {
      initial = x;
      break;
    }
  }
  if (initial > 0) {
    for (size_t w = 0; w < m.size(); ++w) {
      if (std::isfinite(m[w]) && m[w] / initial > rise) {
        rise = m[w] / initial;
        at = w;
      }
    }
  }
  const bool diverging = rise > t.diverge_factor;
  // Supporting evidence: layers whose weights moved by more than update_ratio_high of their norm in one step.
  std::vector<std::string> fast;
  double worst = 0;
  int64_t worst_step = -1;
  for (const LayerRecord& l : r.layers) {
    if (!l.has_matrix) continue;
    for (size_t i = 0; i < l.update_ratio.size(); ++i) {
      const double u = l.update_ratio[i];
      if (!std::isfinite(u) || u <= t.update_ratio_high) continue;
      if (fast.empty() || fast.back() != l.name) fast.push_back(l.name);
      if (u > worst) {
        worst = u;
        worst_step = l.step[i];
      }
    }
  }
  // Large relative updates alone are not enough (weights that start at zero have huge ones): the loss must rise.
  if (!diverging) return;
  Finding f = make("lr_too_high", "error");
  f.layers = fast;
  std::ostringstream ev;
  if (diverging) {
    f.step = r.steps.empty() ? -1 : r.steps[std::min(r.steps.size() - 1, at * r.steps.size() / m.size())];
    ev << "the mean training loss rose from " << num(initial) << " at the start to " << num(m[at]) << " (x"
       << num(rise, "%.3g") << ") in tenth " << at + 1 << " of the run";
  }
  if (!fast.empty()) {
    ev << (diverging ? "; " : "") << "one step changed the weights of " << join(fast) << " by up to " << pct(worst)
       << " of their norm (step " << worst_step << "; healthy training: 0.1% to a few %)";
    if (f.step < 0) f.step = worst_step;
  }
  if (std::isfinite(ctx.lr)) ev << "; learning rate " << num(ctx.lr);
  f.evidence = ev.str();
  f.cause =
      "the learning rate is too high: each update overshoots the minimum, so the loss jumps around or climbs "
      "instead of going down";
  f.remedy = "lower the learning rate (try 1e-3 with Adam, or run `strata lr-find` to pick one)";
  f.numbers.set("loss_rise", rise);
  f.numbers.set("max_update_ratio", worst);
  f.numbers.set("lr", json_num(ctx.lr));
  out.push_back(std::move(f));
}

void rule_lr_too_low(const TrainingRecord& r, const DoctorContext& ctx, const DoctorThresholds& t,
                     std::vector<Finding>& out) {
  const std::vector<double> m = window_means(r.loss);
  if (m.size() < 3 || !std::isfinite(m.front()) || !std::isfinite(m.back()) || m.front() <= 0) return;
  const double decrease = (m.front() - m.back()) / m.front();
  if (decrease >= t.plateau_decrease) return;
  const std::vector<MatrixLayer> ml = matrix_layers(r);
  if (ml.empty()) return;
  double top = 0;
  for (const MatrixLayer& l : ml) {
    if (!std::isfinite(l.update_ratio)) return;
    top = std::max(top, l.update_ratio);
  }
  if (top >= t.update_ratio_low) return;
  Finding f = make("lr_too_low", "warning");
  f.step = r.steps.empty() ? -1 : r.steps.back();
  std::ostringstream ev;
  ev << "over " << r.steps.size() << " steps the mean training loss went from " << num(m.front()) << " to "
     << num(m.back()) << " (" << num(100 * decrease, "%.2f") << "% lower), and no layer's weights change by more than "
     << num(top, "%.1e") << " of their norm per step (healthy training: about 1e-3)";
  if (std::isfinite(ctx.lr)) ev << "; learning rate " << num(ctx.lr);
  f.evidence = ev.str();
  f.cause = "the learning rate is too low: every update is tiny, so training crawls and seems stuck";
  f.remedy = "raise the learning rate (try 1e-3 with Adam, or run `strata lr-find` to pick one)";
  f.numbers.set("loss_decrease", decrease);
  f.numbers.set("max_update_ratio", top);
  f.numbers.set("lr", json_num(ctx.lr));
  out.push_back(std::move(f));
}

double epoch_value(const train::Logs& l, const char* key) {
  auto it = l.find(key);
  return it == l.end() ? kNaN : it->second;
}

void rule_overfitting(const TrainingRecord& r, const DoctorContext& ctx, const DoctorThresholds& t,
                      std::vector<Finding>& out) {
  if (ctx.restores_best_weights) return;  // the weights kept are those of the best validation epoch
  const auto n = static_cast<int64_t>(r.epochs.size());
  if (n < t.overfit_min_epochs) return;
  std::vector<double> val, train;
  for (const auto& e : r.epochs) {
    val.push_back(epoch_value(e, "val_loss"));
    train.push_back(epoch_value(e, "loss"));
  }
  if (finite(val).size() != val.size() || finite(train).size() != train.size()) return;
  const auto best = static_cast<size_t>(std::min_element(val.begin(), val.end()) - val.begin());
  const size_t last = val.size() - 1;
  if (best == last || val[best] <= 0) return;
  const double rise = val[last] / val[best] - 1.0;
  if (rise < t.overfit_val_rise || !(train[last] < train[best])) return;
  Finding f = make("overfitting", "warning");
  f.step = best < r.epoch_end_steps.size() ? r.epoch_end_steps[best] : -1;
  std::ostringstream ev;
  ev << "validation loss was lowest at epoch " << best + 1 << " (" << num(val[best]) << ") and rose to "
     << num(val[last]) << " by epoch " << last + 1 << " (+" << pct(rise) << ") while the training loss kept falling ("
     << num(train[best]) << " -> " << num(train[last]) << ")";
  const double ta = epoch_value(r.epochs[last], "accuracy"), va = epoch_value(r.epochs[last], "val_accuracy");
  if (std::isfinite(ta) && std::isfinite(va))
    ev << "; accuracy " << pct(ta) << " on training, " << pct(va) << " on validation";
  f.evidence = ev.str();
  f.cause =
      "the model is memorising the training examples (noise included) instead of the pattern: too many "
      "parameters for too little data, trained too long";
  f.remedy = "early stopping (keep the weights of epoch " + std::to_string(best + 1) +
             "), dropout, L2 regularization (weight decay), more data, or a smaller model";
  f.numbers.set("best_epoch", static_cast<int64_t>(best + 1));
  f.numbers.set("val_rise", rise);
  f.numbers.set("gap", val[last] - train[last]);
  out.push_back(std::move(f));
}

void rule_loss_task_mismatch(const TrainingRecord& r, const DoctorContext& ctx, const DoctorThresholds& t,
                             std::vector<Finding>& out) {
  const bool regression_loss = ctx.loss == "mse" || ctx.loss == "l1";
  if (ctx.task == "classification" && regression_loss) {
    Finding f = make("loss_task_mismatch", "error");
    f.step = 0;
    f.evidence = "the task is classification (class labels) but the loss is " + ctx.loss +
                 ", a regression loss, measured on one-hot targets";
    f.cause =
        "for classification, using MSE instead of cross-entropy can train slowly or poorly: its gradient fades "
        "when the prediction is confidently wrong, and it does not treat the outputs as class probabilities";
    f.remedy = "use cross_entropy on the raw outputs (logits), with no softmax layer";
    f.numbers.set("loss", ctx.loss);
    f.numbers.set("task", ctx.task);
    out.push_back(std::move(f));
    return;
  }
  const double prob = median(r.output_prob_rows);
  const bool takes_logits = ctx.loss == "cross_entropy" || ctx.loss == "focal" || ctx.loss == "bce_with_logits";
  if (std::isfinite(prob) && prob >= t.prob_rows && (takes_logits || ctx.loss == "nll")) {
    Finding f = make("loss_task_mismatch", "error");
    f.step = r.sample_steps.empty() ? 0 : r.sample_steps.front();
    f.evidence = pct(prob) +
                 " of the model's output rows are probability vectors (all in [0, 1], summing to 1): "
                 "the model ends in a softmax, and the loss is " +
                 ctx.loss;
    if (takes_logits) {
      f.cause =
          "this loss applies log-softmax itself and expects raw scores (logits); a softmax before it squashes the "
          "scores twice, so the gradients are tiny and the loss cannot go below a floor";
      f.remedy = "remove the final Softmax layer (keep cross_entropy), or use nll on a LogSoftmax output";
    } else {
      f.cause = "NLLLoss expects log-probabilities, but it is given probabilities (a Softmax, not a LogSoftmax)";
      f.remedy = "replace the final Softmax with LogSoftmax, or remove it and use cross_entropy";
    }
    f.numbers.set("probability_rows", prob);
    f.numbers.set("loss", ctx.loss);
    out.push_back(std::move(f));
  }
}

}  // namespace

DoctorContext context_for(const nn::Loss& loss, const optim::Optimizer& optimizer) {
  DoctorContext c;
  if (dynamic_cast<const nn::CrossEntropyLoss*>(&loss)) {
    c.loss = "cross_entropy";
  } else if (dynamic_cast<const nn::NLLLoss*>(&loss)) {
    c.loss = "nll";
  } else if (dynamic_cast<const nn::FocalLoss*>(&loss)) {
    c.loss = "focal";
  } else if (dynamic_cast<const nn::BCEWithLogitsLoss*>(&loss)) {
    c.loss = "bce_with_logits";
  } else if (dynamic_cast<const nn::BCELoss*>(&loss)) {
    c.loss = "bce";
  } else if (dynamic_cast<const nn::MSELoss*>(&loss)) {
    c.loss = "mse";
  } else if (dynamic_cast<const nn::L1Loss*>(&loss)) {
    c.loss = "l1";
  }
  if (c.loss == "cross_entropy" || c.loss == "nll") c.task = "classification";
  c.optimizer = optimizer.name();
  std::transform(c.optimizer.begin(), c.optimizer.end(), c.optimizer.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (!optimizer.param_groups().empty()) c.lr = optimizer.param_groups()[0].lr();
  return c;
}

std::vector<Finding> diagnose(const TrainingRecord& r, const DoctorContext& ctx, const DoctorThresholds& t) {
  std::vector<Finding> out;
  rule_non_finite(r, out);
  rule_exploding(r, ctx, t, out);
  rule_vanishing(r, t, out);
  rule_dead_relu(r, t, out);
  rule_saturated(r, t, out);
  rule_symmetric(r, t, out);
  if (ctx.task != "gan") {
    rule_lr_too_high(r, ctx, t, out);
    rule_lr_too_low(r, ctx, t, out);
    rule_overfitting(r, ctx, t, out);
  }
  rule_loss_task_mismatch(r, ctx, t, out);
  rule_mode_collapse(r, t, out);
  rule_loss_scale(r, t, out);
  return out;
}

io::Json to_json(const std::vector<Finding>& findings) {
  io::Json a = io::Json::array();
  for (const Finding& f : findings) {
    io::Json o = io::Json::object();
    o.set("id", f.id);
    o.set("severity", f.severity);
    io::Json layers = io::Json::array();
    for (const auto& l : f.layers) layers.push_back(l);
    o.set("layers", layers);
    o.set("evidence", f.evidence);
    o.set("cause", f.cause);
    o.set("remedy", f.remedy);
    o.set("step", f.step);
    o.set("numbers", f.numbers);
    a.push_back(o);
  }
  return a;
}

std::string format_findings(const std::vector<Finding>& findings) {
  std::ostringstream os;
  for (const Finding& f : findings) {
    os << "[" << f.severity << "] " << f.id;
    if (f.step >= 0) os << " at step " << f.step;
    if (!f.layers.empty()) os << " (layers " << join(f.layers) << ")";
    os << "\n  evidence: " << f.evidence << "\n  cause:    " << f.cause << "\n  remedy:   " << f.remedy << "\n";
  }
  return os.str();
}

std::string healthy_summary(const TrainingRecord& r) {
  std::ostringstream os;
  os << "no problems found in " << r.steps.size() << " steps";
  const std::vector<double> m = window_means(r.loss);
  if (m.size() >= 2) os << "; mean training loss " << num(m.front()) << " -> " << num(m.back());
  const LossTrend trend = loss_trend(r);
  if (!trend.kind.empty()) os << " (" << trend.kind << ")";
  const std::vector<MatrixLayer> ml = matrix_layers(r);
  if (ml.size() >= 2 && ml.back().rel_grad > 0) {
    os << "; relative gradient first/last layer " << num(ml.front().rel_grad / ml.back().rel_grad);
  }
  const std::vector<double> g = finite(r.total_grad_norm);
  if (!g.empty())
    os << "; gradient norm " << num(*std::min_element(g.begin(), g.end())) << " to "
       << num(*std::max_element(g.begin(), g.end()));
  double dead = -1, sat = -1, upd_lo = kNaN, upd_hi = kNaN;
  for (const LayerRecord& l : r.layers) {
    const std::vector<double> d = finite(l.dead_fraction), s = finite(l.saturated_fraction);
    if (!d.empty()) dead = std::max(dead, d.back());
    if (!s.empty()) sat = std::max(sat, s.back());
  }
  for (const MatrixLayer& l : ml) {
    if (!std::isfinite(l.update_ratio)) continue;
    upd_lo = std::isnan(upd_lo) ? l.update_ratio : std::min(upd_lo, l.update_ratio);
    upd_hi = std::isnan(upd_hi) ? l.update_ratio : std::max(upd_hi, l.update_ratio);
  }
  if (!std::isnan(upd_lo)) os << "; update/weight ratio " << num(upd_lo, "%.1e") << " to " << num(upd_hi, "%.1e");
  if (dead >= 0) os << "; dead ReLU units at most " << pct(dead);
  if (sat >= 0) os << "; saturated units at most " << pct(sat);
  if (!r.epochs.empty()) {
    const double v = epoch_value(r.epochs.back(), "val_loss"), l = epoch_value(r.epochs.back(), "loss");
    if (std::isfinite(v) && std::isfinite(l)) os << "; last epoch loss " << num(l) << ", val_loss " << num(v);
  }
  const std::string scaling = loss_scaling_summary(r);
  if (!scaling.empty()) os << "; " << scaling;
  return os.str();
}

// ---------------------------------------------------------------- Doctor callback

Doctor::Doctor(DoctorOptions options, DoctorContext context)
    : options_(std::move(options)), context_(std::move(context)), monitor_(options_.monitor) {}

void Doctor::on_train_begin(train::TrainState& s) {
  if (context_.optimizer.empty() && s.optimizer != nullptr && s.loss != nullptr) {
    const DoctorContext c = context_for(*s.loss, *s.optimizer);
    context_.optimizer = c.optimizer;
    if (context_.loss.empty()) context_.loss = c.loss;
    if (context_.task.empty()) context_.task = c.task;
    if (std::isnan(context_.lr)) context_.lr = c.lr;
  }
  findings_.clear();
  printed_.clear();
  monitor_.on_train_begin(s);
}
void Doctor::on_batch_begin(train::TrainState& s) { monitor_.on_batch_begin(s); }
void Doctor::on_after_backward(train::TrainState& s) { monitor_.on_after_backward(s); }
void Doctor::on_before_step(train::TrainState& s) { monitor_.on_before_step(s); }
void Doctor::on_batch_end(train::TrainState& s, const train::Logs& l) { monitor_.on_batch_end(s, l); }

void Doctor::on_epoch_end(train::TrainState& s, train::Logs& l) {
  monitor_.on_epoch_end(s, l);
  if (options_.sample_probe) {
    SampleCheck c = options_.sample_probe();
    c.step = s.global_step;
    c.epoch = s.epoch + 1;
    monitor_.mutable_record().sample_checks.push_back(std::move(c));
  }
  report_new("epoch end");
}

void Doctor::on_train_end(train::TrainState& s) {
  monitor_.on_train_end(s);
  report_new("end of training");
  if (!options_.output_path.empty()) {
    const std::string text = to_json(findings_).dump(2) + "\n";
    io::AtomicFile f(options_.output_path);
    f.write(text.data(), text.size());
    f.commit();
  }
}

void Doctor::report_new(const char* when) {
  findings_ = diagnose(monitor_.record(), context_, options_.thresholds);
  std::vector<Finding> fresh;
  for (const Finding& f : findings_) {
    if (std::find(printed_.begin(), printed_.end(), f.id) == printed_.end()) {
      fresh.push_back(f);
      printed_.push_back(f.id);
    }
  }
  if (options_.out && !fresh.empty()) *options_.out << "Doctor (" << when << "):\n" << format_findings(fresh);
}

}  // namespace strata::diag
