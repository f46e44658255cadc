// Models from JSON: layer lists with PyTorch's constructor arguments, and the named architectures (the
// baseline models of docs/benchmarks.md: mlp, lenet5, resnet_small) expanded into layer lists.
#include "strata/tools/model_builder.h"

#include <algorithm>
#include <optional>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/tools/init_spec.h"
#include "strata/tools/layer_registry.h"

namespace strata::tools {

using io::Json;

namespace {

std::string shape_str(const std::vector<int64_t>& s) { return Shape(s).str(); }

int64_t int_arg(const Json& o, const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  const Json* v = o.find(key);
  return v ? v->as_int(lo, hi) : fallback;
}

double double_arg(const Json& o, const std::string& key, double fallback, double lo, double hi) {
  const Json* v = o.find(key);
  if (!v) return fallback;
  double d = v->as_double();
  STRATA_CHECK(d >= lo && d <= hi, v->where(), ": expected a number in [", lo, ", ", hi, "], got ", d);
  return d;
}

bool bool_arg(const Json& o, const std::string& key, bool fallback) {
  const Json* v = o.find(key);
  return v ? v->as_bool() : fallback;
}

}  // namespace

std::vector<std::string> layer_types() { return LayerRegistry::names(); }

const std::vector<std::string>& architectures() {
  static const std::vector<std::string> a = {"mlp", "lenet5", "resnet_small"};
  return a;
}

namespace {

// The shape (without batch) that `layer` produces from `in`, by running it on zeros in eval mode.
std::vector<int64_t> infer_output_shape(nn::Module& layer, const std::vector<int64_t>& in, const Json& where) {
  std::vector<int64_t> batch_shape{1};
  batch_shape.insert(batch_shape.end(), in.begin(), in.end());
  const bool was_training = layer.is_training();
  layer.eval();
  Tensor y;
  try {
    NoGradGuard no_grad;
    y = layer.forward(zeros(Shape(batch_shape)));
  } catch (const Error& e) {
    layer.train(was_training);
    STRATA_FAIL(where.where(), " (", layer.type_name(), "): does not accept an input of shape ", shape_str(in),
                " (batch dim left out): ", e.what());
  }
  layer.train(was_training);
  std::vector<int64_t> out(y.shape().begin() + 1, y.shape().end());
  return out;
}

// The modules to initialise once the whole model is built, each with its effective "init" (the layer's own, else
// the enclosing Sequential's, else the model's), in construction order.
using InitPlan = std::vector<std::pair<nn::ModulePtr, InitSpec>>;

nn::ModulePtr make_sequential(const Json& layers, std::vector<int64_t>& shape, const std::optional<InitSpec>& init,
                              InitPlan& plan);

// One layer, its init planned (not yet applied) when one applies to it.
nn::ModulePtr plan_layer(const Json& l, const std::vector<int64_t>& in_shape, const std::optional<InitSpec>& inherited,
                         InitPlan& plan) {
  STRATA_CHECK(l.is_object(), l.where(), ": expected a layer object like {\"type\": \"ReLU\"}, got ", l.type_name());
  const std::string& type = l.at("type").as_string();
  std::optional<InitSpec> init = inherited;
  if (const Json* i = l.find("init")) init = parse_init_spec(*i);
  const LayerEntry* entry = LayerRegistry::find(type);
  if (entry == nullptr) {
    std::string list;
    for (const auto& t : layer_types()) list += (list.empty() ? "" : ", ") + t;
    STRATA_FAIL(l.at("type").where(), ": unknown layer type \"", type, "\" (expected one of: ", list, ")");
  }
  l.check_keys(entry->keys);
  // Containers build their children here, each planning its own init (this layer's, unless it gives one).
  NestedBuilder nested = [&](const Json& layers, std::vector<int64_t>& shape) {
    return make_sequential(layers, shape, init, plan);
  };
  nn::ModulePtr m = entry->build(LayerArgs(l, in_shape, *entry, nested));
  if (init && !entry->container) {
    for (auto& [name, sub] : m->named_modules()) plan.emplace_back(sub, *init);
  }
  return m;
}

nn::ModulePtr make_sequential(const Json& layers, std::vector<int64_t>& shape, const std::optional<InitSpec>& init,
                              InitPlan& plan) {
  STRATA_CHECK(layers.is_array(), layers.where(), ": expected a list of layers, got ", layers.type_name());
  auto seq = std::make_shared<nn::Sequential>();
  for (const Json& l : layers.elements()) {
    nn::ModulePtr m = plan_layer(l, shape, init, plan);
    if (!shape.empty()) shape = infer_output_shape(*m, shape, l);
    seq->push_back(m);
  }
  return seq;
}

// Draws from the default generator in construction order, after every layer's default initialisation (as
// model.apply(init_fn) after building the model in PyTorch).
void apply_plan(const InitPlan& plan) {
  for (const auto& [m, spec] : plan) (void)apply_init(*m, spec);
}

// ---- named architectures, expanded into layer lists ----

Json layer(std::initializer_list<std::pair<std::string, Json>> members) { return Json::object(members); }

std::vector<int64_t> int_list(const Json& o, const std::string& key, std::vector<int64_t> fallback) {
  const Json* v = o.find(key);
  if (!v) return fallback;
  STRATA_CHECK(v->is_array(), v->where(), ": expected a list of sizes, got ", v->type_name());
  std::vector<int64_t> out;
  for (const Json& e : v->elements()) out.push_back(e.as_int(1, INT64_MAX));
  return out;
}

// MLP: Flatten, then Linear + activation (+ Dropout) per hidden size, then Linear to num_classes.
Json mlp_layers(const Json& o) {
  o.check_keys({"architecture", "input_shape", "input_size", "hidden", "num_classes", "activation", "dropout", "init"});
  const std::vector<int64_t> hidden = int_list(o, "hidden", {512, 256});
  const int64_t classes = int_arg(o, "num_classes", 10, 1, INT64_MAX);
  const std::string act = o.get_or("activation", "ReLU");
  STRATA_CHECK(act == "ReLU" || act == "Tanh" || act == "GELU" || act == "Sigmoid" || act == "LeakyReLU",
               o.at("activation").where(), ": expected ReLU, LeakyReLU, GELU, Tanh or Sigmoid, got \"", act, "\"");
  const double dropout = double_arg(o, "dropout", 0.0, 0.0, 0.999);
  Json layers = Json::array({layer({{"type", "Flatten"}})});
  bool first = true;
  for (int64_t h : hidden) {
    Json lin = layer({{"type", "Linear"}, {"out_features", h}});
    if (first && o.contains("input_size")) lin.set("in_features", int_arg(o, "input_size", 0, 1, INT64_MAX));
    first = false;
    layers.push_back(lin);
    layers.push_back(layer({{"type", act}}));
    if (dropout > 0) layers.push_back(layer({{"type", "Dropout"}, {"p", dropout}}));
  }
  Json last = layer({{"type", "Linear"}, {"out_features", classes}});
  if (hidden.empty() && o.contains("input_size")) last.set("in_features", int_arg(o, "input_size", 0, 1, INT64_MAX));
  layers.push_back(last);
  return layers;
}

// LeNet-5 as in the baselines: conv5x5 pad 2, ReLU, maxpool 2, conv5x5, ReLU, maxpool 2, flatten, fc, fc, fc.
// "channels" ([6, 16]) and "hidden" ([120, 84]) widen it.
Json lenet_layers(const Json& o) {
  o.check_keys({"architecture", "input_shape", "in_channels", "channels", "hidden", "num_classes", "dropout", "init"});
  const std::vector<int64_t> ch = int_list(o, "channels", {6, 16});
  STRATA_CHECK(ch.size() == 2, o.at("channels").where(), ": expected two channel counts, got ", ch.size());
  const std::vector<int64_t> hidden = int_list(o, "hidden", {120, 84});
  const int64_t classes = int_arg(o, "num_classes", 10, 1, INT64_MAX);
  const double dropout = double_arg(o, "dropout", 0.0, 0.0, 0.999);
  Json conv1 = layer({{"type", "Conv2d"}, {"out_channels", ch[0]}, {"kernel_size", 5}, {"padding", 2}});
  if (o.contains("in_channels")) conv1.set("in_channels", int_arg(o, "in_channels", 1, 1, INT64_MAX));
  Json layers =
      Json::array({conv1, layer({{"type", "ReLU"}}), layer({{"type", "MaxPool2d"}, {"kernel_size", 2}}),
                   layer({{"type", "Conv2d"}, {"out_channels", ch[1]}, {"kernel_size", 5}}), layer({{"type", "ReLU"}}),
                   layer({{"type", "MaxPool2d"}, {"kernel_size", 2}}), layer({{"type", "Flatten"}})});
  for (int64_t h : hidden) {
    layers.push_back(layer({{"type", "Linear"}, {"out_features", h}}));
    layers.push_back(layer({{"type", "ReLU"}}));
    if (dropout > 0) layers.push_back(layer({{"type", "Dropout"}, {"p", dropout}}));
  }
  layers.push_back(layer({{"type", "Linear"}, {"out_features", classes}}));
  return layers;
}

// The small ResNet of the baselines: conv3x3 (no bias) + BN + ReLU, 2 x BasicBlock(w), BasicBlock(w -> 2w,
// stride 2), global average pool, Linear(2w, num_classes). width w = 32. "shortcut": false drops every block's
// skip connection (the plain net of the loss-landscape comparison).
Json resnet_small_layers(const Json& o) {
  o.check_keys({"architecture", "input_shape", "in_channels", "width", "num_classes", "init", "shortcut"});
  const int64_t w = int_arg(o, "width", 32, 1, INT64_MAX);
  const bool shortcut = bool_arg(o, "shortcut", true);
  const int64_t classes = int_arg(o, "num_classes", 10, 1, INT64_MAX);
  Json conv = layer({{"type", "Conv2d"}, {"out_channels", w}, {"kernel_size", 3}, {"padding", 1}, {"bias", false}});
  if (o.contains("in_channels")) conv.set("in_channels", int_arg(o, "in_channels", 1, 1, INT64_MAX));
  return Json::array(
      {conv, layer({{"type", "BatchNorm2d"}, {"num_features", w}}), layer({{"type", "ReLU"}}),
       layer({{"type", "BasicBlock"}, {"in_planes", w}, {"planes", w}, {"shortcut", shortcut}}),
       layer({{"type", "BasicBlock"}, {"in_planes", w}, {"planes", w}, {"shortcut", shortcut}}),
       layer({{"type", "BasicBlock"}, {"in_planes", w}, {"planes", 2 * w}, {"stride", 2}, {"shortcut", shortcut}}),
       layer({{"type", "AdaptiveAvgPool2d"}, {"output_size", 1}}), layer({{"type", "Flatten"}}),
       layer({{"type", "Linear"}, {"in_features", 2 * w}, {"out_features", classes}})});
}

}  // namespace

nn::ModulePtr build_layer(const Json& l, const std::vector<int64_t>& in_shape) {
  InitPlan plan;
  nn::ModulePtr m = plan_layer(l, in_shape, std::nullopt, plan);
  apply_plan(plan);
  return m;
}

std::shared_ptr<nn::Sequential> build_model(const Json& spec, const std::vector<int64_t>& input_shape) {
  STRATA_CHECK(spec.is_object(), spec.where(), ": expected an object with \"layers\" or \"architecture\", got ",
               spec.type_name());
  std::vector<int64_t> shape = input_shape;
  if (const Json* s = spec.find("input_shape")) {
    STRATA_CHECK(s->is_array() && s->size() > 0, s->where(), ": expected a list of sizes (batch dim left out)");
    std::vector<int64_t> given;
    for (const Json& d : s->elements()) given.push_back(d.as_int(1, INT64_MAX));
    STRATA_CHECK(input_shape.empty() || given == input_shape, s->where(), ": ", shape_str(given),
                 " disagrees with the data's example shape ", shape_str(input_shape));
    shape = given;
  }
  Json layers;
  if (const Json* arch = spec.find("architecture")) {
    STRATA_CHECK(!spec.contains("layers"), spec.where(), ": give either \"layers\" or \"architecture\", not both");
    const std::string& name = arch->as_string();
    if (name == "mlp") {
      layers = mlp_layers(spec);
    } else if (name == "lenet5") {
      layers = lenet_layers(spec);
    } else if (name == "resnet_small") {
      layers = resnet_small_layers(spec);
    } else {
      std::string list;
      for (const auto& a : architectures()) list += (list.empty() ? "" : ", ") + a;
      STRATA_FAIL(arch->where(), ": unknown architecture \"", name, "\" (expected one of: ", list, ")");
    }
    // Generated layers report errors under the architecture's path.
    layers.annotate(spec.source(), spec.path().empty() ? "architecture" : spec.path() + ".architecture");
  } else {
    spec.check_keys({"layers", "input_shape", "init"});
    const Json* l = spec.find("layers");
    STRATA_CHECK(l != nullptr, spec.where(), ": expected \"layers\" (a list of layers) or \"architecture\"");
    layers = *l;
  }
  std::optional<InitSpec> init;
  if (const Json* i = spec.find("init")) init = parse_init_spec(*i);
  InitPlan plan;
  auto seq = make_sequential(layers, shape, init, plan);
  apply_plan(plan);
  return std::static_pointer_cast<nn::Sequential>(seq);
}

std::shared_ptr<nn::Sequential> build_layers(const Json& layers, std::vector<int64_t>& shape) {
  InitPlan plan;
  auto seq = make_sequential(layers, shape, std::nullopt, plan);
  apply_plan(plan);
  return std::static_pointer_cast<nn::Sequential>(seq);
}

}  // namespace strata::tools
