#pragma once
// `strata train <config> --resume`: finding the checkpoint, checking that it belongs to this config, and what the
// run folder's logs and timings carry over (run_setup.cpp calls these; train/resume.h does the exact part).
#include <memory>
#include <string>
#include <vector>

#include "strata/io/checkpoint.h"
#include "strata/tools/run.h"
#include "strata/train/resume.h"

namespace strata::tools::detail {

struct ResumeSource {
  std::string path;  // the checkpoint file
  io::Checkpoint checkpoint;
};

// The checkpoint `spec` names: "latest" (the newest valid checkpoint in the config's run folder) or a file. Errors
// name the folder or file, a checkpoint without a training position, another config (the keys that differ;
// "epochs", "checkpoint_every_steps" and "keep_checkpoints" may change), and a run that has nothing left to do.
ResumeSource find_resume_checkpoint(const RunConfig& config, const std::string& spec);

// Rewrites log.csv and log.jsonl to hold exactly the checkpoint's epochs (a later epoch the interrupted run had
// logged after the checkpoint is dropped), so the run's loggers can append from there.
void rewrite_logs(const std::string& run_dir, const train::ResumeState& rs);

// The checkpoint's epoch times ("training.epoch_seconds"), empty when it has none.
std::vector<double> saved_epoch_seconds(const io::Checkpoint& ckpt);

}  // namespace strata::tools::detail
