#pragma once
// The layer types that model configs can name (tools/model_builder.h). Each type is one LayerEntry: its name, the
// JSON keys it accepts, the input-size arguments it can infer from the shape flowing in, and its constructor
// call. The built-in entries live in src/tools/layers/<family>_layers.cpp, one registration function per family,
// called once from one place (not static registrars, which a static library drops); a program may add its own
// with LayerRegistry::add before building models.
//
//   LayerRegistry::add({"Linear", {"type", "in_features", "out_features", "bias", "init"},
//                       {{"in_features", infer::last_dim, kInferHint}},
//                       [](const LayerArgs& a) {
//                         return std::make_shared<nn::Linear>(a.size("in_features"), a.size("out_features", "..."),
//                                                             a.bool_or("bias", true));
//                       }});
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/nn/conv.h"
#include "strata/nn/module.h"

namespace strata::tools {

class LayerArgs;
struct LayerEntry;

// The hint of a missing input-size argument that the shape could have given.
inline constexpr const char* kInferHint = "or give the input shape (model.input_shape) so that it can be inferred";

// An input-size argument that may be left out: from_shape maps the incoming shape (no batch dim; never empty) to
// its value, or nullopt when that shape does not give it; hint ends the error when it is missing all the same.
struct InferredArg {
  std::string key;
  std::function<std::optional<int64_t>(const std::vector<int64_t>&)> from_shape;
  std::string hint = kInferHint;
};

// Common from_shape rules.
namespace infer {
std::optional<int64_t> last_dim(const std::vector<int64_t>& in);      // features of (..., F)
std::optional<int64_t> chw_channels(const std::vector<int64_t>& in);  // C of (C, H, W)
}  // namespace infer

// Builds the nested layer list `layers` starting from `shape` (updated to its output shape), for containers.
using NestedBuilder = std::function<nn::ModulePtr(const io::Json& layers, std::vector<int64_t>& shape)>;

struct LayerEntry {
  std::string name;
  std::vector<std::string> keys;  // every accepted key, "type" included (and "init" where the layer takes one)
  std::vector<InferredArg> inferred;
  std::function<nn::ModulePtr(const LayerArgs&)> build;
  // A container builds its children through LayerArgs::build_nested, and they plan their own "init"s.
  bool container = false;
};

class LayerRegistry {
 public:
  // Throws strata::Error when the name is taken.
  static void add(LayerEntry entry);
  // nullptr when no layer has that name.
  static const LayerEntry* find(const std::string& name);
  // Every registered name, in registration order.
  static std::vector<std::string> names();
};

// Typed readers over one layer's JSON object, with the model builder's error messages (they name the key and its
// path in the config).
class LayerArgs {
 public:
  LayerArgs(const io::Json& o, const std::vector<int64_t>& in, const LayerEntry& entry, NestedBuilder nested)
      : o_(o), in_(in), entry_(entry), nested_(std::move(nested)) {}
  const io::Json& json() const { return o_; }
  const std::vector<int64_t>& in_shape() const { return in_; }  // empty when unknown
  const std::string& type() const { return entry_.name; }

  // A positive integer: given, else inferred (when the entry declares the key inferable and the shape gives it),
  // else an error ending with `hint` (or the inferable key's own hint).
  int64_t size(const std::string& key, const char* hint = nullptr) const;
  int64_t int_or(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const;
  double double_or(const std::string& key, double fallback, double lo, double hi) const;
  bool bool_or(const std::string& key, bool fallback) const;
  // One of `allowed`, or fallback when absent.
  std::string choice_or(const std::string& key, const std::string& fallback,
                        const std::vector<std::string>& allowed) const;
  // One int (3) or a pair ([3, 5]), each >= lo.
  nn::Ints2 ints2(const std::string& key, int64_t lo) const;  // required
  nn::Ints2 ints2_or(const std::string& key, nn::Ints2 fallback, int64_t lo) const;
  static nn::Ints2 ints2_of(const io::Json& v, int64_t lo);
  // A non-empty list of positive sizes (or one int); allow_minus_one lets one entry be -1.
  std::vector<int64_t> sizes(const std::string& key, bool allow_minus_one = false) const;
  // For containers: the nested list `layers` built from `shape` (updated to the output shape).
  nn::ModulePtr build_nested(const io::Json& layers, std::vector<int64_t>& shape) const {
    return nested_(layers, shape);
  }

 private:
  const io::Json& o_;
  const std::vector<int64_t>& in_;
  const LayerEntry& entry_;
  NestedBuilder nested_;
};

}  // namespace strata::tools
