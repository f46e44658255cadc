// The layer registry: storage, the built-in families registered once on first use, and LayerArgs' readers.
#include "strata/tools/layer_registry.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include "strata/core/error.h"
#include "tools/json_args.h"
#include "tools/layers/layers.h"

namespace strata::tools {

using io::Json;

namespace {

struct Registry {
  std::vector<std::unique_ptr<LayerEntry>> entries;  // stable addresses: find() hands out pointers
  std::mutex mu;
};

Registry& raw_registry() {
  static Registry r;
  return r;
}

void add_entry(LayerEntry entry) {
  Registry& r = raw_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  STRATA_CHECK(!entry.name.empty() && entry.build, "[LayerRegistry] an entry needs a name and a build function");
  for (const auto& e : r.entries) {
    STRATA_CHECK(e->name != entry.name, "[LayerRegistry] layer type \"", entry.name, "\" is already registered");
  }
  r.entries.push_back(std::make_unique<LayerEntry>(std::move(entry)));
}

// The built-in families, in the order layer_types() lists them.
Registry& registry() {
  static std::once_flag once;
  std::call_once(once, [] {
    layers::register_dense_layers();
    layers::register_conv_layers();
    layers::register_pooling_layers();
    layers::register_shape_layers();
    layers::register_norm_layers();
    layers::register_activation_layers();
    layers::register_recurrent_layers();
    layers::register_generative_layers();
  });
  return raw_registry();
}

}  // namespace

void LayerRegistry::add(LayerEntry entry) {
  registry();  // built-ins first, so that a user's entry cannot take a built-in name
  add_entry(std::move(entry));
}

const LayerEntry* LayerRegistry::find(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const auto& e : r.entries) {
    if (e->name == name) return e.get();
  }
  return nullptr;
}

std::vector<std::string> LayerRegistry::names() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> out;
  for (const auto& e : r.entries) out.push_back(e->name);
  return out;
}

namespace layers {
// Built-ins register through here (the public add() would recurse into the one-time registration).
void add_builtin(LayerEntry entry) { add_entry(std::move(entry)); }
}  // namespace layers

namespace infer {
std::optional<int64_t> last_dim(const std::vector<int64_t>& in) {
  if (in.empty()) return std::nullopt;
  return in.back();
}
std::optional<int64_t> chw_channels(const std::vector<int64_t>& in) {
  if (in.size() != 3) return std::nullopt;
  return in[0];
}
}  // namespace infer

int64_t LayerArgs::size(const std::string& key, const char* hint) const {
  if (const Json* v = o_.find(key)) return v->as_int(1, INT64_MAX);
  std::string why = hint ? hint : "";
  for (const InferredArg& a : entry_.inferred) {
    if (a.key != key) continue;
    if (!in_.empty()) {
      if (std::optional<int64_t> v = a.from_shape(in_)) return *v;
    }
    if (!hint) why = a.hint;
  }
  const std::string src = o_.source().empty() ? "" : o_.source() + ": ";
  const std::string path = o_.path().empty() ? key : o_.path() + "." + key;
  STRATA_FAIL(src, "key ", io::json_quote(path), " is missing (", why, ")");
}

int64_t LayerArgs::int_or(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const {
  const Json* v = o_.find(key);
  return v ? v->as_int(lo, hi) : fallback;
}

double LayerArgs::double_or(const std::string& key, double fallback, double lo, double hi) const {
  const Json* v = o_.find(key);
  if (!v) return fallback;
  double d = v->as_double();
  STRATA_CHECK(d >= lo && d <= hi, v->where(), ": expected a number in [", lo, ", ", hi, "], got ", d);
  return d;
}

bool LayerArgs::bool_or(const std::string& key, bool fallback) const {
  const Json* v = o_.find(key);
  return v ? v->as_bool() : fallback;
}

std::string LayerArgs::choice_or(const std::string& key, const std::string& fallback,
                                 const std::vector<std::string>& allowed) const {
  return choice(o_, key, fallback, allowed);
}

nn::Ints2 LayerArgs::ints2_of(const Json& v, int64_t lo) {
  if (v.is_array()) {
    STRATA_CHECK(v.size() == 2, v.where(), ": expected one integer or a list of two, got a list of ", v.size());
    return nn::Ints2(v.at(size_t{0}).as_int(lo, INT64_MAX), v.at(size_t{1}).as_int(lo, INT64_MAX));
  }
  return nn::Ints2(v.as_int(lo, INT64_MAX));
}

nn::Ints2 LayerArgs::ints2(const std::string& key, int64_t lo) const { return ints2_of(o_.at(key), lo); }

nn::Ints2 LayerArgs::ints2_or(const std::string& key, nn::Ints2 fallback, int64_t lo) const {
  const Json* v = o_.find(key);
  return v ? ints2_of(*v, lo) : fallback;
}

std::vector<int64_t> LayerArgs::sizes(const std::string& key, bool allow_minus_one) const {
  const Json& s = o_.at(key);
  const int64_t lo = allow_minus_one ? -1 : 1;
  std::vector<int64_t> out;
  if (s.is_array()) {
    STRATA_CHECK(s.size() > 0, s.where(), ": expected a non-empty list of sizes");
    for (const Json& d : s.elements()) {
      const int64_t v = d.as_int(lo, INT64_MAX);
      STRATA_CHECK(v != 0, d.where(), ": expected a positive size", allow_minus_one ? " or -1" : "", ", got 0");
      out.push_back(v);
    }
  } else {
    const int64_t v = s.as_int(lo, INT64_MAX);
    STRATA_CHECK(v != 0, s.where(), ": expected a positive size", allow_minus_one ? " or -1" : "", ", got 0");
    out.push_back(v);
  }
  return out;
}

}  // namespace strata::tools
