#include "strata/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "strata/core/error.h"

namespace strata::optim {

namespace {

// Python's a % b (the sign of b).
int64_t py_mod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

double get_value(const SchedulerState& s, const std::string& key) {
  auto it = s.values.find(key);
  STRATA_CHECK(it != s.values.end(), "[", s.name, "] load_state_dict: missing '", key, "'");
  return it->second;
}

const std::vector<double>& get_list(const SchedulerState& s, const std::string& key, size_t n) {
  auto it = s.lists.find(key);
  STRATA_CHECK(it != s.lists.end(), "[", s.name, "] load_state_dict: missing '", key, "'");
  STRATA_CHECK(it->second.size() == n, "[", s.name, "] load_state_dict: '", key, "' has ", it->second.size(),
               " entries, the optimizer ", n, " parameter groups");
  return it->second;
}

}  // namespace

// ---- base ----

LRScheduler::LRScheduler(std::string name, Optimizer& optimizer) : name_(std::move(name)), optimizer_(optimizer) {
  for (ParamGroup& g : optimizer_.param_groups()) {
    auto it = g.options.find("initial_lr");
    if (it == g.options.end()) it = g.options.emplace("initial_lr", g.lr()).first;
    base_lrs_.push_back(it->second);
  }
}

void LRScheduler::initial_step() { step(); }

std::vector<double> LRScheduler::group_lrs() const {
  std::vector<double> out;
  for (const ParamGroup& g : optimizer_.param_groups()) out.push_back(g.lr());
  return out;
}

void LRScheduler::step() {
  STRATA_CHECK(optimizer_.param_groups().size() == base_lrs_.size(), "[", name_, "] the optimizer has ",
               optimizer_.param_groups().size(), " parameter groups, the scheduler was made for ", base_lrs_.size());
  ++last_epoch_;
  std::vector<double> lrs = get_lr();
  auto& groups = optimizer_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) groups[i].set_lr(lrs[i]);
  last_lr_ = group_lrs();
}

SchedulerState LRScheduler::state_dict() const {
  SchedulerState s;
  s.name = name_;
  s.values["last_epoch"] = static_cast<double>(last_epoch_);
  s.lists["base_lrs"] = base_lrs_;
  s.lists["last_lr"] = last_lr_;
  return s;
}

void LRScheduler::load_state_dict(const SchedulerState& s) {
  STRATA_CHECK(s.name == name_, "[", name_, "] load_state_dict got the state of a ", s.name);
  const size_t n = base_lrs_.size();
  const double epoch = get_value(s, "last_epoch");
  base_lrs_ = get_list(s, "base_lrs", n);
  last_lr_ = get_list(s, "last_lr", n);
  last_epoch_ = static_cast<int64_t>(epoch);
}

// ---- StepLR, MultiStepLR, ExponentialLR ----

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler("StepLR", optimizer), step_size_(step_size), gamma_(gamma) {
  STRATA_CHECK(step_size > 0, "[StepLR] step_size must be positive, got ", step_size);
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler("MultiStepLR", optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  auto count = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (count == 0) return lrs;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(count));
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler("ExponentialLR", optimizer), gamma_(gamma) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

// ---- CosineAnnealingLR ----

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min)
    : LRScheduler("CosineAnnealingLR", optimizer), t_max_(t_max), eta_min_(eta_min) {
  STRATA_CHECK(t_max > 0, "[CosineAnnealingLR] T_max must be positive, got ", t_max);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  constexpr double pi = std::numbers::pi;
  const double t = static_cast<double>(last_epoch_), tm = static_cast<double>(t_max_);
  if (py_mod(last_epoch_ - 1 - t_max_, 2 * t_max_) == 0) {
    // Leaving the minimum, where the recursive ratio below would divide by zero.
    for (size_t i = 0; i < lrs.size(); ++i) lrs[i] += (base_lrs_[i] - eta_min_) * (1 - std::cos(pi / tm)) / 2;
    return lrs;
  }
  for (double& lr : lrs) {
    lr = (1 + std::cos(pi * t / tm)) / (1 + std::cos(pi * (t - 1) / tm)) * (lr - eta_min_) + eta_min_;
  }
  return lrs;
}

// ---- LinearLR ----

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler("LinearLR", optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  STRATA_CHECK(start_factor > 0.0 && start_factor <= 1.0, "[LinearLR] start_factor must be in (0, 1], got ",
               start_factor);
  STRATA_CHECK(end_factor >= 0.0 && end_factor <= 1.0, "[LinearLR] end_factor must be in [0, 1], got ", end_factor);
  STRATA_CHECK(total_iters > 0, "[LinearLR] total_iters must be positive, got ", total_iters);
  initial_step();
}

std::vector<double> LinearLR::get_lr() {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double d = end_factor_ - start_factor_;
  const double f =
      1.0 + d / (static_cast<double>(total_iters_) * start_factor_ + static_cast<double>(last_epoch_ - 1) * d);
  for (double& lr : lrs) lr *= f;
  return lrs;
}

