// ModelCheckpoint: best and last weights as safetensors (atomic writes through io::save_safetensors).
#include <cmath>
#include <filesystem>
#include <limits>

#include "monitor.h"
#include "strata/core/error.h"
#include "strata/io/safetensors.h"
#include "strata/train/callbacks.h"

namespace strata::train {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ModelCheckpoint::ModelCheckpoint(std::string path, ModelCheckpointOptions options)
    : path_(std::move(path)), o_(std::move(options)) {
  STRATA_CHECK(!path_.empty(), "[ModelCheckpoint] the path is empty");
  STRATA_CHECK(o_.save_best || o_.save_last, "[ModelCheckpoint] save_best and save_last are both off");
  const std::string ext = ".safetensors";
  if (ends_with(path_, ext)) {
    best_path_ = path_;
    last_path_ = path_.substr(0, path_.size() - ext.size()) + ".last" + ext;
  } else {
    const std::filesystem::path dir(path_);
    best_path_ = (dir / "best.safetensors").string();
    last_path_ = (dir / "last.safetensors").string();
  }
  if (o_.save_best) max_ = monitor_mode_is_max(o_.mode, o_.monitor, "ModelCheckpoint");
}

void ModelCheckpoint::on_train_begin(TrainState&) {
  best_ = max_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_epoch_ = -1;
  const std::filesystem::path parent =
      ends_with(path_, ".safetensors") ? std::filesystem::path(path_).parent_path() : std::filesystem::path(path_);
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  STRATA_CHECK(!ec, "[ModelCheckpoint] cannot create the directory ", parent.string(), ": ", ec.message());
}

void ModelCheckpoint::on_epoch_end(TrainState& state, Logs& epoch_logs) {
  io::Metadata meta{{"epoch", std::to_string(state.epoch + 1)}, {"global_step", std::to_string(state.global_step)}};
  std::optional<nn::StateDict> weights;
  if (o_.save_best) {
    const double v = internal::monitored_value(epoch_logs, o_.monitor, "ModelCheckpoint");
    if (max_ ? v > best_ : v < best_) {  // nan never improves
      best_ = v;
      best_epoch_ = state.epoch;
      io::Metadata best_meta = meta;
      best_meta["monitor"] = o_.monitor;
      best_meta["value"] = internal::format_double(v);
      weights = state.model->state_dict();
      io::save_safetensors(best_path_, *weights, best_meta);
    }
  }
  if (o_.save_last) {
    if (!weights) weights = state.model->state_dict();
    io::save_safetensors(last_path_, *weights, meta);
  }
}

void ModelCheckpoint::save_state(io::Json& json, nn::StateDict& /*tensors*/) const {
  json.set("best", detail::exact_number(best_));
  json.set("best_epoch", best_epoch_);
}

void ModelCheckpoint::load_state(const io::Json& json, const nn::StateDict& /*tensors*/) {
  best_ = detail::read_exact_number(json.at("best"));
  best_epoch_ = json.at("best_epoch").as_int();
}

}  // namespace strata::train
