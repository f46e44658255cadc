// The doctor's mechanical remedies: each finding id maps to edits of the run config (JSON), each edit
// described in words so that `strata doctor --fix` can say exactly what it changed.
#include "tools/doctor_fix.h"

#include <algorithm>
#include <cstdio>

namespace strata::tools {

using io::Json;

namespace {

Json* find_mut(Json& o, const std::string& key) { return o.is_object() && o.contains(key) ? &o.at(key) : nullptr; }

// The object without `key` (Json has no erase).
void erase_key(Json& o, const std::string& key) {
  if (!o.is_object() || !o.contains(key)) return;
  Json copy = Json::object();
  for (const std::string& k : o.keys()) {
    if (k != key) copy.set(k, o.at(k));
  }
  o = copy;
}

void erase_last(Json& a) {
  Json copy = Json::array();
  for (size_t i = 0; i + 1 < a.size(); ++i) copy.push_back(a.at(i));
  a = copy;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Every layer object of the model's "layers" list, nested Sequential lists included.
void collect_layers(Json& layers, std::vector<Json*>& out) {
  if (!layers.is_array()) return;
  for (size_t i = 0; i < layers.size(); ++i) {
    Json& l = layers.at(i);
    if (!l.is_object()) continue;
    out.push_back(&l);
    if (Json* inner = find_mut(l, "layers")) collect_layers(*inner, out);
  }
}

std::vector<Json*> layers_of(Json& model) {
  std::vector<Json*> out;
  if (Json* l = find_mut(model, "layers")) collect_layers(*l, out);
  return out;
}

// Replaces activation layers of the `from` types by `to` (in layer lists and in the mlp architecture).
int replace_activation(Json& model, const std::vector<std::string>& from, const std::string& to) {
  int n = 0;
  if (const Json* a = model.find("activation")) {
    if (std::find(from.begin(), from.end(), a->as_string()) != from.end()) {
      model.set("activation", to);
      ++n;
    }
  }
  for (Json* l : layers_of(model)) {
    const Json* t = l->find("type");
    if (t && t->is_string() && std::find(from.begin(), from.end(), t->as_string()) != from.end()) {
      Json repl = Json::object();
      repl.set("type", to);
      *l = repl;
      ++n;
    }
  }
  return n;
}

bool has_activation(Json& model, const std::string& type) {
  if (const Json* a = model.find("activation"); a && a->as_string() == type) return true;
  for (Json* l : layers_of(model)) {
    if (const Json* t = l->find("type"); t && t->is_string() && t->as_string() == type) return true;
  }
  return false;
}

// The model's initialisation: He for ReLU-family nets, Xavier otherwise; per-layer "init" keys removed.
std::string set_random_init(Json& model) {
  // Children come after their parents in the list: erase from the back so no pointer outlives its copy.
  std::vector<Json*> layers = layers_of(model);
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) erase_key(**it, "init");
  const bool relu = !has_activation(model, "Sigmoid") && !has_activation(model, "Tanh");
  Json init = Json::object();
  if (relu) {
    init.set("weight", "kaiming_normal");
    init.set("nonlinearity", "relu");
  } else {
    init.set("weight", "xavier_normal");
  }
  init.set("bias", "zeros");
  model.set("init", init);
  return relu ? "He (kaiming_normal, relu) initialization" : "Xavier (xavier_normal) initialization";
}

double lr_of(const Json& cfg) {
  const Json* o = cfg.find("optimizer");
  if (o && o->is_object()) {
    if (const Json* lr = o->find("lr")) return lr->as_double();
  }
  return 1e-3;  // build_optimizer's default
}

std::string optimizer_type(const Json& cfg) {
  const Json* o = cfg.find("optimizer");
  if (!o) return "adam";
  if (o->is_string()) return o->as_string();
  const Json* t = o->find("type");
  return t ? t->as_string() : "adam";
}

void set_lr(Json& cfg, double lr) {
  Json* o = find_mut(cfg, "optimizer");
  if (!o || o->is_string()) {
    Json obj = Json::object();
    obj.set("type", optimizer_type(cfg));
    cfg.set("optimizer", obj);
    o = find_mut(cfg, "optimizer");
  }
  o->set("lr", lr);
}

}  // namespace

std::vector<std::string> apply_fixes(Json& cfg, const std::vector<std::string>& ids) {
  std::vector<std::string> changes;
  auto has = [&](const char* id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
  Json* model = find_mut(cfg, "model");
  const double lr = lr_of(cfg);
  const bool adaptive = optimizer_type(cfg) != "sgd";

  if (model && (has("vanishing_gradients") || has("saturated_activations"))) {
    if (int n = replace_activation(*model, {"Sigmoid", "Tanh"}, "ReLU")) {
      changes.push_back("hidden sigmoid/tanh activations -> ReLU (" + std::to_string(n) + " changed), with " +
                        set_random_init(*model));
    }
  }
  if (model && has("dead_relu")) {
    if (int n = replace_activation(*model, {"ReLU"}, "LeakyReLU")) {
      changes.push_back("ReLU -> LeakyReLU (negative slope 0.01; " + std::to_string(n) + " changed)");
    }
  }
  if (model && has("symmetric_init")) changes.push_back("constant initialization -> " + set_random_init(*model));
  if (model && has("exploding_gradients") && model->contains("init")) {
    changes.push_back("large initialization -> " + set_random_init(*model));
  }
  if ((has("exploding_gradients") || has("non_finite")) && !cfg.contains("clip_grad_norm")) {
    cfg.set("clip_grad_norm", 1.0);
    changes.push_back("gradient clipping added: clip_grad_norm 1.0");
  }
  if (has("non_finite") || has("lr_too_high")) {
    double to = has("non_finite") ? lr / 100 : lr / 10;
    if (adaptive && lr > 1e-3) to = 1e-3;  // the notes' "try 1e-3"
    set_lr(cfg, to);
    changes.push_back("learning rate " + fmt(lr) + " -> " + fmt(to));
  } else if (has("lr_too_low")) {
    const double to = adaptive ? 1e-3 : std::max(lr * 100, 0.01);
    set_lr(cfg, to);
    changes.push_back("learning rate " + fmt(lr) + " -> " + fmt(to));
  }
  if (has("loss_task_mismatch")) {
    Json* loss = find_mut(cfg, "loss");
    std::string type = "cross_entropy";
    if (loss && loss->is_string()) type = loss->as_string();
    if (loss && loss->is_object() && loss->contains("type")) type = loss->at("type").as_string();
    if (type == "mse" || type == "l1") {
      cfg.set("loss", "cross_entropy");
      changes.push_back("loss " + type + " -> cross_entropy");
    }
    if (model) {
      if (Json* layers = find_mut(*model, "layers"); layers && layers->is_array() && layers->size() > 0) {
        Json& last = layers->at(layers->size() - 1);
        if (const Json* t = last.find("type"); t && t->as_string() == "Softmax") {
          if (type == "nll") {
            Json repl = Json::object();
            repl.set("type", "LogSoftmax");
            last = repl;
            changes.push_back("final Softmax -> LogSoftmax (nll expects log-probabilities)");
          } else {
            erase_last(*layers);
            changes.push_back("final Softmax layer removed (cross_entropy takes logits)");
          }
        }
      }
    }
  }
  if (model && has("mode_collapse")) {
    // The discriminator sees the batch's spread (a minibatch-stddev feature before its last layer), and its real
    // targets are smoothed: the remedies examples/gan measures.
    if (Json* d = find_mut(*model, "discriminator"); d && d->is_array() && d->size() > 0) {
      bool present = false;
      for (size_t i = 0; i < d->size(); ++i) {
        const Json* t = d->at(i).find("type");
        present = present || (t && t->is_string() && t->as_string() == "MinibatchStdDev");
      }
      if (!present) {
        Json copy = Json::array();
        for (size_t i = 0; i < d->size(); ++i) {
          if (i + 1 == d->size()) copy.push_back(Json::object({{"type", "MinibatchStdDev"}}));
          copy.push_back(d->at(i));
        }
        *d = copy;
        changes.push_back("a MinibatchStdDev layer before the discriminator's last layer");
      }
    }
    Json* task = find_mut(cfg, "task");
    if (task && task->is_string()) {
      cfg.set("task", Json::object({{"type", task->as_string()}}));
      task = find_mut(cfg, "task");
    }
    const Json* ls = task ? task->find("label_smoothing") : nullptr;
    if (task && (!ls || ls->as_double() == 0)) {
      task->set("label_smoothing", 0.1);
      changes.push_back("one-sided label smoothing 0.1 (the discriminator's real targets are 0.9)");
    }
  }
  if (has("overfitting")) {
    Json es = Json::object();
    es.set("monitor", "val_loss");
    es.set("patience", 2);
    es.set("restore_best_weights", true);
    cfg.set("early_stopping", es);
    changes.push_back("early stopping on val_loss (patience 2, best weights restored)");
    if (model && model->contains("architecture") && model->at("architecture").as_string() == "mlp") {
      model->set("dropout", 0.3);
      changes.push_back("dropout 0.3 after every hidden layer");
    }
  }
  return changes;
}

}  // namespace strata::tools
