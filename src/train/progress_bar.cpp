// ProgressBar: Keras-style progress per batch. On a terminal one line is redrawn in place ('\r', at most
// ten times a second, plus the last batch); elsewhere (files, pipes, CI logs) plain lines are printed every
// print_every batches. Nothing is formatted on batches that print nothing.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "strata/core/error.h"
#include "strata/train/callbacks.h"

namespace strata::train {
namespace {

using Clock = std::chrono::steady_clock;

// Keys of batch logs that are bookkeeping rather than something to show.
bool shown_in_bar(const std::string& key) {
  return key != "loss" && key != "batch_loss" && key != "size" && key != "lr" && key != "grad_norm";
}

std::string fmt_value(double v) {
  char buf[48];
  const double a = std::fabs(v);
  if (v == 0 || (a >= 1e-3 && a < 1e5) || !std::isfinite(v)) std::snprintf(buf, sizeof(buf), "%.4f", v);
  else std::snprintf(buf, sizeof(buf), "%.3e", v);
  return buf;
}

std::string fmt_duration(double seconds) {
  char buf[48];
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  if (seconds < 10) std::snprintf(buf, sizeof(buf), "%.1fs", seconds);
  else if (s < 60) std::snprintf(buf, sizeof(buf), "%lds", s);
  else if (s < 3600) std::snprintf(buf, sizeof(buf), "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof(buf), "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  return buf;
}

std::string fmt_rate(double samples_per_s) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f samples/s", samples_per_s);
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::ostream& os, ProgressBarOptions options) : os_(os), options_(options) {
  STRATA_CHECK(options_.print_every >= 0, "[ProgressBar] print_every must be >= 0, got ", options_.print_every);
  STRATA_CHECK(options_.bar_width >= 0, "[ProgressBar] bar_width must be >= 0, got ", options_.bar_width);
}

void ProgressBar::on_train_begin(TrainState&) {
  if (options_.tty) {
    tty_ = *options_.tty;
    return;
  }
  const char* ci = std::getenv("CI");
  tty_ = false;
  if (ci != nullptr && *ci != '\0') return;  // CI logs are files: plain lines
  if (&os_ == &std::cout) tty_ = ::isatty(STDOUT_FILENO) != 0;
  if (&os_ == &std::cerr || &os_ == &std::clog) tty_ = ::isatty(STDERR_FILENO) != 0;
}

void ProgressBar::on_epoch_begin(TrainState& state) {
  os_ << "Epoch " << state.epoch + 1 << "/" << state.epochs << '\n';
  if (tty_) os_ << std::flush;
  epoch_samples_ = 0;
  last_width_ = 0;
  epoch_start_ = Clock::now();
  last_draw_ = epoch_start_;
}

void ProgressBar::on_batch_end(TrainState& state, const Logs& batch_logs) {
  auto size = batch_logs.find("size");
  epoch_samples_ += size != batch_logs.end() ? static_cast<int64_t>(size->second) : 0;
  const int64_t done = state.batch + 1, total = state.batches_per_epoch;
  const bool last = done >= total;
  const Clock::time_point now = Clock::now();
  if (tty_) {
    if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  } else {
    const int64_t every = options_.print_every > 0 ? options_.print_every : std::max<int64_t>(1, (total + 9) / 10);
    if (!last && done % every != 0) return;
  }
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();

  std::string line;
  const std::string count = std::to_string(total);
  std::string d = std::to_string(done);
  if (d.size() < count.size()) d.insert(0, count.size() - d.size(), ' ');
  line += d + "/" + count;
  if (tty_ && options_.bar_width > 0) {
    const int64_t w = options_.bar_width;
    const int64_t filled = total > 0 ? std::min<int64_t>(w, done * w / total) : w;
    line += " [";
    for (int64_t i = 0; i < w; ++i) line += i < filled ? (i + 1 == filled && !last ? '>' : '=') : '.';
    line += "]";
  }
  auto loss = batch_logs.find("loss");
  if (loss != batch_logs.end()) line += " - loss: " + fmt_value(loss->second);
  for (const auto& [k, v] : batch_logs)
    if (shown_in_bar(k)) line += " - " + k + ": " + fmt_value(v);
  if (elapsed > 0) line += " - " + fmt_rate(static_cast<double>(epoch_samples_) / elapsed);
  if (!last) line += " - ETA " + fmt_duration(elapsed / static_cast<double>(done) * static_cast<double>(total - done));

  if (tty_) {
    const size_t width = line.size();
    if (width < last_width_) line.append(last_width_ - width, ' ');
    last_width_ = width;
    os_ << '\r' << line << std::flush;
  } else {
    os_ << line << '\n';
  }
}

void ProgressBar::on_epoch_end(TrainState& state, Logs& epoch_logs) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
  std::string line = "Epoch " + std::to_string(state.epoch + 1) + "/" + std::to_string(state.epochs) + " done in " +
                     fmt_duration(elapsed);
  auto loss = epoch_logs.find("loss");
  if (loss != epoch_logs.end()) line += " - loss: " + fmt_value(loss->second);
  for (const auto& [k, v] : epoch_logs)
    if (k != "loss" && k.compare(0, 4, "val_") != 0 && k != "lr") line += " - " + k + ": " + fmt_value(v);
  auto val_loss = epoch_logs.find("val_loss");
  if (val_loss != epoch_logs.end()) line += " - val_loss: " + fmt_value(val_loss->second);
  for (const auto& [k, v] : epoch_logs)
    if (k.compare(0, 4, "val_") == 0 && k != "val_loss") line += " - " + k + ": " + fmt_value(v);
  auto lr = epoch_logs.find("lr");
  if (lr != epoch_logs.end()) line += " - lr: " + fmt_value(lr->second);
  if (tty_) os_ << '\n';
  os_ << line << '\n' << std::flush;
}

}  // namespace strata::train
