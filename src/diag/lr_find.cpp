// The learning-rate range test: exponential LR sweep, smoothed loss, divergence stop, suggestion, and the
// restore of model and optimizer afterwards.
#include "strata/diag/lr_find.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"

namespace strata::diag {

namespace {

// Deep copies of the model's parameters and buffers (state_dict() shares storage with the model).
nn::StateDict snapshot(const nn::Module& model) {
  nn::StateDict out;
  for (const auto& [key, t] : model.state_dict()) out.insert(key, t.clone());
  return out;
}

// Puts model and optimizer back as they were before the sweep.
struct Restore {
  nn::Module& model;
  optim::Optimizer& optimizer;
  nn::StateDict weights;
  optim::OptimizerState opt_state;
  bool training;

  void operator()() const {
    model.load_state_dict(weights, /*strict=*/true);
    optimizer.load_state_dict(opt_state);
    model.zero_grad(/*set_to_none=*/true);
    model.train(training);
  }
};

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// The steepest descent of smoothed(log lr), or the fallback; fills suggested_lr and reason.
void suggest(LRFindResult& r) {
  const auto m = static_cast<int64_t>(r.smoothed.size());
  // fastai skips the first 10 and the last 5 points of 100: the average is still warming up at the start,
  // and the last points are the divergence.
  const int64_t skip_start = std::min<int64_t>(10, std::max<int64_t>(1, m / 10));
  const int64_t skip_end = std::min<int64_t>(5, std::max<int64_t>(1, m / 20));
  // A descent must beat rounding noise (a flat loss gives slopes of 1e-16).
  double scale = 0;
  for (double v : r.smoothed) {
    if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
  }
  double best_slope = -1e-9 * scale;
  int64_t best = -1;
  for (int64_t i = std::max<int64_t>(1, skip_start); i < m - skip_end && i + 1 < m; ++i) {
    const double s0 = r.smoothed[static_cast<size_t>(i - 1)], s1 = r.smoothed[static_cast<size_t>(i + 1)];
    if (!std::isfinite(s0) || !std::isfinite(s1)) continue;
    const double dx = std::log(r.lrs[static_cast<size_t>(i + 1)]) - std::log(r.lrs[static_cast<size_t>(i - 1)]);
    const double slope = (s1 - s0) / dx;
    if (slope < best_slope) {
      best_slope = slope;
      best = i;
    }
  }
  if (best >= 0) {
    r.suggested_lr = r.lrs[static_cast<size_t>(best)];
    r.reason = "steepest descent of the smoothed loss over log(lr) (slope " + fmt(best_slope) +
               " per e-fold, at step " + std::to_string(best) + " of " + std::to_string(m) + ")";
  } else {
    r.suggested_lr = r.min_loss_lr / 10;
    r.reason =
        "the smoothed loss never descends between the ignored ends of the sweep; fell back to the LR of "
        "the minimum loss / 10";
  }
}

io::Json numbers(const std::vector<double>& v) {
  io::Json a = io::Json::array();
  for (double x : v) a.push_back(std::isfinite(x) ? io::Json(x) : io::Json(nullptr));
  return a;
}

}  // namespace

LRFindResult lr_find(nn::Module& model, optim::Optimizer& optimizer, const std::function<double()>& train_step,
                     const LRFindOptions& o) {
  STRATA_CHECK(o.min_lr > 0 && std::isfinite(o.min_lr), "[lr_find] min_lr must be positive, got ", o.min_lr);
  STRATA_CHECK(o.max_lr > o.min_lr && std::isfinite(o.max_lr), "[lr_find] max_lr must exceed min_lr (", o.min_lr,
               "), got ", o.max_lr);
  STRATA_CHECK(o.num_steps >= 2, "[lr_find] num_steps must be at least 2, got ", o.num_steps);
  STRATA_CHECK(o.smoothing >= 0 && o.smoothing < 1, "[lr_find] smoothing must be in [0, 1), got ", o.smoothing);
  STRATA_CHECK(o.diverge_factor > 1, "[lr_find] diverge_factor must exceed 1, got ", o.diverge_factor);
  STRATA_CHECK(static_cast<bool>(train_step), "[lr_find] train_step is empty");
  STRATA_CHECK(!optimizer.param_groups().empty(), "[lr_find] the optimizer has no parameter groups");

  const Restore restore{model, optimizer, snapshot(model), optimizer.state_dict(), model.is_training()};
  LRFindResult r;
  try {
    double avg = 0, best = std::numeric_limits<double>::infinity();
    const double ratio = o.max_lr / o.min_lr;
    for (int64_t i = 0; i < o.num_steps; ++i) {
      const double lr = o.min_lr * std::pow(ratio, static_cast<double>(i) / static_cast<double>(o.num_steps - 1));
      for (auto& g : optimizer.param_groups()) g.set_lr(lr);
      const double loss = train_step();
      avg = o.smoothing * avg + (1 - o.smoothing) * loss;
      // Bias correction (as Adam's): the average starts at 0.
      const double smoothed = avg / (1 - std::pow(o.smoothing, static_cast<double>(i + 1)));
      r.lrs.push_back(lr);
      r.losses.push_back(loss);
      r.smoothed.push_back(std::isfinite(smoothed) ? smoothed : std::numeric_limits<double>::quiet_NaN());
      r.steps_run = i + 1;
      if (!std::isfinite(smoothed) || (i > 0 && smoothed > o.diverge_factor * best)) {
        r.diverged = true;
        break;
      }
      if (smoothed < best) {
        best = smoothed;
        r.min_loss_lr = lr;
      }
    }
  } catch (...) {
    restore();
    throw;
  }
  restore();
  if (r.min_loss_lr == 0) r.min_loss_lr = r.lrs.front();  // the first loss was already not finite
  suggest(r);
  return r;
}

io::Json to_json(const LRFindResult& r) {
  io::Json j = io::Json::object();
  j.set("lr", numbers(r.lrs));
  j.set("loss", numbers(r.losses));
  j.set("smoothed", numbers(r.smoothed));
  j.set("suggested_lr", r.suggested_lr);
  j.set("min_loss_lr", r.min_loss_lr);
  j.set("reason", r.reason);
  j.set("diverged", r.diverged);
  j.set("steps_run", r.steps_run);
  return j;
}

}  // namespace strata::diag
