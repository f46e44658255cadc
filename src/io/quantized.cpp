// model.int8.safetensors writer and reader (see include/strata/io/quantized.h).
#include "strata/io/quantized.h"

#include <cstring>
#include <map>

#include "strata/core/error.h"
#include "strata/io/json.h"
#include "strata/nn/quantized.h"

namespace strata::io {

void save_quantized(const std::string& path, nn::Module& model, const Metadata& metadata) {
  nn::StateDict tensors;
  RawTensors raw;
  Json modules = Json::object();
  for (const auto& [prefix, m] : model.named_modules()) {
    const auto* q = dynamic_cast<const nn::QuantizedModule*>(m.get());
    if (!q) continue;
    modules.set(prefix, Json::object({{"type", q->float_type()}, {"mode", nn::quant_mode_name(q->mode())}}));
    const nn::QuantizedEntries e = q->entries();
    for (const auto& [name, w] : e.int8) {
      RawTensor r{"I8", w.shape, std::vector<uint8_t>(w.values.size())};
      std::memcpy(r.bytes.data(), w.values.data(), w.values.size());
      raw.emplace_back(prefix + "." + name, std::move(r));
    }
    for (const auto& [name, t] : e.floats) tensors.insert(prefix + "." + name, t);
  }
  STRATA_CHECK(modules.size() > 0, path,
               ": the model has no quantized layers (run nn::quantize_dynamic or "
               "quantize_static first)");
  for (const auto& [name, t] : model.state_dict()) tensors.insert(name, t);
  Metadata meta = metadata;
  meta[kQuantizationKey] = Json::object({{"format", 1}, {"modules", std::move(modules)}}).dump();
  save_safetensors(path, tensors, meta, raw);
}

bool is_quantized_file(const std::string& path) {
  return load_safetensors(path, /*read_raw=*/true).metadata.count(kQuantizationKey) != 0;
}

void load_quantized(const std::string& path, nn::Module& model) {
  SafetensorsFile f = load_safetensors(path, /*read_raw=*/true);
  auto it = f.metadata.find(kQuantizationKey);
  STRATA_CHECK(it != f.metadata.end(), path, ": not a quantized model (no \"", kQuantizationKey,
               "\" metadata; write one with `strata quantize`)");
  const Json j = parse_json(it->second, path + " (" + kQuantizationKey + ")");
  STRATA_CHECK(j.is_object() && j.contains("modules") && j.at("modules").is_object(), path, ": \"", kQuantizationKey,
               "\" has no \"modules\" object");
  const Json& mods = j.at("modules");
  std::map<std::string, nn::QuantMode> plan;
  std::map<std::string, std::string> types;
  for (const auto& name : mods.keys()) {
    const Json& m = mods.at(name);
    const std::string ctx = path + ": quantized layer \"" + name + "\"";
    STRATA_CHECK(m.is_object() && m.contains("type") && m.contains("mode") && m.at("type").is_string() &&
                     m.at("mode").is_string(),
                 ctx, ": expected {\"type\": ..., \"mode\": ...}");
    plan[name] = nn::quant_mode_from(m.at("mode").as_string(), ctx);
    types[name] = m.at("type").as_string();
  }
  try {
    nn::quantize_modules(model, plan);
  } catch (const Error& e) {
    STRATA_FAIL(path, ": ", e.what());
  }

  // Hand each quantized layer its entries ("<path>.<name>"); the rest is the float model's state_dict.
  std::map<std::string, nn::QuantizedEntries> per_layer;
  auto owner = [&](const std::string& key) -> std::pair<std::string, std::string> {
    const size_t dot = key.rfind('.');
    if (dot == std::string::npos) return {};
    const std::string p = key.substr(0, dot);
    return plan.count(p) ? std::make_pair(p, key.substr(dot + 1)) : std::pair<std::string, std::string>{};
  };
  for (const auto& [key, r] : f.raw) {
    const auto [p, name] = owner(key);
    STRATA_CHECK(!p.empty(), path, ": int8 entry \"", key, "\" belongs to no quantized layer");
    STRATA_CHECK(r.dtype == "I8", path, ": entry \"", key, "\" has dtype ", r.dtype, ", expected I8");
    nn::Int8Weight w;
    w.shape = r.shape;
    w.values.resize(r.bytes.size());
    std::memcpy(w.values.data(), r.bytes.data(), r.bytes.size());
    per_layer[p].int8.emplace_back(name, std::move(w));
  }
  nn::StateDict rest;
  for (const auto& [key, t] : f.tensors) {
    const auto [p, name] = owner(key);
    if (p.empty()) {
      rest.insert(key, t);
    } else {
      per_layer[p].floats.insert(name, t);
    }
  }
  for (const auto& [p, m] : model.named_modules()) {
    auto* q = dynamic_cast<nn::QuantizedModule*>(m.get());
    if (!q || !plan.count(p)) continue;
    const std::string ctx = path + ": quantized layer \"" + p + "\"";
    STRATA_CHECK(q->float_type() == types[p], ctx, ": stored as ", types[p], ", the model has a ", q->float_type());
    q->load_entries(per_layer[p], ctx);
  }
  try {
    model.load_state_dict(rest, /*strict=*/true);
  } catch (const Error& e) {
    STRATA_FAIL(path, ": the float entries do not fit the model: ", e.what());
  }
}

}  // namespace strata::io
