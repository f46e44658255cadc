// Resuming a `strata train` run (run_resume.h).
#include "tools/run_resume.h"

#include <algorithm>
#include <filesystem>

#include "strata/core/error.h"
#include "strata/train/callbacks.h"

namespace strata::tools::detail {

namespace {

// The top-level keys whose values differ between two configs, ignoring those a resumed run may change.
std::vector<std::string> differing_keys(const io::Json& saved, const io::Json& now) {
  // "distributed" only says how the processes share the work (the world size may change on resume too); "device"
  // where the same arithmetic runs.
  static const std::vector<std::string> free_keys = {"epochs", "checkpoint_every_steps", "keep_checkpoints",
                                                     "distributed", "device"};
  std::vector<std::string> out;
  auto consider = [&](const std::string& k) {
    if (std::find(free_keys.begin(), free_keys.end(), k) != free_keys.end()) return;
    if (std::find(out.begin(), out.end(), k) != out.end()) return;
    const io::Json* a = saved.find(k);
    const io::Json* b = now.find(k);
    if (a == nullptr || b == nullptr || !(*a == *b)) out.push_back(k);
  };
  for (const std::string& k : saved.keys()) consider(k);
  for (const std::string& k : now.keys()) consider(k);
  return out;
}

}  // namespace

ResumeSource find_resume_checkpoint(const RunConfig& config, const std::string& spec) {
  ResumeSource src;
  const std::string run_dir = config.run_dir();
  if (spec == "latest") {
    std::vector<std::string> skipped;
    src.path = std::filesystem::is_directory(run_dir) ? io::find_latest_checkpoint(run_dir, &skipped) : "";
    std::string why;
    for (const std::string& s : skipped) why += "\n  skipped: " + s;
    STRATA_CHECK(!src.path.empty(), "--resume: no valid checkpoint in ", run_dir, " to resume ", config.source, " from",
                 why);
  } else {
    src.path = spec;
    STRATA_CHECK(std::filesystem::is_regular_file(src.path), "--resume-from: ", src.path, " is not a checkpoint file");
  }
  src.checkpoint = io::load_checkpoint(src.path);
  const io::Checkpoint& c = src.checkpoint;
  STRATA_CHECK(train::can_resume(c), src.path,
               ": this checkpoint holds weights and optimizer state but no training position (it was written before "
               "exact resume existed); train afresh, or use it as \"init_from\"");
  const auto cfg = c.user.find("config");
  STRATA_CHECK(cfg != c.user.end(), src.path, ": the checkpoint does not record its config");
  const io::Json saved = io::parse_json(cfg->second, src.path + " (the checkpoint's config)");
  const std::vector<std::string> diff = differing_keys(saved, config.json);
  if (!diff.empty()) {
    std::string keys;
    for (const std::string& k : diff) keys += (keys.empty() ? "\"" : ", \"") + k + "\"";
    STRATA_FAIL(src.path, ": the checkpoint was written by a different config: ", keys, " differ from ", config.source,
                ". A resumed run must use the same config (only \"epochs\", \"checkpoint_every_steps\" and "
                "\"keep_checkpoints\" may change)");
  }
  const bool stopped = c.training.contains("stopped") && c.training.at("stopped").as_bool();
  STRATA_CHECK(!stopped, src.path,
               ": training had stopped before this checkpoint (early stopping or a step limit); "
               "there is nothing to resume");
  STRATA_CHECK(c.epoch < config.epochs, src.path, ": the run already finished its ", config.epochs,
               " epochs; raise \"epochs\" in ", config.source, " to train further");
  return src;
}

void rewrite_logs(const std::string& run_dir, const train::ResumeState& rs) {
  train::CSVLogger csv(run_dir + "/log.csv");
  train::JSONLinesLogger jsonl(run_dir + "/log.jsonl");
  train::TrainState st;
  csv.on_train_begin(st);
  jsonl.on_train_begin(st);
  for (size_t i = 0; i < rs.history.size(); ++i) {
    st.epoch = rs.history_initial_epoch + static_cast<int64_t>(i);
    train::Logs logs = rs.history[i];
    csv.on_epoch_end(st, logs);
    jsonl.on_epoch_end(st, logs);
  }
}

std::vector<double> saved_epoch_seconds(const io::Checkpoint& ckpt) {
  std::vector<double> out;
  if (const io::Json* s = ckpt.training.find("epoch_seconds")) {
    for (const io::Json& v : s->elements()) out.push_back(v.as_double());
  }
  return out;
}

}  // namespace strata::tools::detail
