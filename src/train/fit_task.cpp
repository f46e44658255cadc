// fit_task / evaluate_task: the epoch loop of fit() for training tasks (task.h). The callbacks see the same
// TrainState and logs as under fit(), so progress bars, loggers, early stopping, checkpoints and the doctor
// work for every task.
#include <algorithm>
#include <optional>

#include "strata/autograd/autocast.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/train/task.h"
#include "train/loop_common.h"

namespace strata::train {

using detail::batch_size_of;
using detail::ModeGuard;

namespace {

// Batch-size-weighted running means of a task's values.
class Means {
 public:
  void add(const Logs& values, int64_t n) {
    for (const auto& [k, v] : values) {
      auto& [sum, count] = sums_[k];
      sum += v * static_cast<double>(n);
      count += n;
    }
  }
  void into(Logs& out) const {
    for (const auto& [k, sc] : sums_) out[k] = sc.second > 0 ? sc.first / static_cast<double>(sc.second) : 0.0;
  }
  Logs results() const {
    Logs out;
    into(out);
    return out;
  }
  void reset() { sums_.clear(); }
  // Data-parallel loops: the sums and counts of every process (their keys are the same: the same task runs).
  void sum_over(GradientSync& sync) {
    std::vector<double> flat;
    for (const auto& [k, sc] : sums_) {
      flat.push_back(sc.first);
      flat.push_back(static_cast<double>(sc.second));
    }
    sync.sum(flat);
    size_t i = 0;
    for (auto& [k, sc] : sums_) {
      sc.first = flat[i++];
      sc.second = static_cast<int64_t>(flat[i++]);
    }
  }
  // {"key": [sum, count], ...} for exact resume, and back.
  io::Json to_json() const {
    io::Json o = io::Json::object();
    for (const auto& [k, sc] : sums_) o.set(k, io::Json::array({detail::exact_number(sc.first), io::Json(sc.second)}));
    return o;
  }
  void from_json(const io::Json& j) {
    sums_.clear();
    for (const std::string& k : j.keys())
      sums_[k] = {detail::read_exact_number(j.at(k).at(size_t{0})), j.at(k).at(size_t{1}).as_int()};
  }

 private:
  std::map<std::string, std::pair<double, int64_t>> sums_;
};

}  // namespace

namespace {
Logs evaluate_task_impl(Task& task, data::DataLoader& loader, Precision precision, GradientSync* sync) {
  Means means;
  Logs values;
  {
    ModeGuard mode(task.module(), false);
    NoGradGuard no_grad;
    std::optional<AutocastGuard> autocast;
    if (precision != Precision::FP32) autocast.emplace(autocast_dtype(precision));
    const Device dev = detail::model_device(task.module());
    for (const data::Batch& host_batch : loader) {
      const data::Batch b = detail::batch_on(host_batch, dev);
      values.clear();
      task.eval_batch(b, values);
      means.add(values, batch_size_of(b));
    }
  }
  if (sync != nullptr) means.sum_over(*sync);
  Logs out = means.results();
  STRATA_CHECK(!out.empty(), "[evaluate_task] the loader has no batches");
  return out;
}
}  // namespace

Logs evaluate_task(Task& task, data::DataLoader& loader, Precision precision) {
  return evaluate_task_impl(task, loader, precision, nullptr);
}

History fit_task(Task& task, data::DataLoader& train_loader, const FitOptions& options, data::DataLoader* val_loader) {
  const std::string who = "[fit_task: " + task.name() + "]";
  nn::Module& model = task.module();
  optim::Optimizer& optimizer = task.optimizer();
  History history = detail::start_history(options);
  TrainState st = detail::start_state(who, options, model, optimizer, train_loader, val_loader, history);
  const int64_t batches = st.batches_per_epoch;
  const auto& callbacks = options.callbacks;
  const StepOptions step_opts = detail::step_options(options);
  task.begin(st, step_opts, options.accumulation_steps);
  Means means;
  double lr = 0;
  st.loop_state = [&] {
    return io::Json::object(
        {{"means", means.to_json()}, {"lr", detail::exact_number(lr)}, {"task", task.state_dict()}});
  };

  for (const CallbackPtr& cb : callbacks) cb->on_train_begin(st);
  detail::begin_resume(st, options, step_opts);
  if (options.resume)
    task.load_state_dict(options.resume->loop.contains("task") ? options.resume->loop.at("task") : io::Json::object());
  Logs values, batch_logs;
  for (int64_t epoch = st.epoch; epoch < options.epochs && !st.stop_training; ++epoch) {
    st.epoch = epoch;
    st.batch = 0;
    model.train();
    means.reset();
    lr = optimizer.param_groups().empty() ? 0.0 : optimizer.param_groups()[0].lr();
    const int64_t first = detail::resume_batch(options, epoch);
    if (first > 0) {
      if (!options.grad_sync || options.grad_sync->is_main()) means.from_json(options.resume->loop.at("means"));
      lr = detail::read_exact_number(options.resume->loop.at("lr"));
    }
    for (const CallbackPtr& cb : callbacks) cb->on_epoch_begin(st);
    st.loader_state = train_loader.generator().get_state();
    const Device dev = detail::model_device(model);
    for (auto it = train_loader.begin_at(first); it != train_loader.end(); ++it) {
      const data::Batch b = detail::batch_on(*it, dev);
      st.batch = it.index();
      st.optimizer_stepped = false;
      for (const CallbackPtr& cb : callbacks) cb->on_batch_begin(st);
      if (!optimizer.param_groups().empty()) lr = optimizer.param_groups()[0].lr();
      values.clear();
      if (options.grad_sync) options.grad_sync->add_examples(batch_size_of(b));
      st.optimizer_stepped = task.train_batch(b, st.batch, batches, values);
      const int64_t n = batch_size_of(b);
      means.add(values, n);
      ++st.batches_seen;
      st.samples_seen += n;
      means.into(batch_logs);
      batch_logs["batch_loss"] = values.count("loss") != 0 ? values.at("loss") : 0.0;
      batch_logs["size"] = static_cast<double>(n);
      batch_logs["lr"] = lr;
      for (const CallbackPtr& cb : callbacks) cb->on_batch_end(st, batch_logs);
      if (options.grad_sync) detail::agree_on_stop(st, *options.grad_sync);
      if (st.stop_training || st.interrupt) break;
    }
    if (st.interrupt) break;
    if (options.grad_sync) means.sum_over(*options.grad_sync);
    Logs epoch_logs = means.results();
    epoch_logs["lr"] = lr;
    if (val_loader != nullptr) {
      for (const auto& [key, value] : evaluate_task_impl(task, *val_loader, options.precision, options.grad_sync.get()))
        epoch_logs["val_" + key] = value;
    }
    for (const CallbackPtr& cb : callbacks) cb->on_epoch_end(st, epoch_logs);
    history.epochs.push_back(std::move(epoch_logs));
  }
  detail::end_state(st, options, history);
  return history;
}

}  // namespace strata::train
