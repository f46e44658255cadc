// Exact resume (resume.h): what a checkpoint must hold for a run to continue bit-identically, and putting it back.
#include "strata/train/resume.h"

#include <cmath>
#include <limits>
#include <map>

#include "strata/core/error.h"
#include "strata/core/generator.h"

namespace strata::train {

namespace {

constexpr int64_t kTrainingVersion = 1;

// "state.<param>.<name>" under `prefix`: the layout CheckpointWriter has always used for the main optimizer.
void save_optimizer(const optim::Optimizer& opt, const std::string& prefix, io::Json& json, nn::StateDict& tensors) {
  const optim::OptimizerState os = opt.state_dict();
  io::Json groups = io::Json::array();
  for (const auto& g : os.groups) {
    io::Json o = io::Json::object();
    for (const auto& [k, v] : g) o.set(k, detail::exact_number(v));
    groups.push_back(o);
  }
  json.set("name", os.name);
  json.set("groups", groups);
  json.set("params", static_cast<int64_t>(os.state.size()));
  for (size_t i = 0; i < os.state.size(); ++i) {
    for (const auto& [k, t] : os.state[i]) tensors.insert(prefix + "state." + std::to_string(i) + "." + k, t);
  }
}

// The StatefulCallbacks of `callbacks` with their keys ("early_stopping", a repeated key as "early_stopping#2").
std::vector<std::pair<std::string, StatefulCallback*>> stateful(const std::vector<CallbackPtr>& callbacks) {
  std::vector<std::pair<std::string, StatefulCallback*>> out;
  std::map<std::string, int> seen;
  for (const CallbackPtr& cb : callbacks) {
    auto* s = dynamic_cast<StatefulCallback*>(cb.get());
    if (s == nullptr) continue;
    std::string key = s->state_key();
    const int n = ++seen[key];
    if (n > 1) key.append(1, '#').append(std::to_string(n));
    out.emplace_back(key, s);
  }
  return out;
}

io::Json logs_json(const Logs& logs) {
  io::Json o = io::Json::object();
  for (const auto& [k, v] : logs) o.set(k, detail::exact_number(v));
  return o;
}

}  // namespace

namespace detail {

io::Json exact_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double read_exact_number(const io::Json& j) {
  if (j.is_string()) {
    const std::string& s = j.as_string();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    STRATA_FAIL(j.where(), ": expected a number, \"nan\", \"inf\" or \"-inf\", got \"", s, "\"");
  }
  return j.as_double();
}

}  // namespace detail

optim::OptimizerState checkpoint_optimizer_state(const io::Checkpoint& ckpt, const std::string& name) {
  const io::Json* j = &ckpt.optimizer;
  std::string prefix;
  if (!name.empty()) {
    j = ckpt.optimizer.find(name);
    STRATA_CHECK(j != nullptr, "[resume] the checkpoint holds no optimizer \"", name, "\"");
    prefix = name + ".";
  }
  optim::OptimizerState os;
  os.name = j->at("name").as_string();
  for (const io::Json& g : j->at("groups").elements()) {
    optim::Options o;
    for (const std::string& k : g.keys()) o[k] = detail::read_exact_number(g.at(k));
    os.groups.push_back(std::move(o));
  }
  // Older checkpoints have no "params": count from the groups' "params" entries.
  int64_t params = 0;
  if (const io::Json* p = j->find("params")) {
    params = p->as_int();
  } else {
    for (const auto& g : os.groups) params += static_cast<int64_t>(g.at("params"));
  }
  os.state.resize(static_cast<size_t>(params));
  const std::string state_prefix = prefix + "state.";
  for (const auto& [k, t] : ckpt.optimizer_tensors) {
    if (k.compare(0, state_prefix.size(), state_prefix) != 0) continue;
    const std::string rest = k.substr(state_prefix.size());
    const size_t dot = rest.find('.');
    if (dot == std::string::npos || rest.find_first_not_of("0123456789") != dot) continue;  // another optimizer's
    const size_t i = std::stoul(rest.substr(0, dot));
    STRATA_CHECK(i < os.state.size(), "[resume] optimizer state \"", k, "\" is for parameter ", i, " of ",
                 os.state.size());
    os.state[i][rest.substr(dot + 1)] = t;
  }
  return os;
}

void capture_training_state(const TrainState& st, const std::vector<CallbackPtr>& callbacks, const Logs* epoch_logs,
                            const NamedOptimizers& optimizers, io::Checkpoint& c) {
  const bool at_epoch_end = epoch_logs != nullptr;
  STRATA_CHECK(st.model != nullptr, "[capture_training_state] the state has no model");
  STRATA_CHECK(at_epoch_end || st.optimizer_stepped,
               "[capture_training_state] mid-epoch checkpoints are taken after an optimizer step "
               "(on_batch_end with optimizer_stepped), not inside an accumulation group");
  c.model = st.model->state_dict();
  for (const auto& [name, opt] : optimizers) {
    STRATA_CHECK(opt != nullptr, "[capture_training_state] optimizer \"", name, "\" is null");
    if (name.empty()) {
      save_optimizer(*opt, "", c.optimizer, c.optimizer_tensors);
    } else {
      io::Json o = io::Json::object();
      save_optimizer(*opt, name + ".", o, c.optimizer_tensors);
      c.optimizer.set(name, o);
    }
  }
  c.epoch = at_epoch_end ? st.epoch + 1 : st.epoch;
  c.step = st.global_step;
  c.capture_default_rng();

  io::Json t = io::Json::object();
  t.set("version", kTrainingVersion);
  t.set("epoch", c.epoch);
  t.set("batch", at_epoch_end ? int64_t{0} : st.batch + 1);
  t.set("batches_per_epoch", st.batches_per_epoch);
  t.set("global_step", st.global_step);
  t.set("skipped_steps", st.skipped_steps);
  t.set("stopped", st.stop_training);
  // At an epoch end the generator has drawn this epoch's order already: its state now starts the next epoch.
  std::string loader;
  if (st.train_loader != nullptr) loader = at_epoch_end ? st.train_loader->generator().get_state() : st.loader_state;
  t.set("loader_state", loader);
  t.set("loop", st.loop_state ? st.loop_state() : io::Json::object());
  io::Json history = io::Json::array();
  if (st.history != nullptr) {
    for (const Logs& l : st.history->epochs) history.push_back(logs_json(l));
  }
  if (at_epoch_end) history.push_back(logs_json(*epoch_logs));
  t.set("history", history);
  t.set("history_initial_epoch", st.history != nullptr ? st.history->initial_epoch : c.epoch - history.size());
  io::Json cbs = io::Json::object();
  for (const auto& [key, cb] : stateful(callbacks)) {
    io::Json j = io::Json::object();
    nn::StateDict tensors;
    cb->save_state(j, tensors);
    for (const auto& [k, v] : tensors) c.extra_tensors.insert(key + "." + k, v);
    cbs.set(key, j);
  }
  t.set("callbacks", cbs);
  if (const io::Json* sched = cbs.find("lr_scheduler")) c.scheduler = *sched;  // readable where users look
  c.training = t;
}

bool can_resume(const io::Checkpoint& ckpt) { return ckpt.training.contains("loader_state"); }

std::shared_ptr<ResumeState> read_resume_state(const io::Checkpoint& ckpt, nn::Module& model,
                                               const NamedOptimizers& optimizers, const std::string& source) {
  STRATA_CHECK(can_resume(ckpt), source,
               ": this checkpoint holds weights and optimizer state but no training position (it was written "
               "before exact resume existed), so a run cannot resume from it");
  const io::Json& t = ckpt.training;
  const int64_t version = t.at("version").as_int();
  STRATA_CHECK(version == kTrainingVersion, source, ": training state version ", version,
               " is not supported (expected ", kTrainingVersion, ")");
  try {
    model.load_state_dict(ckpt.model, /*strict=*/true);
  } catch (const Error& e) {
    STRATA_FAIL(source, ": the checkpoint's weights do not fit the model: ", e.what());
  }
  auto rs = std::make_shared<ResumeState>();
  rs->epoch = t.at("epoch").as_int();
  rs->batch = t.at("batch").as_int();
  rs->global_step = t.at("global_step").as_int();
  rs->skipped_steps = t.at("skipped_steps").as_int();
  rs->loader_state = t.at("loader_state").as_string();
  rs->default_rng_state = ckpt.default_rng_state;
  rs->loop = t.at("loop");
  rs->callbacks = t.at("callbacks");
  rs->callback_tensors = ckpt.extra_tensors;
  rs->history_initial_epoch = t.at("history_initial_epoch").as_int();
  for (const io::Json& h : t.at("history").elements()) {
    Logs l;
    for (const std::string& k : h.keys()) l[k] = detail::read_exact_number(h.at(k));
    rs->history.push_back(std::move(l));
  }
  for (const auto& [name, opt] : optimizers) {
    STRATA_CHECK(opt != nullptr, "[read_resume_state] optimizer \"", name, "\" is null");
    optim::OptimizerState os = checkpoint_optimizer_state(ckpt, name);
    STRATA_CHECK(os.name == opt->name(), source, ": the checkpoint's ", name.empty() ? "" : name + " ", "optimizer is ",
                 os.name, ", the run's is ", opt->name());
    rs->optimizers.emplace_back(opt, std::move(os));
  }
  return rs;
}

namespace detail {

void apply_resume_state(TrainState& st, const ResumeState& rs, const std::vector<CallbackPtr>& callbacks) {
  for (const auto& [opt, os] : rs.optimizers) {
    try {
      opt->load_state_dict(os);
    } catch (const Error& e) {
      STRATA_FAIL("[resume] the checkpoint's ", os.name, " state does not fit the run's optimizer: ", e.what());
    }
  }
  for (const auto& [key, cb] : stateful(callbacks)) {
    const io::Json* j = rs.callbacks.find(key);
    STRATA_CHECK(j != nullptr, "[resume] the checkpoint holds no state for the callback \"", key,
                 "\" (the run's callbacks differ from the checkpointed run's)");
    nn::StateDict tensors;
    const std::string prefix = key + ".";
    for (const auto& [k, v] : rs.callback_tensors) {
      if (k.compare(0, prefix.size(), prefix) == 0) tensors.insert(k.substr(prefix.size()), v);
    }
    cb->load_state(*j, tensors);
  }
  if (!rs.loader_state.empty() && st.train_loader != nullptr) st.train_loader->generator().set_state(rs.loader_state);
  if (!rs.default_rng_state.empty()) default_generator().set_state(rs.default_rng_state);
  st.global_step = rs.global_step;
  st.skipped_steps = rs.skipped_steps;
}

}  // namespace detail

}  // namespace strata::train
