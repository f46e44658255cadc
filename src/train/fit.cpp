// The training loop: fit (epochs of micro-batches, gradient accumulation, clipping, callbacks, validation),
// evaluate and predict. Per batch the loop allocates no tensors of its own: the losses and metrics are read
// as scalars into a reused Logs map.
#include "strata/train/fit.h"

#include <algorithm>
#include <optional>

#include "strata/autograd/autocast.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/profile.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/train/step.h"
#include "train/loop_common.h"

namespace strata::train {

void Callback::on_train_begin(TrainState&) {}
void Callback::on_epoch_begin(TrainState&) {}
void Callback::on_batch_begin(TrainState&) {}
void Callback::on_batch_end(TrainState&, const Logs&) {}
void Callback::on_epoch_end(TrainState&, Logs&) {}
void Callback::on_train_end(TrainState&) {}
void Callback::on_after_backward(TrainState&) {}
void Callback::on_before_step(TrainState&) {}

std::vector<double> History::values(const std::string& key) const {
  std::vector<double> out;
  out.reserve(epochs.size());
  for (size_t i = 0; i < epochs.size(); ++i) {
    auto it = epochs[i].find(key);
    STRATA_CHECK(it != epochs[i].end(), "[History] epoch ", initial_epoch + static_cast<int64_t>(i) + 1,
                 " has no value \"", key, "\"");
    out.push_back(it->second);
  }
  return out;
}

using detail::batch_size_of;
using detail::ModeGuard;

namespace {

// Binary accuracy thresholds logits at 0 for the losses that take logits, probabilities at 0.5 otherwise.
double binary_threshold_for(const nn::Loss& loss) {
  const std::string n = loss.name();
  return n == "BCEWithLogitsLoss" || n == "FocalLoss" ? 0.0 : 0.5;
}

Logs evaluate_impl(nn::Module& model, const nn::Loss& loss, data::DataLoader& loader,
                   const std::vector<std::string>& metrics, double threshold, const char* who, Precision precision,
                   GradientSync* sync = nullptr) {
  MetricAccumulator acc(metrics, threshold);
  {
    ModeGuard mode(model, false);
    NoGradGuard no_grad;
    std::optional<AutocastGuard> autocast;  // BF16 / FP16; FP32 leaves the caller's autocast state as it is
    if (precision != Precision::FP32) autocast.emplace(autocast_dtype(precision));
    const Device dev = detail::model_device(model);
    for (const data::Batch& host_batch : loader) {
      const data::Batch b = detail::batch_on(host_batch, dev);
      STRATA_CHECK(b.target.defined(), "[", who, "] the loader's batches have no target");
      Tensor out = model(b.input);
      Tensor l = loss(out, b.target);
      acc.update(out, b.target, l.item(), batch_size_of(b));
    }
  }
  if (sync != nullptr) detail::sum_totals(acc, *sync);  // every process's share of the loader
  STRATA_CHECK(acc.samples() > 0, "[", who, "] the loader has no batches");
  return acc.results();
}

}  // namespace

Logs evaluate(nn::Module& model, const nn::Loss& loss, data::DataLoader& loader,
              const std::vector<std::string>& metrics, Precision precision) {
  return evaluate_impl(model, loss, loader, metrics, binary_threshold_for(loss), "evaluate", precision);
}

Tensor predict(nn::Module& model, data::DataLoader& loader, Precision precision) {
  TensorList outputs;
  outputs.reserve(static_cast<size_t>(std::max<int64_t>(0, loader.size())));
  {
    ModeGuard mode(model, false);
    NoGradGuard no_grad;
    std::optional<AutocastGuard> autocast;  // BF16 / FP16; FP32 leaves the caller's autocast state as it is
    if (precision != Precision::FP32) autocast.emplace(autocast_dtype(precision));
    const Device dev = detail::model_device(model);
    for (const data::Batch& b : loader) outputs.push_back(model(detail::batch_on(b, dev).input));
  }
  STRATA_CHECK(!outputs.empty(), "[predict] the loader has no batches");
  if (outputs.size() == 1) return outputs[0];
  return cat(outputs, 0);
}

History fit(nn::Module& model, const nn::Loss& loss, optim::Optimizer& optimizer, data::DataLoader& train_loader,
            const FitOptions& options, data::DataLoader* val_loader) {
  History history = detail::start_history(options);
  TrainState st = detail::start_state("[fit]", options, model, optimizer, train_loader, val_loader, history);
  st.loss = &loss;
  const int64_t batches = st.batches_per_epoch;
  const double threshold = binary_threshold_for(loss);
  MetricAccumulator acc(options.metrics, threshold);  // also validates the metric names up front
  const auto& callbacks = options.callbacks;
  const int64_t n_acc = options.accumulation_steps;
  const StepOptions step_opts = detail::step_options(options);
  Stepper stepper(st, step_opts);
  double lr = 0;
  st.loop_state = [&] { return detail::totals_json(acc.totals(), lr); };

  for (const CallbackPtr& cb : callbacks) cb->on_train_begin(st);
  detail::begin_resume(st, options, step_opts);
  Logs batch_logs;
  for (int64_t epoch = st.epoch; epoch < options.epochs && !st.stop_training; ++epoch) {
    st.epoch = epoch;
    st.batch = 0;
    model.train();
    acc.reset();
    lr = optimizer.param_groups().empty() ? 0.0 : optimizer.param_groups()[0].lr();
    // A resumed run continues its first epoch where the checkpoint was taken, with the epoch's totals so far.
    const int64_t first = detail::resume_batch(options, epoch);
    if (first > 0) {
      const std::vector<double> saved = detail::read_totals(options.resume->loop, lr);
      if (!options.grad_sync || options.grad_sync->is_main()) acc.set_totals(saved);
    }
    for (const CallbackPtr& cb : callbacks) cb->on_epoch_begin(st);

    int64_t group_size = 0, in_group = 0;
    st.loader_state = train_loader.generator().get_state();
    // "data" is timed from the end of the previous batch to here: the loader's ++it, begin_at and *it.
    int64_t data_from = profile::active() != nullptr ? profile::now_ns() : 0;
    const Device dev = detail::model_device(model);
    for (auto it = train_loader.begin_at(first); it != train_loader.end(); ++it) {
      const data::Batch b = detail::batch_on(*it, dev);
      if (profile::Collector* c = profile::active())
        c->add(profile::Kind::Phase, "data", profile::now_ns() - data_from);
      st.batch = it.index();
      st.optimizer_stepped = false;
      if (in_group == 0) {
        // The last group of the epoch may be shorter; its micro-batches are scaled by its own count.
        group_size = std::min(n_acc, std::max<int64_t>(1, batches - st.batch));
      }
      for (const CallbackPtr& cb : callbacks) cb->on_batch_begin(st);

      STRATA_CHECK(b.target.defined(), "[fit] the training loader's batches have no target");
      Tensor out;
      if (options.grad_sync) options.grad_sync->add_examples(batch_size_of(b));
      const double loss_value = stepper.accumulate(
          [&] {
            out = model(b.input);
            Tensor l = loss(out, b.target);
            STRATA_CHECK(l.numel() == 1, "[fit] the loss must be a scalar, got shape ", l.shape(), " from ",
                         loss.name(), " (use a mean or sum reduction)");
            return l;
          },
          group_size);

      if (++in_group == group_size) {
        if (!optimizer.param_groups().empty()) lr = optimizer.param_groups()[0].lr();
        const StepResult r = stepper.step();
        if (r.grad_norm) batch_logs["grad_norm"] = *r.grad_norm;
        in_group = 0;
        st.optimizer_stepped = true;
      }

      std::optional<profile::Scope> prof(std::in_place, profile::Kind::Phase, "batch end");
      const int64_t n = batch_size_of(b);
      acc.update(out, b.target, loss_value, n);
      ++st.batches_seen;
      st.samples_seen += n;
      acc.results_into(batch_logs);
      batch_logs["batch_loss"] = loss_value;
      batch_logs["size"] = static_cast<double>(n);
      batch_logs["lr"] = lr;
      for (const CallbackPtr& cb : callbacks) cb->on_batch_end(st, batch_logs);
      prof.reset();
      if (profile::active() != nullptr) data_from = profile::now_ns();
      if (options.grad_sync) detail::agree_on_stop(st, *options.grad_sync);
      if (st.stop_training || st.interrupt) break;
    }
    if (st.interrupt) break;

    if (options.grad_sync) detail::sum_totals(acc, *options.grad_sync);
    Logs epoch_logs = acc.results();
    epoch_logs["lr"] = lr;
    if (val_loader != nullptr) {
      const Logs val = evaluate_impl(model, loss, *val_loader, options.metrics, threshold, "fit: validation",
                                     options.precision, options.grad_sync.get());
      for (const auto& [key, value] : val) epoch_logs["val_" + key] = value;
    }
    for (const CallbackPtr& cb : callbacks) cb->on_epoch_end(st, epoch_logs);
    history.epochs.push_back(std::move(epoch_logs));
  }
  detail::end_state(st, options, history);
  return history;
}

}  // namespace strata::train
