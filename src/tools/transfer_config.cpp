// The run config's transfer-learning keys: init_from, freeze, param_groups, unfreeze.
#include "tools/transfer_config.h"

#include <cmath>
#include <filesystem>
#include <ostream>

#include "strata/core/error.h"
#include "strata/io/atomic_file.h"
#include "strata/io/safetensors.h"
#include "strata/train/unfreezing.h"

namespace strata::tools {

using io::Json;

namespace {

std::vector<std::string> patterns(const Json& v) {
  STRATA_CHECK(v.is_array() && v.size() > 0, v.where(),
               ": expected a non-empty list of name patterns like [\"0.*\"], got ",
               v.is_array() ? "an empty list" : v.type_name());
  std::vector<std::string> out;
  for (const Json& p : v.elements()) {
    out.push_back(p.as_string());
    STRATA_CHECK(!out.back().empty(), p.where(), ": expected a name pattern, got an empty string");
  }
  return out;
}

double positive(const Json& o, const std::string& key, bool allow_zero) {
  const Json& v = o.at(key);
  const double d = v.as_double();
  STRATA_CHECK(std::isfinite(d) && (allow_zero ? d >= 0 : d > 0), v.where(), ": expected a number ",
               allow_zero ? ">= 0" : "> 0", ", got ", d);
  return d;
}

Json report_json(const TransferConfig::InitFrom& init, const nn::LoadReport& r) {
  Json j = Json::object();
  j.set("path", init.path);
  auto list = [](const std::vector<std::string>& v) {
    Json a = Json::array();
    for (const auto& s : v) a.push_back(s);
    return a;
  };
  j.set("loaded", list(r.loaded));
  Json skipped = Json::array();
  for (const auto& s : r.skipped) skipped.push_back(Json::object({{"key", s.key}, {"reason", s.reason}}));
  j.set("skipped", skipped);
  j.set("missing", list(r.missing));
  j.set("unexpected", list(r.unexpected));
  Json renamed = Json::object();
  for (const auto& [from, to] : r.renamed) renamed.set(from, to);
  j.set("renamed", renamed);
  return j;
}

}  // namespace

TransferConfig parse_transfer_config(const Json& j) {
  TransferConfig c;
  if (const Json* i = j.find("init_from"); i && !i->is_null()) {
    TransferConfig::InitFrom init;
    if (i->is_string()) {
      init.path = i->as_string();
    } else {
      STRATA_CHECK(i->is_object(), i->where(), ": expected a file name or {\"path\": ..., \"skip\": [...]}, got ",
                   i->type_name());
      i->check_keys({"path", "skip", "rename", "strict"});
      init.path = i->at("path").as_string();
      if (const Json* s = i->find("skip")) init.load.skip = patterns(*s);
      if (const Json* r = i->find("rename")) {
        STRATA_CHECK(r->is_object(), r->where(), ": expected an object of prefixes like {\"backbone.\": \"0.\"}, got ",
                     r->type_name());
        for (const auto& k : r->keys()) {
          STRATA_CHECK(!k.empty(), r->where(), ": an empty prefix would rename every key");
          init.load.rename.emplace_back(k, r->at(k).as_string());
        }
      }
      init.load.strict = i->get_or("strict", false);
    }
    STRATA_CHECK(!init.path.empty(), i->where(), ": expected a file name, got an empty string");
    c.init_from = init;
  }
  if (const Json* f = j.find("freeze"); f && !f->is_null()) c.freeze = patterns(*f);
  if (const Json* g = j.find("param_groups"); g && !g->is_null()) {
    STRATA_CHECK(g->is_array(), g->where(), ": expected a list like [{\"params\": [\"6.*\"], \"lr\": 0.01}], got ",
                 g->type_name());
    for (const Json& e : g->elements()) {
      STRATA_CHECK(e.is_object(), e.where(), ": expected {\"params\": [...], \"lr\": ...}, got ", e.type_name());
      e.check_keys({"params", "lr", "weight_decay"});
      optim::PatternGroup pg;
      pg.patterns = patterns(e.at("params"));
      if (e.contains("lr")) pg.options["lr"] = positive(e, "lr", false);
      if (e.contains("weight_decay")) pg.options["weight_decay"] = positive(e, "weight_decay", true);
      c.param_groups.push_back(pg);
    }
  }
  if (const Json* u = j.find("unfreeze"); u && !u->is_null()) {
    STRATA_CHECK(u->is_object(), u->where(), ": expected {\"every_epochs\": 2, \"groups\": [[...], ...]}, got ",
                 u->type_name());
    u->check_keys({"every_epochs", "groups"});
    c.unfreeze_every = u->get_or("every_epochs", int64_t{1});
    if (u->contains("every_epochs")) c.unfreeze_every = u->at("every_epochs").as_int(1, 1000000);
    const Json& gs = u->at("groups");
    STRATA_CHECK(gs.is_array() && gs.size() > 0, gs.where(),
                 ": expected a non-empty list of pattern lists, head first");
    for (const Json& g : gs.elements()) c.unfreeze_groups.push_back(patterns(g));
  }
  return c;
}

void apply_transfer(const RunConfig& config, nn::Module& model, std::ostream* out, const std::string& run_dir) {
  const TransferConfig c = parse_transfer_config(config.json);
  if (c.init_from) {
    const auto& init = *c.init_from;
    const Json& key = config.json.at("init_from");
    STRATA_CHECK(std::filesystem::is_regular_file(init.path), key.where(), ": file not found: ", init.path);
    io::SafetensorsFile f = io::load_safetensors(init.path);
    nn::LoadReport r;
    try {
      r = nn::load_weights(model, f.tensors, init.load);
    } catch (const Error& e) {
      STRATA_FAIL(init.path, ": ", e.what());
    }
    if (out) *out << "Initialised from " << init.path << ": " << nn::format(r);
    if (!run_dir.empty()) {
      std::filesystem::create_directories(run_dir);
      const std::string text = report_json(init, r).dump(2) + "\n";
      io::AtomicFile file(run_dir + "/init_from.json");
      file.write(text.data(), text.size());
      file.commit();
    }
  }
  try {
    if (!c.freeze.empty()) (void)nn::freeze(model, c.freeze);
    for (size_t k = 1; k < c.unfreeze_groups.size(); ++k) (void)nn::freeze(model, c.unfreeze_groups[k]);
    if (!c.unfreeze_groups.empty()) (void)nn::unfreeze(model, c.unfreeze_groups[0]);
  } catch (const Error& e) {
    STRATA_FAIL(config.source, ": ", e.what());
  }
  if (out && (!c.freeze.empty() || !c.unfreeze_groups.empty())) {
    *out << "Trainable: " << model.num_parameters(/*trainable_only=*/true) << " of " << model.num_parameters()
         << " parameters\n";
  }
}

std::shared_ptr<optim::Optimizer> build_transfer_optimizer(const RunConfig& config, nn::Module& model) {
  const TransferConfig c = parse_transfer_config(config.json);
  if (c.param_groups.empty() && c.unfreeze_groups.empty() && c.freeze.empty())
    return build_optimizer(config.optimizer, model.parameters());
  std::vector<std::pair<std::string, Tensor>> named;
  for (const auto& [n, p] : model.named_parameters()) {
    bool later = false;
    for (const auto& g : c.unfreeze_groups) later = later || nn::name_matches_any(g, n);
    if (p.requires_grad() || later) named.emplace_back(n, p);
  }
  std::vector<optim::ParamGroup> groups;
  try {
    (void)optim::param_groups_by_pattern(model, c.param_groups);  // checks every pattern names a parameter
    groups = optim::group_named_parameters(named, c.param_groups);
  } catch (const Error& e) {
    STRATA_FAIL(config.source, ": key \"param_groups\": ", e.what());
  }
  STRATA_CHECK(!groups.empty(), config.source, ": every parameter is frozen; nothing to train");
  // The first group takes the optimizer section's options; the others add their overrides on top.
  auto opt = build_optimizer(config.optimizer, groups[0].params);
  for (const auto& [k, v] : groups[0].options) opt->param_groups()[0].options[k] = v;
  for (size_t i = 1; i < groups.size(); ++i) opt->add_param_group(groups[i].params, groups[i].options);
  return opt;
}

train::CallbackPtr build_unfreezing(const RunConfig& config, nn::Module& model) {
  const TransferConfig c = parse_transfer_config(config.json);
  if (c.unfreeze_groups.empty()) return nullptr;
  train::GradualUnfreezingOptions o;
  o.groups = c.unfreeze_groups;
  o.every_epochs = c.unfreeze_every;
  o.param_groups = c.param_groups;
  return std::make_shared<train::GradualUnfreezing>(model, o);
}

}  // namespace strata::tools