// ---- OneCycleLR ----

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, const OneCycleOptions& options)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.param_groups().size(), max_lr), options) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, const std::vector<double>& max_lrs, const OneCycleOptions& o)
    : LRScheduler("OneCycleLR", optimizer), o_(o) {
  auto& groups = optimizer_.param_groups();
  STRATA_CHECK(o.total_steps > 0, "[OneCycleLR] total_steps must be positive, got ", o.total_steps);
  STRATA_CHECK(o.pct_start >= 0.0 && o.pct_start <= 1.0, "[OneCycleLR] pct_start must be in [0, 1], got ", o.pct_start);
  STRATA_CHECK(max_lrs.size() == groups.size(), "[OneCycleLR] got ", max_lrs.size(), " max_lr values for ",
               groups.size(), " parameter groups");
  const double total = static_cast<double>(o.total_steps);
  if (o.three_phase) {
    phases_ = {{o.pct_start * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
               {2 * o.pct_start * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"},
               {total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"}};
  } else {
    phases_ = {{o.pct_start * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
               {total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"}};
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    Options& g = groups[i].options;
    g["initial_lr"] = max_lrs[i] / o.div_factor;
    g["max_lr"] = max_lrs[i];
    g["min_lr"] = g["initial_lr"] / o.final_div_factor;
    base_lrs_[i] = g["initial_lr"];
  }
  if (o.cycle_momentum) {
    const Options& d = optimizer_.defaults();
    momentum_key_ = d.count("beta1") ? "beta1" : d.count("momentum") ? "momentum" : "";
    STRATA_CHECK(!momentum_key_.empty(), "[OneCycleLR] cycle_momentum needs an optimizer with momentum or betas (",
                 optimizer_.name(), " has neither); set cycle_momentum = false");
    for (ParamGroup& grp : groups) {
      grp.options[momentum_key_] = o.max_momentum;
      grp.options["max_momentum"] = o.max_momentum;
      grp.options["base_momentum"] = o.base_momentum;
    }
  }
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (o_.cos_anneal) return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1);
  return (end - start) * pct + start;
}

std::vector<double> OneCycleLR::get_lr() {
  STRATA_CHECK(last_epoch_ <= o_.total_steps, "[OneCycleLR] tried to step ", last_epoch_ + 1, " times; total_steps is ",
               o_.total_steps);
  std::vector<double> lrs;
  const double step = static_cast<double>(last_epoch_);
  for (ParamGroup& g : optimizer_.param_groups()) {
    double start = 0, lr = 0, momentum = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& ph = phases_[i];
      if (step <= ph.end_step || i + 1 == phases_.size()) {
        double pct = (step - start) / (ph.end_step - start);
        lr = anneal(g.get(ph.start_lr), g.get(ph.end_lr), pct);
        if (!momentum_key_.empty()) momentum = anneal(g.get(ph.start_momentum), g.get(ph.end_momentum), pct);
        break;
      }
      start = ph.end_step;
    }
    lrs.push_back(lr);
    if (!momentum_key_.empty()) g.options[momentum_key_] = momentum;
  }
  return lrs;
}

// ---- ReduceLROnPlateau ----

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& o)
    : optimizer_(optimizer), o_(o) {
  STRATA_CHECK(o.factor < 1.0, "[ReduceLROnPlateau] factor must be < 1, got ", o.factor);
  STRATA_CHECK(o.mode == "min" || o.mode == "max", "[ReduceLROnPlateau] mode must be \"min\" or \"max\", got \"",
               o.mode, "\"");
  STRATA_CHECK(o.threshold_mode == "rel" || o.threshold_mode == "abs",
               "[ReduceLROnPlateau] threshold_mode must be \"rel\" or \"abs\", got \"", o.threshold_mode, "\"");
  const size_t n = optimizer.param_groups().size();
  if (o.min_lrs.empty()) {
    min_lrs_.assign(n, o.min_lr);
  } else {
    STRATA_CHECK(o.min_lrs.size() == n, "[ReduceLROnPlateau] expected ", n, " min_lrs, got ", o.min_lrs.size());
    min_lrs_ = o.min_lrs;
  }
  best_ = o.mode == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (const ParamGroup& g : optimizer_.param_groups()) last_lr_.push_back(g.lr());
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const bool rel = o_.threshold_mode == "rel";
  if (o_.mode == "min") return rel ? a < best * (1.0 - o_.threshold) : a < best - o_.threshold;
  return rel ? a > best * (o_.threshold + 1.0) : a > best + o_.threshold;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > o_.patience) {
    auto& groups = optimizer_.param_groups();
    for (size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = groups[i].lr();
      const double new_lr = std::max(old_lr * o_.factor, min_lrs_[i]);
      if (old_lr - new_lr > o_.eps) groups[i].set_lr(new_lr);
    }
    cooldown_counter_ = o_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (const ParamGroup& g : optimizer_.param_groups()) last_lr_.push_back(g.lr());
}

SchedulerState ReduceLROnPlateau::state_dict() const {
  SchedulerState s;
  s.name = "ReduceLROnPlateau";
  s.values = {{"best", best_},
              {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
              {"cooldown_counter", static_cast<double>(cooldown_counter_)},
              {"last_epoch", static_cast<double>(last_epoch_)}};
  s.lists["last_lr"] = last_lr_;
  return s;
}

void ReduceLROnPlateau::load_state_dict(const SchedulerState& s) {
  STRATA_CHECK(s.name == "ReduceLROnPlateau", "[ReduceLROnPlateau] load_state_dict got the state of a ", s.name);
  const double best = get_value(s, "best"), bad = get_value(s, "num_bad_epochs");
  const double cool = get_value(s, "cooldown_counter"), epoch = get_value(s, "last_epoch");
  last_lr_ = get_list(s, "last_lr", optimizer_.param_groups().size());
  best_ = best;
  num_bad_epochs_ = static_cast<int64_t>(bad);
  cooldown_counter_ = static_cast<int64_t>(cool);
  last_epoch_ = static_cast<int64_t>(epoch);
}

}  // namespace strata::optim
