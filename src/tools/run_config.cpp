// Parsing and validation of the `strata` run config, and the loss / optimizer / schedule it describes.
#include "strata/tools/run_config.h"

#include <algorithm>
#include <cmath>

#include "strata/core/backends.h"
#include "strata/core/error.h"
#include "strata/data/transforms.h"
#include "strata/ops/creation.h"
#include "strata/optim/adam.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"
#include "strata/train/callbacks.h"
#include "tools/json_args.h"
#include "tools/transfer_config.h"

namespace strata::tools {

using io::Json;

namespace {

double number(const Json& o, const std::string& key, double fallback, double lo, double hi, bool lo_open = false) {
  const Json* v = o.find(key);
  if (!v) return fallback;
  const double d = v->as_double();
  const bool ok = (lo_open ? d > lo : d >= lo) && d <= hi && std::isfinite(d);
  STRATA_CHECK(ok, v->where(), ": expected a number in ", lo_open ? "(" : "[", lo, ", ", hi, "], got ", d);
  return d;
}

int64_t integer(const Json& o, const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  const Json* v = o.find(key);
  return v ? v->as_int(lo, hi) : fallback;
}

// A section given as "name" or {"type": "name", ...}: normalised to the object form, keeping the annotation.
Json section_object(const Json& v) {
  if (v.is_string()) {
    Json o = Json::object({{"type", v.as_string()}});
    o.annotate(v.source(), v.path());
    return o;
  }
  STRATA_CHECK(v.is_object(), v.where(), ": expected an object like {\"type\": ...} or a name, got ", v.type_name());
  (void)v.at("type").as_string();
  return v;
}

DataConfig parse_data(const Json& d, const std::string& task) {
  DataConfig c;
  STRATA_CHECK(d.is_object(), d.where(), ": expected an object, got ", d.type_name());
  c.dataset = choice(d, "dataset", "", {"fashion_mnist", "csv", "ring"});
  STRATA_CHECK(!c.dataset.empty(), d.where(), ": key \"dataset\" is missing (\"fashion_mnist\", \"csv\" or \"ring\")");
  if (c.dataset == "fashion_mnist") {
    d.check_keys({"dataset", "path", "validation_split", "limit_train", "limit_test", "subsample", "classes",
                  "per_class_limit", "pixels"});
    c.path = d.get_or("path", "");
    c.task = "classification";
    const char* fallback = task == "supervised" ? "standardized" : task == "gan" ? "signed" : "unit";
    c.pixels = choice(d, "pixels", fallback, {"standardized", "unit", "signed"});
  } else if (c.dataset == "ring") {
    d.check_keys({"dataset", "modes", "radius", "std", "size", "validation_split", "limit_train", "limit_test"});
    c.task = "classification";  // targets: the mode each point was drawn from
    c.ring_modes = integer(d, "modes", 8, 1, 1000);
    c.ring_radius = number(d, "radius", 2.0, 0.0, 1e6, true);
    c.ring_std = number(d, "std", 0.02, 0.0, 1e6, true);
    c.ring_size = integer(d, "size", 25600, 1, 100000000);
  } else {
    d.check_keys({"dataset", "train", "test", "label_column", "task", "standardize", "validation_split", "limit_train",
                  "limit_test", "subsample", "classes", "per_class_limit"});
    c.train_path = d.at("train").as_string();
    c.test_path = d.get_or("test", "");
    c.label_column = d.get_or("label_column", "");
    c.task = choice(d, "task", "classification", {"classification", "regression"});
    c.standardize = d.get_or("standardize", true);
  }
  c.validation_split = number(d, "validation_split", 0.0, 0.0, 0.9);
  c.limit_train = integer(d, "limit_train", 0, 0, INT64_MAX);
  c.limit_test = integer(d, "limit_test", 0, 0, INT64_MAX);
  if (const Json* k = d.find("classes")) {
    STRATA_CHECK(k->is_array() && k->size() > 0, k->where(), ": expected a non-empty list of class indices");
    for (const Json& x : k->elements()) c.classes.push_back(x.as_int(0, INT64_MAX));
    STRATA_CHECK(c.task == "classification", k->where(), ": choosing classes needs a classification task");
  }
  c.per_class_limit = integer(d, "per_class_limit", 0, 0, INT64_MAX);
  if (const Json* s = d.find("subsample")) {
    s->check_keys({"classes", "fraction"});
    const Json& cl = s->at("classes");
    STRATA_CHECK(cl.is_array() && cl.size() > 0, cl.where(), ": expected a non-empty list of class indices");
    for (const Json& k : cl.elements()) c.subsample_classes.push_back(k.as_int(0, INT64_MAX));
    c.subsample_fraction = number(*s, "fraction", 0.1, 0.0, 1.0, /*lo_open=*/true);
    STRATA_CHECK(c.task == "classification", s->where(), ": subsampling classes needs a classification task");
  }
  return c;
}

void check_loss(const Json& l) {
  const std::string type = choice(l, "type", "", {"cross_entropy", "focal", "nll", "mse", "l1", "bce_with_logits"});
  if (type == "cross_entropy") {
    l.check_keys({"type", "class_weights", "label_smoothing", "ignore_index"});
    (void)number(l, "label_smoothing", 0.0, 0.0, 1.0);
  } else if (type == "focal") {
    l.check_keys({"type", "gamma", "alpha", "ignore_index"});
    (void)number(l, "gamma", 2.0, 0.0, 100.0);
  } else if (type == "nll") {
    l.check_keys({"type", "class_weights", "ignore_index"});
  } else if (type == "bce_with_logits") {
    l.check_keys({"type", "pos_weight"});
  } else {
    l.check_keys({"type"});
  }
  for (const char* key : {"class_weights", "alpha"}) {
    if (const Json* w = l.find(key)) {
      if (w->is_string()) {
        STRATA_CHECK(w->as_string() == "balanced", w->where(), ": expected \"balanced\" or a list of numbers, got \"",
                     w->as_string(), "\"");
      } else {
        STRATA_CHECK(w->is_array(), w->where(), ": expected \"balanced\" or a list of numbers, got ", w->type_name());
        for (const Json& x : w->elements()) (void)x.as_double();
      }
    }
  }
}

const std::vector<std::string>& optimizer_keys(const std::string& type) {
  static const std::vector<std::string> sgd = {"type", "lr", "momentum", "dampening", "weight_decay", "nesterov"};
  static const std::vector<std::string> adam = {"type", "lr", "betas", "eps", "weight_decay", "amsgrad"};
  static const std::vector<std::string> rms = {"type", "lr", "alpha", "eps", "weight_decay", "momentum", "centered"};
  if (type == "sgd") return sgd;
  if (type == "rmsprop") return rms;
  return adam;
}

}  // namespace

RunConfig parse_run_config(const Json& json_in, const std::string& source) {
  RunConfig c;
  c.json = json_in;
  if (c.json.source().empty()) c.json.annotate(source);
  c.source = source;
  const Json& j = c.json;
  STRATA_CHECK(j.is_object(), j.where(), ": expected a JSON object, got ", j.type_name());
  // init_from, freeze, param_groups, unfreeze: the transfer keys (tools/transfer_config.h).
  j.check_keys({"name",
                "output_dir",
                "seed",
                "deterministic",
                "task",
                "model",
                "data",
                "loss",
                "optimizer",
                "schedule",
                "epochs",
                "batch_size",
                "eval_batch_size",
                "accumulation_steps",
                "checkpoint_every_steps",
                "keep_checkpoints",
                "clip_grad_norm",
                "clip_grad_value",
                "precision",
                "loss_scaling",
                "metrics",
                "early_stopping",
                "doctor",
                "distributed",
                "device",
                "description",
                "init_from",
                "freeze",
                "param_groups",
                "unfreeze"});
  c.name = j.get_or("name", "run");
  STRATA_CHECK(!c.name.empty() && c.name.find('/') == std::string::npos && c.name != "." && c.name != "..",
               j.at("name").where(), ": expected a plain folder name, got \"", c.name, "\"");
  c.output_dir = j.get_or("output_dir", "runs");
  c.seed = static_cast<uint64_t>(integer(j, "seed", 0, 0, INT64_MAX));
  c.deterministic = j.get_or("deterministic", false);
  c.task = parse_task_config(j.find("task"));
  c.model = j.at("model");
  STRATA_CHECK(c.model.is_object(), c.model.where(), ": expected an object with \"layers\" or \"architecture\"");
  c.data = parse_data(j.at("data"), c.task.type);
  if (!c.task.supervised()) {
    STRATA_CHECK(!j.contains("loss"), j.at("loss").where(), ": the ", c.task.type,
                 " task sets its own loss (see \"task\" in docs/cli.md); remove \"loss\"");
    STRATA_CHECK(!j.contains("metrics"), j.at("metrics").where(), ": the ", c.task.type,
                 " task logs its own values; remove \"metrics\"");
    if (!c.task.discriminator_optimizer.is_null()) {
      const Json o = section_object(c.task.discriminator_optimizer);
      const std::string type = choice(o, "type", "", {"sgd", "adam", "adamw", "rmsprop"});
      o.check_keys(optimizer_keys(type));
      c.task.discriminator_optimizer = o;
    }
  }
  c.loss =
      section_object(j.contains("loss") ? j.at("loss") : Json(c.data.task == "regression" ? "mse" : "cross_entropy"));
  if (!j.contains("loss")) c.loss.annotate(source, "loss");
  check_loss(c.loss);
  c.optimizer = section_object(j.contains("optimizer") ? j.at("optimizer") : Json("adam"));
  if (!j.contains("optimizer")) c.optimizer.annotate(source, "optimizer");
  {
    const std::string type = choice(c.optimizer, "type", "", {"sgd", "adam", "adamw", "rmsprop"});
    c.optimizer.check_keys(optimizer_keys(type));
  }
  if (const Json* d = j.find("doctor")) {
    STRATA_CHECK(d->is_object(), d->where(), ": expected an object like {\"period\": 10}, got ", d->type_name());
    d->check_keys({"period", "anomaly"});
    c.doctor.period = integer(*d, "period", 10, 1, INT64_MAX);
    if (const Json* a = d->find("anomaly")) c.doctor.anomaly = a->as_bool();
  }
  c.epochs = integer(j, "epochs", 1, 1, 1000000);
  c.batch_size = integer(j, "batch_size", 64, 1, INT64_MAX);
  c.eval_batch_size = integer(j, "eval_batch_size", 1000, 1, INT64_MAX);
  c.accumulation_steps = integer(j, "accumulation_steps", 1, 1, 1000000);
  c.checkpoint_every_steps = integer(j, "checkpoint_every_steps", 0, 0, INT64_MAX);
  c.keep_checkpoints = integer(j, "keep_checkpoints", 1, 1, 1000000);
  if (j.contains("clip_grad_norm") && !j.at("clip_grad_norm").is_null())
    c.clip_grad_norm = number(j, "clip_grad_norm", 1.0, 0.0, 1e30, true);
  if (j.contains("clip_grad_value") && !j.at("clip_grad_value").is_null())
    c.clip_grad_value = number(j, "clip_grad_value", 1.0, 0.0, 1e30, true);
  c.precision = train::parse_precision(choice(j, "precision", "fp32", {"fp32", "bf16", "fp16"}));
  if (const Json* ls = j.find("loss_scaling")) {
    STRATA_CHECK(ls->is_bool(), ls->where(), ": expected true or false, got ", ls->type_name());
    c.loss_scaling = ls->as_bool();
  }
  if (const Json* m = j.find("metrics")) {
    STRATA_CHECK(m->is_array(), m->where(), ": expected a list of metric names, got ", m->type_name());
    for (const Json& x : m->elements()) c.metrics.push_back(x.as_string());
  } else {
    c.metrics = {c.data.task == "regression" ? "mae" : "accuracy"};
    if (!c.task.supervised()) c.metrics.clear();
  }
  {
    // Values are checked by building the optimizer and schedule once on a stand-in parameter.
    Tensor stand_in = zeros({1}).requires_grad_();
    auto opt = build_optimizer(c.optimizer, {stand_in});
    if (const Json* s = j.find("schedule"); s && !s->is_null()) {
      c.schedule = section_object(*s);
      (void)build_schedule(c.schedule, *opt, c.epochs, 1);
    }
  }
  (void)parse_transfer_config(j);  // validates the transfer keys
  if (const Json* e = j.find("early_stopping"); e && !e->is_null()) {
    e->check_keys({"monitor", "mode", "patience", "min_delta", "restore_best_weights"});
    c.early_stopping.enabled = true;
    c.early_stopping.monitor = e->get_or("monitor", "val_loss");
    c.early_stopping.mode = choice(*e, "mode", "auto", {"auto", "min", "max"});
    c.early_stopping.patience = integer(*e, "patience", 3, 0, INT64_MAX);
    c.early_stopping.min_delta = number(*e, "min_delta", 0.0, 0.0, 1e30);
    c.early_stopping.restore_best_weights = e->get_or("restore_best_weights", true);
    STRATA_CHECK(c.early_stopping.monitor.rfind("val_", 0) != 0 || c.data.validation_split > 0, e->where(),
                 ": monitors \"", c.early_stopping.monitor, "\", which needs data.validation_split > 0");
  }
  if (const Json* d = j.find("distributed"); d && !d->is_null()) {
    d->check_keys({"sync_batch_norm", "bucket_cap_mb"});
    c.distributed.sync_batch_norm = d->get_or("sync_batch_norm", false);
    c.distributed.bucket_cap_mb = number(*d, "bucket_cap_mb", 25.0, 1e-6, 1e6);
  }
  if (const Json* d = j.find("device"); d && !d->is_null()) {
    STRATA_CHECK(d->is_string(), d->where(),
                 ": expected a device name (\"cpu\", \"ref\", \"cuda\" or \"cuda:N\"), got ", d->type_name());
    try {
      c.device = Device(d->as_string());
    } catch (const Error& e) {
      STRATA_FAIL(d->where(), ": ", e.what());
    }
    if (c.device.type == DeviceType::CUDA) {
      std::string why;
      const int n = cuda_device_count(&why);
      STRATA_CHECK(n > c.device.index, d->where(), ": \"", d->as_string(), "\" is not available here (",
                   n == 0 ? why : std::to_string(n) + " CUDA device" + (n == 1 ? "" : "s"), ")");
    }
    STRATA_CHECK(c.device.is_cpu() || c.task.supervised(), d->where(), ": the ", c.task.type,
                 " task trains on the CPU only so far");
  }
  return c;
}

RunConfig load_run_config(const std::string& path) { return parse_run_config(io::load_json_file(path), path); }

OneHotTargetLoss::OneHotTargetLoss(std::shared_ptr<nn::Loss> inner, int64_t num_classes)
    : inner_(std::move(inner)), num_classes_(num_classes) {
  STRATA_CHECK(inner_ != nullptr && num_classes > 0, "[OneHotTargetLoss] needs a loss and num_classes > 0, got ",
               num_classes);
}

Tensor OneHotTargetLoss::forward(const Tensor& input, const Tensor& target) const {
  const std::string nm = "[" + inner_->name() + " on one-hot class labels] ";
  STRATA_CHECK(input.dim() == 2 && input.size(1) == num_classes_, nm, "expected the model's output (N, ", num_classes_,
               ") (one column per class), got ", input.shape());
  STRATA_CHECK(target.dtype() == kInt64 && target.dim() == 1 && target.size(0) == input.size(0), nm,
               "expected int64 class labels (", input.size(0), "), got ", target.dtype(), " ", target.shape());
  return inner_->forward(input, data::one_hot_targets(target, num_classes_, input.dtype()));
}

Tensor dataset_targets(const data::Dataset& dataset) {
  Tensor idx = arange(static_cast<double>(dataset.size()), TensorOptions().with_dtype(kInt64));
  return dataset.get_batch(idx).target;
}

std::shared_ptr<nn::Loss> build_loss(const Json& spec_in, const Tensor& train_targets, int64_t num_classes) {
  const Json spec = section_object(spec_in);
  check_loss(spec);
  const std::string& type = spec.at("type").as_string();
  auto weights = [&](const char* key) -> Tensor {
    const Json* w = spec.find(key);
    if (!w) return Tensor();
    if (w->is_string()) {
      STRATA_CHECK(train_targets.defined() && num_classes > 0, w->where(),
                   ": \"balanced\" weights need class labels (a classification dataset)");
      return nn::compute_class_weights(train_targets, num_classes);
    }
    std::vector<float> v;
    for (const Json& x : w->elements()) v.push_back(static_cast<float>(x.as_double()));
    STRATA_CHECK(num_classes == 0 || static_cast<int64_t>(v.size()) == num_classes, w->where(), ": expected ",
                 num_classes, " weights (one per class), got ", v.size());
    return from_vector(v, {static_cast<int64_t>(v.size())});
  };
  const int64_t ignore = integer(spec, "ignore_index", -100, INT64_MIN, INT64_MAX);
  if (type == "cross_entropy") {
    return std::make_shared<nn::CrossEntropyLoss>(weights("class_weights"), ignore, Reduction::Mean,
                                                  number(spec, "label_smoothing", 0.0, 0.0, 1.0));
  }
  if (type == "focal") {
    return std::make_shared<nn::FocalLoss>(number(spec, "gamma", 2.0, 0.0, 100.0), weights("alpha"), Reduction::Mean,
                                           0.25, ignore);
  }
  if (type == "nll") return std::make_shared<nn::NLLLoss>(weights("class_weights"), ignore);
  if (type == "mse" || type == "l1") {
    std::shared_ptr<nn::Loss> l;
    if (type == "mse") {
      l = std::make_shared<nn::MSELoss>();
    } else {
      l = std::make_shared<nn::L1Loss>();
    }
    if (num_classes > 0) return std::make_shared<OneHotTargetLoss>(l, num_classes);
    return l;
  }
  Tensor pos;
  if (const Json* p = spec.find("pos_weight")) {
    std::vector<float> v;
    if (p->is_array()) {
      for (const Json& x : p->elements()) v.push_back(static_cast<float>(x.as_double()));
    } else {
      v.push_back(static_cast<float>(p->as_double()));
    }
    pos = from_vector(v, {static_cast<int64_t>(v.size())});
  }
  return std::make_shared<nn::BCEWithLogitsLoss>(Tensor(), Reduction::Mean, pos);
}

std::shared_ptr<optim::Optimizer> build_optimizer(const Json& spec_in, const TensorList& params) {
  const Json spec = section_object(spec_in);
  const std::string type = choice(spec, "type", "", {"sgd", "adam", "adamw", "rmsprop"});
  spec.check_keys(optimizer_keys(type));
  if (type == "sgd") {
    optim::SGDOptions o;
    o.lr = number(spec, "lr", 0.01, 0.0, 1e6, true);
    o.momentum = number(spec, "momentum", 0.0, 0.0, 1.0);
    o.dampening = number(spec, "dampening", 0.0, 0.0, 1.0);
    o.weight_decay = number(spec, "weight_decay", 0.0, 0.0, 1e6);
    o.nesterov = spec.get_or("nesterov", false);
    STRATA_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), spec.at("nesterov").where(),
                 ": nesterov needs momentum > 0 and dampening 0");
    return std::make_shared<optim::SGD>(params, o);
  }
  if (type == "rmsprop") {
    optim::RMSpropOptions o;
    o.lr = number(spec, "lr", 0.01, 0.0, 1e6, true);
    o.alpha = number(spec, "alpha", 0.99, 0.0, 1.0);
    o.eps = number(spec, "eps", 1e-8, 0.0, 1.0);
    o.weight_decay = number(spec, "weight_decay", 0.0, 0.0, 1e6);
    o.momentum = number(spec, "momentum", 0.0, 0.0, 1.0);
    o.centered = spec.get_or("centered", false);
    return std::make_shared<optim::RMSprop>(params, o);
  }
  optim::AdamOptions o;
  o.lr = number(spec, "lr", 1e-3, 0.0, 1e6, true);
  if (const Json* b = spec.find("betas")) {
    STRATA_CHECK(b->is_array() && b->size() == 2, b->where(), ": expected two numbers [beta1, beta2]");
    for (size_t i = 0; i < 2; ++i) {
      const double v = b->at(i).as_double();
      STRATA_CHECK(v >= 0 && v < 1, b->at(i).where(), ": expected a number in [0, 1), got ", v);
      (i == 0 ? o.beta1 : o.beta2) = v;
    }
  }
  o.eps = number(spec, "eps", 1e-8, 0.0, 1.0);
  o.weight_decay = number(spec, "weight_decay", type == "adamw" ? 1e-2 : 0.0, 0.0, 1e6);
  o.amsgrad = spec.get_or("amsgrad", false);
  if (type == "adamw") {
    return std::make_shared<optim::AdamW>(
        params, optim::AdamWOptions{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad});
  }
  return std::make_shared<optim::Adam>(params, o);
}

