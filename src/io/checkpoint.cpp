// Checkpoints as one safetensors file (see include/strata/io/checkpoint.h).
#include "strata/io/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/io/safetensors.h"

namespace strata::io {

namespace {
constexpr const char* kFormatKey = "format";
constexpr const char* kFormat = "strata.checkpoint";
constexpr const char* kStateKey = "strata.checkpoint";
constexpr int64_t kVersion = 1;
const std::string kModelPrefix = "model.";
const std::string kOptimPrefix = "optimizer.";
const std::string kExtraPrefix = "extra.";

Json string_map(const std::map<std::string, std::string>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j.set(k, v);
  return j;
}

std::map<std::string, std::string> read_string_map(const Json& j) {
  std::map<std::string, std::string> m;
  for (const auto& k : j.keys()) m[k] = j.at(k).as_string();
  return m;
}
}  // namespace

void Checkpoint::capture_default_rng() { default_rng_state = default_generator().get_state(); }

void Checkpoint::restore_default_rng() const {
  STRATA_CHECK(!default_rng_state.empty(), "[Checkpoint] no default generator state was saved");
  default_generator().set_state(default_rng_state);
}

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  nn::StateDict tensors;
  for (const auto& [k, t] : ckpt.model) tensors.insert(kModelPrefix + k, t);
  for (const auto& [k, t] : ckpt.optimizer_tensors) tensors.insert(kOptimPrefix + k, t);
  for (const auto& [k, t] : ckpt.extra_tensors) tensors.insert(kExtraPrefix + k, t);

  Json state = Json::object();
  state.set("version", kVersion);
  state.set("epoch", ckpt.epoch);
  state.set("step", ckpt.step);
  state.set("model_entries", static_cast<int64_t>(ckpt.model.size()));
  state.set("optimizer_entries", static_cast<int64_t>(ckpt.optimizer_tensors.size()));
  state.set("optimizer", ckpt.optimizer);
  state.set("scheduler", ckpt.scheduler);
  state.set("default_rng_state", ckpt.default_rng_state);
  state.set("rng_states", string_map(ckpt.rng_states));
  state.set("user", string_map(ckpt.user));
  if (ckpt.training.size() > 0 || ckpt.extra_tensors.size() > 0) {
    state.set("training", ckpt.training);
    state.set("extra_entries", static_cast<int64_t>(ckpt.extra_tensors.size()));
  }

  Metadata meta;
  meta[kFormatKey] = kFormat;
  meta[kStateKey] = state.dump();
  save_safetensors(path, tensors, meta);
}

bool is_checkpoint(const Metadata& metadata) {
  const auto fmt = metadata.find(kFormatKey);
  return fmt != metadata.end() && fmt->second == kFormat && metadata.contains(kStateKey);
}

std::string find_latest_checkpoint(const std::string& dir, std::vector<std::string>* skipped) {
  namespace fs = std::filesystem;
  std::vector<std::pair<fs::file_time_type, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string ext = ".safetensors";
    if (name.rfind("checkpoint", 0) != 0 || name.size() < ext.size() ||
        name.compare(name.size() - ext.size(), ext.size(), ext) != 0 || !e.is_regular_file(ec)) {
      continue;
    }
    found.emplace_back(e.last_write_time(ec), e.path().string());
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second > b.second; });
  for (const auto& [time, path] : found) {
    try {
      load_checkpoint(path);
      return path;
    } catch (const Error& e) {
      if (skipped) skipped->push_back(e.what());
    }
  }
  return "";
}

Checkpoint load_checkpoint(const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  STRATA_CHECK(is_checkpoint(file.metadata), path, ": not a Strata checkpoint (no \"", kStateKey, "\" metadata)");
  auto st = file.metadata.find(kStateKey);
  const Json state = parse_json(st->second, path + " (checkpoint metadata)");
  STRATA_CHECK(state.is_object(), path, ": checkpoint metadata must be a JSON object");
  const int64_t version = state.at("version").as_int();
  STRATA_CHECK(version == kVersion, path, ": checkpoint version ", version, " is not supported (expected ", kVersion,
               ")");

  Checkpoint ckpt;
  ckpt.epoch = state.at("epoch").as_int();
  ckpt.step = state.at("step").as_int();
  ckpt.optimizer = state.at("optimizer");
  ckpt.scheduler = state.at("scheduler");
  ckpt.default_rng_state = state.at("default_rng_state").as_string();
  ckpt.rng_states = read_string_map(state.at("rng_states"));
  ckpt.user = read_string_map(state.at("user"));
  if (const Json* t = state.find("training")) ckpt.training = *t;
  for (const auto& [k, t] : file.tensors) {
    if (k.compare(0, kModelPrefix.size(), kModelPrefix) == 0) {
      ckpt.model.insert(k.substr(kModelPrefix.size()), t);
    } else if (k.compare(0, kOptimPrefix.size(), kOptimPrefix) == 0) {
      ckpt.optimizer_tensors.insert(k.substr(kOptimPrefix.size()), t);
    } else if (k.compare(0, kExtraPrefix.size(), kExtraPrefix) == 0) {
      ckpt.extra_tensors.insert(k.substr(kExtraPrefix.size()), t);
    } else {
      STRATA_FAIL(path, ": unexpected tensor \"", k, "\" in a checkpoint");
    }
  }
  const int64_t nm = state.at("model_entries").as_int(), no = state.at("optimizer_entries").as_int();
  STRATA_CHECK(
      static_cast<int64_t>(ckpt.model.size()) == nm && static_cast<int64_t>(ckpt.optimizer_tensors.size()) == no, path,
      ": checkpoint lists ", nm, " model and ", no, " optimizer tensors but holds ", ckpt.model.size(), " and ",
      ckpt.optimizer_tensors.size());
  const Json* ne = state.find("extra_entries");
  const int64_t nx = ne != nullptr ? ne->as_int() : 0;
  STRATA_CHECK(static_cast<int64_t>(ckpt.extra_tensors.size()) == nx, path, ": checkpoint lists ", nx,
               " extra tensors but holds ", ckpt.extra_tensors.size());
  return ckpt;
}

}  // namespace strata::io
