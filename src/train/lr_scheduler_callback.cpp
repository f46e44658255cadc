// LRSchedulerCallback: steps an epoch or per-step scheduler, or a ReduceLROnPlateau on a monitored value.
#include "monitor.h"
#include "strata/core/error.h"
#include "strata/train/callbacks.h"

namespace strata::train {

LRSchedulerCallback::LRSchedulerCallback(std::shared_ptr<optim::LRScheduler> scheduler, Interval interval)
    : scheduler_(std::move(scheduler)), interval_(interval) {
  STRATA_CHECK(scheduler_ != nullptr, "[LRSchedulerCallback] the scheduler is null");
}

LRSchedulerCallback::LRSchedulerCallback(std::shared_ptr<optim::ReduceLROnPlateau> plateau, std::string monitor)
    : plateau_(std::move(plateau)), monitor_(std::move(monitor)) {
  STRATA_CHECK(plateau_ != nullptr, "[LRSchedulerCallback] the ReduceLROnPlateau scheduler is null");
}

void LRSchedulerCallback::on_batch_end(TrainState& state, const Logs&) {
  // Per-step schedulers advance once per optimizer step, not per accumulated micro-batch.
  if (scheduler_ && interval_ == Interval::Step && state.optimizer_stepped) scheduler_->step();
}

void LRSchedulerCallback::on_epoch_end(TrainState&, Logs& epoch_logs) {
  if (scheduler_ && interval_ == Interval::Epoch) scheduler_->step();
  if (plateau_) plateau_->step(internal::monitored_value(epoch_logs, monitor_, "LRSchedulerCallback"));
}

void LRSchedulerCallback::save_state(io::Json& json, nn::StateDict& /*tensors*/) const {
  const optim::SchedulerState s = scheduler_ ? scheduler_->state_dict() : plateau_->state_dict();
  json.set("name", s.name);
  io::Json values = io::Json::object();
  for (const auto& [k, v] : s.values) values.set(k, detail::exact_number(v));
  json.set("values", values);
  io::Json lists = io::Json::object();
  for (const auto& [k, l] : s.lists) {
    io::Json a = io::Json::array();
    for (double v : l) a.push_back(detail::exact_number(v));
    lists.set(k, a);
  }
  json.set("lists", lists);
}

void LRSchedulerCallback::load_state(const io::Json& json, const nn::StateDict& /*tensors*/) {
  optim::SchedulerState s;
  s.name = json.at("name").as_string();
  const io::Json& values = json.at("values");
  for (const std::string& k : values.keys()) s.values[k] = detail::read_exact_number(values.at(k));
  const io::Json& lists = json.at("lists");
  for (const std::string& k : lists.keys()) {
    std::vector<double>& l = s.lists[k];
    for (const io::Json& v : lists.at(k).elements()) l.push_back(detail::read_exact_number(v));
  }
  if (scheduler_) {
    scheduler_->load_state_dict(s);
  } else {
    plateau_->load_state_dict(s);
  }
}

}  // namespace strata::train