train::CallbackPtr build_schedule(const Json& spec_in, optim::Optimizer& opt, int64_t epochs, int64_t steps_per_epoch) {
  if (spec_in.is_null()) return nullptr;
  const Json spec = section_object(spec_in);
  const std::string type =
      choice(spec, "type", "", {"step", "multistep", "exponential", "cosine", "warmup", "onecycle", "plateau"});
  using Interval = train::LRSchedulerCallback::Interval;
  auto interval = [&]() {
    return choice(spec, "interval", "epoch", {"epoch", "step"}) == "step" ? Interval::Step : Interval::Epoch;
  };
  if (type == "step") {
    spec.check_keys({"type", "step_size", "gamma", "interval"});
    return std::make_shared<train::LRSchedulerCallback>(
        std::make_shared<optim::StepLR>(opt, spec.at("step_size").as_int(1, INT64_MAX),
                                        number(spec, "gamma", 0.1, 0.0, 1e6)),
        interval());
  }
  if (type == "multistep") {
    spec.check_keys({"type", "milestones", "gamma", "interval"});
    const Json& m = spec.at("milestones");
    STRATA_CHECK(m.is_array(), m.where(), ": expected a list of epochs");
    std::vector<int64_t> ms;
    for (const Json& x : m.elements()) ms.push_back(x.as_int(0, INT64_MAX));
    return std::make_shared<train::LRSchedulerCallback>(
        std::make_shared<optim::MultiStepLR>(opt, ms, number(spec, "gamma", 0.1, 0.0, 1e6)), interval());
  }
  if (type == "exponential") {
    spec.check_keys({"type", "gamma", "interval"});
    return std::make_shared<train::LRSchedulerCallback>(
        std::make_shared<optim::ExponentialLR>(opt, spec.at("gamma").as_double()), interval());
  }
  if (type == "cosine") {
    spec.check_keys({"type", "t_max", "eta_min", "interval"});
    const Interval iv = interval();
    const int64_t t_max =
        integer(spec, "t_max", iv == Interval::Step ? epochs * steps_per_epoch : epochs, 1, INT64_MAX);
    return std::make_shared<train::LRSchedulerCallback>(
        std::make_shared<optim::CosineAnnealingLR>(opt, t_max, number(spec, "eta_min", 0.0, 0.0, 1e6)), iv);
  }
  if (type == "warmup") {
    spec.check_keys({"type", "start_factor", "end_factor", "total_iters", "interval"});
    return std::make_shared<train::LRSchedulerCallback>(
        std::make_shared<optim::LinearLR>(opt, number(spec, "start_factor", 1.0 / 3, 0.0, 1.0, true),
                                          number(spec, "end_factor", 1.0, 0.0, 1.0),
                                          integer(spec, "total_iters", 5, 0, INT64_MAX)),
        interval());
  }
  if (type == "onecycle") {
    spec.check_keys({"type", "max_lr", "pct_start", "div_factor", "final_div_factor"});
    optim::OneCycleOptions o;
    o.total_steps = epochs * steps_per_epoch;
    o.pct_start = number(spec, "pct_start", 0.3, 0.0, 1.0, true);
    o.div_factor = number(spec, "div_factor", 25.0, 0.0, 1e9, true);
    o.final_div_factor = number(spec, "final_div_factor", 1e4, 0.0, 1e12, true);
    return std::make_shared<train::LRSchedulerCallback>(
        std::make_shared<optim::OneCycleLR>(opt, number(spec, "max_lr", opt.param_groups()[0].lr(), 0.0, 1e6, true), o),
        Interval::Step);
  }
  spec.check_keys({"type", "monitor", "mode", "factor", "patience", "min_lr"});
  optim::ReduceLROnPlateauOptions o;
  o.mode = choice(spec, "mode", "min", {"min", "max"});
  o.factor = number(spec, "factor", 0.1, 0.0, 1.0, true);
  o.patience = integer(spec, "patience", 10, 0, INT64_MAX);
  o.min_lr = number(spec, "min_lr", 0.0, 0.0, 1e6);
  return std::make_shared<train::LRSchedulerCallback>(std::make_shared<optim::ReduceLROnPlateau>(opt, o),
                                                      spec.get_or("monitor", "val_loss"));
}

}  // namespace strata::tools
