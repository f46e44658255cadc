#pragma once
// The gradient-synchronisation seam of the training step (train::Stepper, step.h): data-parallel training
// (dist::DataParallel, include/strata/dist/data_parallel.h) implements it; a single process has none.
//
// Per accumulation group the Stepper calls before_backward(last) before each micro-batch's backward (last: the
// group's final one, whose backward may start communicating as gradients become ready), and synchronize() at the
// start of step(), before loss scaling's inf check, the callbacks, clipping and the update: from then on every
// process holds the same gradients. The training loops call add_examples(n) with each micro-batch's local size,
// so that unequal shares (an epoch's last batch) are weighted by their examples.
#include <cstdint>
#include <memory>
#include <vector>

namespace strata::train {

class GradientSync {
 public:
  virtual ~GradientSync() = default;
  virtual void before_backward(bool last_micro_batch) = 0;
  virtual void synchronize() = 0;
  // Examples in the micro-batch about to run on this process (default: every process weighs the same).
  virtual void add_examples(int64_t /*n*/) {}
  // Element-wise sums over the processes, in place: the loops sum their metric totals (each process saw its
  // share of the examples) and their stop flags after every batch (a stop or an interrupt on one process must end
  // every process's loop at the same batch, or the next collective would wait forever).
  virtual void sum(std::vector<double>& /*values*/) {}
  // The process that restores a mid-epoch resume's running totals (they were its own when the checkpoint was
  // written); the others start the epoch's remainder from zero, so the sums count every example once.
  virtual bool is_main() const { return true; }
};

using GradientSyncPtr = std::shared_ptr<GradientSync>;

}  // namespace strata::train
