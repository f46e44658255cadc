#pragma once
// Pieces shared by the supervised run (run.cpp) and the task runs (run_task.cpp): epoch timing, a step limit, atomic
// text files and number formatting.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "strata/io/atomic_file.h"
#include "strata/io/json.h"
#include "strata/train/fit.h"
#include "tools/finite_weights.h"

namespace strata::tools::detail {

inline void write_text_atomically(const std::string& path, const std::string& text) {
  io::AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

// Records each epoch's wall time.
class EpochTimer : public train::Callback {
 public:
  explicit EpochTimer(std::vector<double>& out) : out_(out) {}
  void on_epoch_begin(train::TrainState& /*s*/) override { start_ = std::chrono::steady_clock::now(); }
  void on_epoch_end(train::TrainState& /*s*/, train::Logs& /*logs*/) override {
    out_.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  std::vector<double>& out_;
  std::chrono::steady_clock::time_point start_;
};

// JSON has no NaN or infinity: a diverged run's losses are written as null (as the JSON-lines log does).
inline io::Json json_number(double v) { return std::isfinite(v) ? io::Json(v) : io::Json(); }

// Stops training after a number of optimizer steps (strata doctor's short runs).
class StopAfterSteps : public train::Callback {
 public:
  explicit StopAfterSteps(int64_t steps) : steps_(steps) {}
  void on_batch_end(train::TrainState& s, const train::Logs& /*logs*/) override {
    if (s.global_step >= steps_ && !s.stop_training) {
      s.stop_training = true;
      s.stop_reason = "reached " + std::to_string(steps_) + " steps";
    }
  }

 private:
  int64_t steps_;
};

// Stops training after the batch during which `seconds` of wall time since the start of training passed (a fixed
// compute budget, `strata tradeoff --budget-seconds`).
class StopAfterSeconds : public train::Callback {
 public:
  explicit StopAfterSeconds(double seconds) : seconds_(seconds) {}
  void on_train_begin(train::TrainState& /*s*/) override { start_ = std::chrono::steady_clock::now(); }
  void on_batch_end(train::TrainState& s, const train::Logs& /*logs*/) override {
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (t >= seconds_ && !s.stop_training) {
      s.stop_training = true;
      char buf[64];
      std::snprintf(buf, sizeof buf, "reached the budget of %g s", seconds_);
      s.stop_reason = buf;
    }
  }

 private:
  double seconds_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

inline std::string fmt(double v, const char* f = "%.4f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace strata::tools::detail
