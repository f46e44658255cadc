// The "init" object of model configs: validation, and torch.nn.init applied to Linear, Conv2d, ConvTranspose2d and RNN
// layers.
#include "strata/tools/init_spec.h"

#include <algorithm>
#include <cmath>

#include "strata/core/error.h"
#include "strata/nn/conv.h"
#include "strata/nn/init.h"
#include "strata/nn/linear.h"
#include "strata/nn/rnn.h"
#include "tools/json_args.h"

namespace strata::tools {

using io::Json;

namespace {

double finite(const Json& o, const std::string& key, double fallback, double lo = -1e30, double hi = 1e30) {
  const Json* v = o.find(key);
  if (!v) return fallback;
  const double d = v->as_double();
  STRATA_CHECK(std::isfinite(d) && d >= lo && d <= hi, v->where(), ": expected a number in [", lo, ", ", hi, "], got ",
               d);
  return d;
}

// The keys that each weight scheme reads (besides "weight", "bias", "bias_value").
std::vector<std::string> scheme_keys(const std::string& w) {
  if (w == "constant") return {"value"};
  if (w == "normal") return {"mean", "std"};
  if (w == "uniform") return {"a", "b"};
  if (w == "xavier_uniform" || w == "xavier_normal") return {"gain", "nonlinearity"};
  if (w == "kaiming_uniform" || w == "kaiming_normal") return {"a", "mode", "nonlinearity"};
  return {};
}

}  // namespace

InitSpec parse_init_spec(const Json& o) {
  STRATA_CHECK(o.is_object(), o.where(), ": expected an object like {\"weight\": \"kaiming_normal\"}, got ",
               o.type_name());
  o.check_keys({"weight", "mean", "std", "a", "b", "value", "gain", "nonlinearity", "mode", "bias", "bias_value"});
  InitSpec s;
  s.weight = choice(o, "weight", "default",
                    {"default", "zeros", "constant", "normal", "uniform", "xavier_uniform", "xavier_normal",
                     "kaiming_uniform", "kaiming_normal"});
  const std::vector<std::string> own = scheme_keys(s.weight);
  std::string own_list;
  for (const auto& x : own) own_list += (own_list.empty() ? "" : ", ") + x;
  for (const char* k : {"mean", "std", "a", "b", "value", "gain", "nonlinearity", "mode"}) {
    if (const Json* v = o.find(k)) {
      STRATA_CHECK(std::find(own.begin(), own.end(), k) != own.end(), v->where(), ": does not apply to weight \"",
                   s.weight, "\" (", own.empty() ? "it takes no arguments" : "it takes: " + own_list, ")");
    }
  }
  if (s.weight == "constant") {
    STRATA_CHECK(o.contains("value"), o.where(), ": key \"value\" is missing (weight \"constant\" needs it)");
    s.value = finite(o, "value", 0);
  }
  s.mean = finite(o, "mean", 0);
  s.std = finite(o, "std", 1, 0, 1e30);
  s.a = finite(o, "a", 0);
  s.b = finite(o, "b", 1);
  if (s.weight == "uniform") {
    STRATA_CHECK(s.a <= s.b, o.where(), ": uniform needs a <= b, got a = ", s.a, ", b = ", s.b);
  } else if (s.weight.rfind("kaiming", 0) == 0) {
    STRATA_CHECK(s.a >= 0, o.at("a").where(), ": expected the leaky_relu negative slope >= 0, got ", s.a);
  }
  if (o.contains("gain")) s.gain = finite(o, "gain", 1, 0, 1e30);
  s.nonlinearity = choice(o, "nonlinearity", "", {"relu", "leaky_relu", "tanh", "sigmoid", "linear"});
  STRATA_CHECK(!(s.gain && !s.nonlinearity.empty()), o.where(),
               ": give \"gain\" or \"nonlinearity\" (which sets the gain), not both");
  s.mode = choice(o, "mode", "fan_in", {"fan_in", "fan_out"});
  s.bias = choice(o, "bias", "default", {"default", "zeros", "constant"});
  if (const Json* v = o.find("bias_value")) {
    STRATA_CHECK(s.bias == "constant", v->where(), ": applies only to bias \"constant\"");
  }
  if (s.bias == "constant") {
    STRATA_CHECK(o.contains("bias_value"), o.where(), ": key \"bias_value\" is missing (bias \"constant\" needs it)");
    s.bias_value = finite(o, "bias_value", 0);
  }
  return s;
}

void init_weight(Tensor& w, const InitSpec& s) {
  const std::string& k = s.weight;
  if (k == "default") return;
  if (k == "zeros") {
    nn::init::zeros_(w);
  } else if (k == "constant") {
    nn::init::constant_(w, s.value);
  } else if (k == "normal") {
    nn::init::normal_(w, s.mean, s.std);
  } else if (k == "uniform") {
    nn::init::uniform_(w, s.a, s.b);
  } else if (k == "xavier_uniform" || k == "xavier_normal") {
    const double gain = s.nonlinearity.empty() ? s.gain.value_or(1.0) : nn::init::calculate_gain(s.nonlinearity);
    if (k == "xavier_uniform") {
      nn::init::xavier_uniform_(w, gain);
    } else {
      nn::init::xavier_normal_(w, gain);
    }
  } else {
    const std::string nl = s.nonlinearity.empty() ? "leaky_relu" : s.nonlinearity;
    if (k == "kaiming_uniform") {
      nn::init::kaiming_uniform_(w, s.a, s.mode, nl);
    } else {
      nn::init::kaiming_normal_(w, s.a, s.mode, nl);
    }
  }
}

void init_bias(Tensor& b, const InitSpec& s) {
  if (!b.defined() || s.bias == "default") return;
  nn::init::constant_(b, s.bias == "zeros" ? 0.0 : s.bias_value);
}

bool apply_init(nn::Module& m, const InitSpec& s) {
  if (auto* l = dynamic_cast<nn::Linear*>(&m)) {
    init_weight(l->weight, s);
    init_bias(l->bias, s);
    return true;
  }
  if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) {
    init_weight(c->weight, s);
    init_bias(c->bias, s);
    return true;
  }
  if (auto* c = dynamic_cast<nn::ConvTranspose2d*>(&m)) {
    init_weight(c->weight, s);
    init_bias(c->bias, s);
    return true;
  }
  if (auto* r = dynamic_cast<nn::RNNBase*>(&m)) {
    // Weights first, then biases, each in registration order (layer, direction, ih before hh).
    const int64_t D = r->options().bidirectional ? 2 : 1;
    for (int64_t l = 0; l < r->options().num_layers; ++l) {
      for (int64_t d = 0; d < D; ++d) {
        Tensor ih = r->weight_ih(l, d), hh = r->weight_hh(l, d);
        init_weight(ih, s);
        init_weight(hh, s);
      }
    }
    for (int64_t l = 0; l < r->options().num_layers; ++l) {
      for (int64_t d = 0; d < D; ++d) {
        Tensor ih = r->bias_ih(l, d), hh = r->bias_hh(l, d);
        init_bias(ih, s);
        init_bias(hh, s);
      }
    }
    return true;
  }
  return false;
}

}  // namespace strata::tools
