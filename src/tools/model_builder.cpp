// Models from JSON: layer lists with PyTorch's constructor arguments, and the named architectures of
// ../shared/research/pytorch-baselines.md (mlp, lenet5, resnet_small) expanded into layer lists.
#include "strata/tools/model_builder.h"

#include <algorithm>
#include <optional>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/activation.h"
#include "strata/nn/conv.h"
#include "strata/nn/linear.h"
#include "strata/nn/normalization.h"
#include "strata/nn/recurrent_seq.h"
#include "strata/nn/resnet.h"
#include "strata/ops/creation.h"
#include "strata/tools/init_spec.h"

namespace strata::tools {

using io::Json;

namespace {

std::string shape_str(const std::vector<int64_t>& s) { return Shape(s).str(); }

// A positive integer argument; when absent, `inferred` (from the input shape) or an error naming the key.
int64_t size_arg(const Json& o, const std::string& key, std::optional<int64_t> inferred, const char* hint) {
  if (const Json* v = o.find(key)) return v->as_int(1, INT64_MAX);
  if (inferred) return *inferred;
  const std::string src = o.source().empty() ? "" : o.source() + ": ";
  const std::string path = o.path().empty() ? key : o.path() + "." + key;
  STRATA_FAIL(src, "key ", io::json_quote(path), " is missing (", hint, ")");
}

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

// One int (3) or a pair ([3, 5]), each >= lo.
nn::Ints2 ints2_arg(const Json& v, int64_t lo) {
  if (v.is_array()) {
    STRATA_CHECK(v.size() == 2, v.where(), ": expected one integer or a list of two, got a list of ", v.size());
    return nn::Ints2(v.at(size_t{0}).as_int(lo, INT64_MAX), v.at(size_t{1}).as_int(lo, INT64_MAX));
  }
  return nn::Ints2(v.as_int(lo, INT64_MAX));
}

nn::Ints2 ints2_arg(const Json& o, const std::string& key, nn::Ints2 fallback, int64_t lo) {
  const Json* v = o.find(key);
  return v ? ints2_arg(*v, lo) : fallback;
}

nn::Ints2 required_ints2(const Json& o, const std::string& key, int64_t lo) { return ints2_arg(o.at(key), lo); }

std::optional<int64_t> dim_of(const std::vector<int64_t>& in, size_t rank, size_t dim) {
  if (in.size() != rank) return std::nullopt;
  return in[dim];
}

std::optional<int64_t> channels(const std::vector<int64_t>& in) { return dim_of(in, 3, 0); }  // (C, H, W)

std::optional<int64_t> features(const std::vector<int64_t>& in) {
  if (in.empty()) return std::nullopt;
  return in.back();
}

const char* kInferHint = "or give the input shape (model.input_shape) so that it can be inferred";

}  // namespace

const std::vector<std::string>& layer_types() {
  static const std::vector<std::string> t = {"Linear",  "Conv2d",     "MaxPool2d",   "AvgPool2d",   "AdaptiveAvgPool2d",
                                             "Flatten", "Dropout",    "BatchNorm1d", "BatchNorm2d", "LayerNorm",
                                             "ReLU",    "LeakyReLU",  "Sigmoid",     "Tanh",        "GELU",
                                             "Softmax", "LogSoftmax", "BasicBlock",  "Sequential",  "RNN",
                                             "LSTM",    "GRU"};
  return t;
}

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

nn::ModulePtr make_layer(const std::string& type, const Json& o, const std::vector<int64_t>& in);

nn::ModulePtr make_sequential(const Json& layers, std::vector<int64_t>& shape, const std::optional<InitSpec>& init,
                              InitPlan& plan);

// One layer, its init planned (not yet applied) when one applies to it.
nn::ModulePtr plan_layer(const Json& l, const std::vector<int64_t>& in_shape, const std::optional<InitSpec>& inherited,
                         InitPlan& plan) {
  STRATA_CHECK(l.is_object(), l.where(), ": expected a layer object like {\"type\": \"ReLU\"}, got ", l.type_name());
  const std::string& type = l.at("type").as_string();
  std::optional<InitSpec> init = inherited;
  if (const Json* i = l.find("init")) init = parse_init_spec(*i);
  if (type == "Sequential") {
    l.check_keys({"type", "layers", "init"});
    std::vector<int64_t> shape = in_shape;
    return make_sequential(l.at("layers"), shape, init, plan);
  }
  nn::ModulePtr m = make_layer(type, l, in_shape);
  if (init) {
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

nn::ModulePtr make_recurrent(const std::string& type, const Json& o, const std::vector<int64_t>& in) {
  if (type == "RNN") {
    o.check_keys({"type", "input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "dropout", "bidirectional",
                  "return_sequences", "init"});
  } else {
    o.check_keys({"type", "input_size", "hidden_size", "num_layers", "bias", "dropout", "bidirectional",
                  "return_sequences", "init"});
  }
  const int64_t input_size =
      size_arg(o, "input_size", dim_of(in, 2, 1), "or give the input shape (T, features) so that it can be inferred");
  const int64_t hidden = size_arg(o, "hidden_size", std::nullopt, "the size of the hidden state");
  nn::RNNOptions opts;
  opts.num_layers = int_arg(o, "num_layers", 1, 1, 1000);
  opts.bias = bool_arg(o, "bias", true);
  opts.dropout = double_arg(o, "dropout", 0.0, 0.0, 0.999);
  opts.bidirectional = bool_arg(o, "bidirectional", false);
  opts.nonlinearity = o.get_or("nonlinearity", "tanh");
  STRATA_CHECK(opts.nonlinearity == "tanh" || opts.nonlinearity == "relu", o.at("nonlinearity").where(),
               ": expected \"tanh\" or \"relu\", got \"", opts.nonlinearity, "\"");
  const bool seqs = bool_arg(o, "return_sequences", false);
  if (type == "RNN") return std::make_shared<nn::RNNSequence>(input_size, hidden, opts, seqs);
  if (type == "LSTM") return std::make_shared<nn::LSTMSequence>(input_size, hidden, opts, seqs);
  return std::make_shared<nn::GRUSequence>(input_size, hidden, opts, seqs);
}

nn::ModulePtr make_layer(const std::string& type, const Json& o, const std::vector<int64_t>& in) {
  if (type == "RNN" || type == "LSTM" || type == "GRU") return make_recurrent(type, o, in);
  if (type == "Linear") {
    o.check_keys({"type", "in_features", "out_features", "bias", "init"});
    return std::make_shared<nn::Linear>(size_arg(o, "in_features", features(in), kInferHint),
                                        size_arg(o, "out_features", std::nullopt, "the layer's output size"),
                                        bool_arg(o, "bias", true));
  }
  if (type == "Conv2d") {
    o.check_keys({"type", "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                  "bias", "init"});
    nn::Conv2dPadding padding(0);
    if (const Json* p = o.find("padding")) {
      if (p->is_string()) {
        const std::string& m = p->as_string();
        STRATA_CHECK(m == "same" || m == "valid", p->where(), ": expected \"same\", \"valid\" or a size, got \"", m,
                     "\"");
        padding = nn::Conv2dPadding(m);
      } else {
        nn::Ints2 pi = ints2_arg(*p, 0);
        padding = nn::Conv2dPadding(pi.h, pi.w);
      }
    }
    return std::make_shared<nn::Conv2d>(size_arg(o, "in_channels", channels(in), kInferHint),
                                        size_arg(o, "out_channels", std::nullopt, "the number of filters"),
                                        required_ints2(o, "kernel_size", 1), ints2_arg(o, "stride", 1, 1), padding,
                                        ints2_arg(o, "dilation", 1, 1), int_arg(o, "groups", 1, 1, INT64_MAX),
                                        bool_arg(o, "bias", true));
  }
  if (type == "MaxPool2d") {
    o.check_keys({"type", "kernel_size", "stride", "padding", "dilation", "ceil_mode"});
    return std::make_shared<nn::MaxPool2d>(required_ints2(o, "kernel_size", 1), ints2_arg(o, "stride", 0, 1),
                                           ints2_arg(o, "padding", 0, 0), ints2_arg(o, "dilation", 1, 1),
                                           bool_arg(o, "ceil_mode", false));
  }
  if (type == "AvgPool2d") {
    o.check_keys({"type", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"});
    return std::make_shared<nn::AvgPool2d>(required_ints2(o, "kernel_size", 1), ints2_arg(o, "stride", 0, 1),
                                           ints2_arg(o, "padding", 0, 0), bool_arg(o, "ceil_mode", false),
                                           bool_arg(o, "count_include_pad", true));
  }
  if (type == "AdaptiveAvgPool2d") {
    o.check_keys({"type", "output_size"});
    return std::make_shared<nn::AdaptiveAvgPool2d>(ints2_arg(o, "output_size", 1, 1));
  }
  if (type == "Flatten") {
    o.check_keys({"type", "start_dim", "end_dim"});
    return std::make_shared<nn::Flatten>(int_arg(o, "start_dim", 1, -64, 64), int_arg(o, "end_dim", -1, -64, 64));
  }
  if (type == "Dropout") {
    o.check_keys({"type", "p"});
    const Json* p = o.find("p");
    if (p) {
      double v = p->as_double();
      STRATA_CHECK(v >= 0.0 && v < 1.0, p->where(), ": expected a probability in [0, 1), got ", v);
    }
    return std::make_shared<nn::Dropout>(p ? p->as_double() : 0.5);
  }
  if (type == "BatchNorm1d" || type == "BatchNorm2d") {
    o.check_keys({"type", "num_features", "eps", "momentum", "affine", "track_running_stats"});
    std::optional<int64_t> inferred = type == "BatchNorm2d" ? channels(in) : dim_of(in, 1, 0);
    if (type == "BatchNorm1d" && !inferred) inferred = dim_of(in, 2, 0);  // (C, L)
    const int64_t n = size_arg(o, "num_features", inferred, kInferHint);
    const double eps = double_arg(o, "eps", 1e-5, 0.0, 1.0);
    std::optional<double> momentum = 0.1;
    if (const Json* m = o.find("momentum")) {
      if (m->is_null()) {
        momentum = std::nullopt;
      } else {
        momentum = double_arg(o, "momentum", 0.1, 0.0, 1.0);
      }
    }
    const bool affine = bool_arg(o, "affine", true), track = bool_arg(o, "track_running_stats", true);
    if (type == "BatchNorm1d") return std::make_shared<nn::BatchNorm1d>(n, eps, momentum, affine, track);
    return std::make_shared<nn::BatchNorm2d>(n, eps, momentum, affine, track);
  }
  if (type == "LayerNorm") {
    o.check_keys({"type", "normalized_shape", "eps", "elementwise_affine"});
    std::vector<int64_t> shape;
    if (const Json* s = o.find("normalized_shape")) {
      if (s->is_array()) {
        STRATA_CHECK(s->size() > 0, s->where(), ": expected a non-empty list of sizes");
        for (const Json& d : s->elements()) shape.push_back(d.as_int(1, INT64_MAX));
      } else {
        shape.push_back(s->as_int(1, INT64_MAX));
      }
    } else {
      shape.push_back(size_arg(o, "normalized_shape", features(in), kInferHint));
    }
    return std::make_shared<nn::LayerNorm>(shape, double_arg(o, "eps", 1e-5, 0.0, 1.0),
                                           bool_arg(o, "elementwise_affine", true));
  }
  if (type == "ReLU" || type == "Sigmoid" || type == "Tanh") {
    o.check_keys({"type"});
    if (type == "ReLU") return std::make_shared<nn::ReLU>();
    if (type == "Sigmoid") return std::make_shared<nn::Sigmoid>();
    return std::make_shared<nn::Tanh>();
  }
  if (type == "LeakyReLU") {
    o.check_keys({"type", "negative_slope"});
    return std::make_shared<nn::LeakyReLU>(double_arg(o, "negative_slope", 0.01, -1e9, 1e9));
  }
  if (type == "GELU") {
    o.check_keys({"type", "approximate"});
    std::string a = o.get_or("approximate", "none");
    STRATA_CHECK(a == "none" || a == "tanh", o.at("approximate").where(), ": expected \"none\" or \"tanh\", got \"", a,
                 "\"");
    return std::make_shared<nn::GELU>(a);
  }
  if (type == "Softmax" || type == "LogSoftmax") {
    o.check_keys({"type", "dim"});
    const int64_t dim = int_arg(o, "dim", 1, -64, 64);
    if (type == "Softmax") return std::make_shared<nn::Softmax>(dim);
    return std::make_shared<nn::LogSoftmax>(dim);
  }
  if (type == "BasicBlock") {
    o.check_keys({"type", "in_planes", "planes", "stride", "init", "shortcut"});
    return std::make_shared<nn::BasicBlock>(size_arg(o, "in_planes", channels(in), kInferHint),
                                            size_arg(o, "planes", std::nullopt, "the block's output channels"),
                                            int_arg(o, "stride", 1, 1, INT64_MAX), kFloat32, nullptr,
                                            bool_arg(o, "shortcut", true));
  }
  std::string list;
  for (const auto& t : layer_types()) list += (list.empty() ? "" : ", ") + t;
  STRATA_FAIL(o.at("type").where(), ": unknown layer type \"", type, "\" (expected one of: ", list, ")");
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

}  // namespace strata::tools
