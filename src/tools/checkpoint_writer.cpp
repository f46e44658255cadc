// CheckpointWriter (checkpoint_writer.h).
#include "tools/checkpoint_writer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "strata/core/error.h"
#include "tools/finite_weights.h"
#include "tools/interrupt.h"

namespace strata::tools::detail {

namespace fs = std::filesystem;

void CheckpointWriter::on_batch_end(train::TrainState& s, const train::Logs& /*logs*/) {
  if (!s.optimizer_stepped) return;  // never inside an accumulation group
  const bool due = o_.every_steps > 0 && s.global_step % o_.every_steps == 0;
  const int sig = pending_interrupt();
  if (!due && sig == 0) return;
  save(s, nullptr);
  if (sig != 0) stop(s, sig);
}

void CheckpointWriter::on_epoch_end(train::TrainState& s, train::Logs& logs) {
  save(s, &logs);
  // A signal that came during validation stops here, with the epoch's checkpoint, unless training ends anyway.
  const int sig = pending_interrupt();
  if (sig != 0 && s.epoch + 1 < s.epochs) stop(s, sig);
}

void CheckpointWriter::stop(train::TrainState& s, int sig) {
  interrupted_ = sig;
  s.interrupt = true;
  s.stop_training = true;
  s.stop_reason = std::string("interrupted by ") + signal_name(sig);
}

std::string CheckpointWriter::position_name(const io::Checkpoint& ckpt) {
  const io::Json* b = ckpt.training.find("batch");
  char position[64];
  std::snprintf(position, sizeof position, "e%04lld-b%06lld", static_cast<long long>(ckpt.epoch + 1),
                static_cast<long long>(b != nullptr ? b->as_int() : 0));
  return position;
}

bool CheckpointWriter::save(const train::TrainState& s, const train::Logs* epoch_logs) {
  io::Checkpoint c;
  if (!all_finite(s.model->state_dict())) return false;
  train::capture_training_state(s, callbacks_, epoch_logs, o_.optimizers, c);
  if (o_.epoch_seconds != nullptr) {
    io::Json secs = io::Json::array();
    for (double v : *o_.epoch_seconds) secs.push_back(v);
    c.training.set("epoch_seconds", secs);
  }
  c.user["run"] = o_.run_name;
  c.user["config"] = o_.config_text;
  if (o_.keep > 1 && !previous_.empty()) rotate(previous_);
  io::save_checkpoint(path(), c);
  previous_ = position_name(c);
  wrote_ = true;
  return true;
}

void CheckpointWriter::rotate(const std::string& name_of_previous) {
  std::error_code ec;
  const fs::path dir(o_.dir);
  if (!fs::exists(path(), ec)) return;
  fs::rename(path(), dir / ("checkpoint-" + name_of_previous + ".safetensors"), ec);
  STRATA_CHECK(!ec, "[checkpoint] cannot rename ", path(), ": ", ec.message());
  // Keep the newest keep - 1 numbered checkpoints (their names sort by position).
  std::vector<fs::path> numbered;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("checkpoint-e", 0) == 0 && e.path().extension() == ".safetensors") numbered.push_back(e.path());
  }
  std::sort(numbered.begin(), numbered.end());
  const size_t keep = static_cast<size_t>(o_.keep - 1);
  for (size_t i = 0; i + keep < numbered.size(); ++i) fs::remove(numbered[i], ec);
}

}  // namespace strata::tools::detail
