#pragma once
// Training checkpoints: model weights, optimizer state, scheduler state, epoch/step and RNG states in ONE
// safetensors file. Tensors are stored under "model.<key>", "optimizer.<key>" and "extra.<key>"; everything else is a
// JSON document in the "__metadata__" entry "strata.checkpoint". The file is written atomically
// (temporary file, fsync, rename, directory fsync), so a crash during a save leaves the previous
// checkpoint intact. The container is generic: callers fill it from their modules, optimizers and
// schedulers (module.state_dict(), the optimizer's tensors + JSON options, the scheduler's JSON).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/io/safetensors.h"
#include "strata/nn/module.h"

namespace strata::io {

struct Checkpoint {
  nn::StateDict model;
  nn::StateDict optimizer_tensors;  // per-parameter buffers (momentum, exp_avg, ...)
  Json optimizer = Json::object();  // scalars and options (lr, betas, step counts, ...)
  Json scheduler = Json::object();
  int64_t epoch = 0;
  int64_t step = 0;
  // Generator::get_state() of the default generator ("" = not saved), and of any other generators by name.
  std::string default_rng_state;
  std::map<std::string, std::string> rng_states;
  std::map<std::string, std::string> user;  // free-form strings (config hash, run name, ...)
  // Exact resume (train/resume.h): the loop's position, running totals, epoch logs and callbacks' states, and the
  // callbacks' tensors (stored under "extra.<key>"). Empty in checkpoints that only hold weights and optimizers.
  Json training = Json::object();
  nn::StateDict extra_tensors;

  // default_rng_state = default_generator().get_state().
  void capture_default_rng();
  // default_generator().set_state(default_rng_state); an error if none was saved.
  void restore_default_rng() const;
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
// An error naming the file if it is not a valid safetensors file or not a Strata checkpoint.
Checkpoint load_checkpoint(const std::string& path);

// Whether a safetensors file's metadata marks it as a Strata checkpoint.
bool is_checkpoint(const Metadata& metadata);

// The newest (by modification time, then name) file "checkpoint*.safetensors" in `dir` that loads as a valid
// checkpoint (checksums verified), or "" when there is none. Corrupt or unreadable candidates are skipped; their
// errors are appended to `skipped` when given. For a run folder whose final model.safetensors was never written.
std::string find_latest_checkpoint(const std::string& dir, std::vector<std::string>* skipped = nullptr);

}  // namespace strata::io
