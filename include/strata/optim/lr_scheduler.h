#pragma once
// Learning-rate schedulers with PyTorch 1.13's semantics: construction applies the epoch-0 rate, and each
// step() (call it after optimizer.step()) advances one epoch or iteration and writes the new rate into every
// parameter group. The rates use PyTorch's recursive ("chainable") get_lr forms, which read each group's
// current lr, so schedulers compose as in PyTorch (e.g. LinearLR warm-up alongside CosineAnnealingLR).
// A scheduler keeps a reference to its optimizer, which must outlive it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/optim/optimizer.h"

namespace strata::optim {

// Serialisable scheduler state: counters and lists by name (last_epoch, base_lrs, last_lr, ...).
struct SchedulerState {
  std::string name;
  std::map<std::string, double> values;
  std::map<std::string, std::vector<double>> lists;
};

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  void step();
  // The rate of each group as set by the last step (or the constructor).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  virtual SchedulerState state_dict() const;
  virtual void load_state_dict(const SchedulerState& state);
  const std::string& name() const { return name_; }

 protected:
  // Records each group's "initial_lr" (kept if an earlier scheduler set it) as the base rate.
  LRScheduler(std::string name, Optimizer& optimizer);
  // PyTorch's constructor step (epoch 0); every derived constructor calls it last.
  void initial_step();
  virtual std::vector<double> get_lr() = 0;
  // Each group's current lr.
  std::vector<double> group_lrs() const;

  std::string name_;
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  std::vector<double> last_lr_;
};

// lr *= gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr *= gamma at each milestone epoch (a milestone listed k times multiplies by gamma^k).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// lr *= gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  std::vector<double> get_lr() override;

 private:
  double gamma_;
};

// lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2 (through PyTorch's recursive form, so
// past T_max the rate rises again over the next T_max epochs).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0.0);

 protected:
  std::vector<double> get_lr() override;

 private:
  int64_t t_max_;
  double eta_min_;
};

// Linear warm-up: the factor on base_lr goes from start_factor to end_factor over total_iters steps, then
// stays (PyTorch's LinearLR).
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);

 protected:
  std::vector<double> get_lr() override;

 private:
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

struct OneCycleOptions {
  int64_t total_steps = 0;     // required (> 0): epochs * steps_per_epoch
  double pct_start = 0.3;      // fraction of the steps spent increasing the rate
  bool cos_anneal = true;      // false: linear annealing
  bool cycle_momentum = true;  // cycles "momentum" (SGD, RMSprop) or "beta1" (Adam) inversely to the rate
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25.0;       // initial_lr = max_lr / div_factor
  double final_div_factor = 1e4;  // min_lr = initial_lr / final_div_factor
  bool three_phase = false;
};

// The 1cycle policy (PyTorch's OneCycleLR): warm up from max_lr/div_factor to max_lr, then anneal to
// min_lr. Stepping more than total_steps times is an error.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, double max_lr, const OneCycleOptions& options);
  // One max_lr per parameter group.
  OneCycleLR(Optimizer& optimizer, const std::vector<double>& max_lrs, const OneCycleOptions& options);

 protected:
  std::vector<double> get_lr() override;

 private:
  struct Phase {
    double end_step;
    const char *start_lr, *end_lr, *start_momentum, *end_momentum;
  };
  double anneal(double start, double end, double pct) const;
  OneCycleOptions o_;
  std::vector<Phase> phases_;
  std::string momentum_key_;  // "momentum", "beta1" or empty when not cycling
};

struct ReduceLROnPlateauOptions {
  std::string mode = "min";  // "min": lower metric is better; "max": higher is better
  double factor = 0.1;       // new_lr = max(lr * factor, min_lr); must be < 1
  int64_t patience = 10;     // epochs without improvement tolerated before reducing
  double threshold = 1e-4;
  std::string threshold_mode = "rel";  // "rel": better than best * (1 -/+ threshold); "abs": best -/+ threshold
  int64_t cooldown = 0;                // epochs to wait after a reduction before counting bad epochs again
  double min_lr = 0.0;
  std::vector<double> min_lrs = {};  // per group; overrides min_lr when not empty
  double eps = 1e-8;                 // reductions smaller than eps are skipped
};

// Lowers the rate when a metric has stopped improving (PyTorch's ReduceLROnPlateau).
class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});
  ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
  ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;

  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  SchedulerState state_dict() const;
  void load_state_dict(const SchedulerState& state);

 private:
  bool is_better(double a, double best) const;
  Optimizer& optimizer_;
  ReduceLROnPlateauOptions o_;
  std::vector<double> min_lrs_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace strata::optim
