#pragma once
// Transfer learning on a Module: load some of a pretrained state_dict and say what happened (load_weights),
// freeze parameters by name, and swap a submodule (a new classifier head).
//
// Name patterns: a pattern matches a whole dotted key ("0.weight", "features.3.bias"); '*' stands for any run
// of characters, dots included, and every other character matches itself. "fc.*" matches every key under
// fc, "6.*" every key of layer 6 of a Sequential, "*.bias" every bias, "0.weight" only that key.
//
//   auto model = build_model(...);                    // new head: Linear(84, 5) as layer "6"
//   nn::LoadOptions o;
//   o.skip = {"6.*"};                                 // the pretrained head has 10 outputs
//   nn::LoadReport r = nn::load_weights(*model, io::load_safetensors(path).tensors, o);
//   std::cout << nn::format(r);
//   nn::freeze(*model, {"0.*", "3.*"});               // train only the head
#include <string>
#include <utility>
#include <vector>

#include "strata/nn/module.h"

namespace strata::nn {

// True when `pattern` ('*' = any characters, dots included) matches the whole of `name`.
bool name_matches(const std::string& pattern, const std::string& name);
bool name_matches_any(const std::vector<std::string>& patterns, const std::string& name);

struct LoadOptions {
  // Keys to leave alone: matched against the model's names (after rename). A skipped key is neither loaded
  // nor reported missing or unexpected (file keys it matches are listed as skipped).
  std::vector<std::string> skip;
  // Prefix renames applied to the file's keys before matching: {"backbone.", "0."} turns "backbone.weight"
  // into "0.weight"; "" as the new prefix strips it. The longest matching prefix wins.
  std::vector<std::pair<std::string, std::string>> rename;
  // strict: a missing key, an unexpected key or a shape mismatch (outside `skip`) is an error naming the
  // keys, and nothing is loaded. Non-strict: those keys are left out and listed in the report.
  bool strict = false;
};

// What load_weights did, by key in the model's naming (file keys after rename).
struct LoadReport {
  struct Skipped {
    std::string key;
    std::string reason;  // "skip pattern '6.*'" or "shape (10, 84) in the file, (5, 84) in the model"
  };
  std::vector<std::string> loaded;      // copied into the model
  std::vector<Skipped> skipped;         // file keys left out by a skip pattern, or for their shape
  std::vector<std::string> missing;     // in the model, not in the file (they keep their initial values)
  std::vector<std::string> unexpected;  // in the file, not in the model
  std::vector<std::pair<std::string, std::string>> renamed;  // (file key, model key) where a rename applied
};

// Copies the entries of `state` that fit `module` (same key after rename, same shape) into the module's
// tensors, in place (optimizers keep pointing at them), and reports the rest. Shapes are checked before
// anything is copied. Errors: two file keys renamed onto one key; in strict mode, see LoadOptions::strict.
LoadReport load_weights(Module& module, const StateDict& state, const LoadOptions& options = {});

// A readable summary: counts, then each skipped, missing and unexpected key (loaded keys as a count only).
std::string format(const LoadReport& report);

// Sets requires_grad to false (freeze) or true (unfreeze) on the parameters whose names match a pattern, and
// returns their names. A pattern that matches no parameter is an error listing the model's names (a typo
// would otherwise freeze nothing). Batch norm layers follow: one whose parameters are all frozen (or, without
// affine parameters, whose running_mean matches a pattern) is marked frozen_eval, so it stays in evaluation
// mode and keeps its running statistics when the model trains; unfreeze clears the mark.
std::vector<std::string> freeze(Module& module, const std::vector<std::string>& patterns);
std::vector<std::string> unfreeze(Module& module, const std::vector<std::string>& patterns);

// Replaces the submodule at dotted path `path` ("6", "classifier.2") below `root` and returns the old one
// (see Module::replace_child). Errors name the part of the path that does not exist.
ModulePtr replace_module(Module& root, const std::string& path, ModulePtr module);

}  // namespace strata::nn
