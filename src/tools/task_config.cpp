// Parsing of the "task" section and building the autoencoder / VAE / GAN models of a config.
#include "strata/tools/task_config.h"

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/shape.h"
#include "strata/ops/creation.h"
#include "strata/tools/model_builder.h"
#include "tools/json_args.h"

namespace strata::tools {

using io::Json;

namespace {

double number_in(const Json& o, const std::string& key, double fallback, double lo, double hi) {
  const Json* v = o.find(key);
  if (!v) return fallback;
  const double d = v->as_double();
  STRATA_CHECK(d >= lo && d <= hi, v->where(), ": expected a number in [", lo, ", ", hi, "], got ", d);
  return d;
}

// A layer list of the model section, built from `shape` (which becomes its output shape).
nn::ModulePtr build_part(const Json& model, const std::string& key, std::vector<int64_t>& shape) {
  const Json* layers = model.find(key);
  STRATA_CHECK(layers != nullptr, model.where(), ": key \"", key, "\" is missing (a list of layers)");
  Json spec = Json::object({{"layers", *layers}});
  spec.annotate(model.source(), model.path().empty() ? key : model.path() + "." + key);
  // build_model reports errors under the layers' own paths; keep the model's init for every part.
  if (const Json* init = model.find("init")) spec.set("init", *init);
  auto part = build_model(spec, shape);
  if (!shape.empty()) shape = output_shape(*part, shape);
  return part;
}

}  // namespace

std::vector<int64_t> output_shape(nn::Module& m, const std::vector<int64_t>& in) {
  std::vector<int64_t> s{1};
  s.insert(s.end(), in.begin(), in.end());
  const bool was = m.is_training();
  m.eval();
  Tensor y;
  {
    NoGradGuard no_grad;
    y = m(zeros(Shape(s)));
  }
  m.train(was);
  return std::vector<int64_t>(y.shape().begin() + 1, y.shape().end());
}

TaskConfig parse_task_config(const Json* task) {
  TaskConfig c;
  if (task == nullptr || task->is_null()) return c;
  if (task->is_string()) {
    Json o = Json::object({{"type", task->as_string()}});
    o.annotate(task->source(), task->path());
    return parse_task_config(&o);
  }
  const Json& t = *task;
  STRATA_CHECK(t.is_object(), t.where(), ": expected a task name or an object like {\"type\": \"vae\"}, got ",
               t.type_name());
  c.type = choice(t, "type", "supervised", {"supervised", "autoencoder", "vae", "gan"});
  const std::vector<std::string> common = {"type", "samples", "probe_samples"};
  auto keys = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    t.check_keys(extra);
  };
  if (c.type == "supervised") {
    keys({});
  } else if (c.type == "autoencoder") {
    keys({"loss", "noise_std"});
    c.autoencoder.loss = choice(t, "loss", "mse", {"mse", "l1", "bce", "bce_logits"});
    c.autoencoder.noise_std = number_in(t, "noise_std", 0.0, 0.0, 100.0);
  } else if (c.type == "vae") {
    keys({"recon_loss", "beta"});
    c.vae.recon_loss = choice(t, "recon_loss", "bce", {"bce", "bce_logits", "mse"});
    c.vae.beta = number_in(t, "beta", 1.0, 0.0, 1e6);
  } else {
    keys({"d_steps", "generator_loss", "label_smoothing", "discriminator_optimizer", "classifier"});
    if (const Json* d = t.find("d_steps")) c.gan.d_steps = d->as_int(1, 1000);
    c.gan.generator_loss = choice(t, "generator_loss", "non_saturating", {"non_saturating", "minimax"});
    c.gan.label_smoothing = number_in(t, "label_smoothing", 0.0, 0.0, 0.49);
    if (const Json* o = t.find("discriminator_optimizer")) c.discriminator_optimizer = *o;
    c.classifier = t.get_or("classifier", "");
  }
  if (const Json* s = t.find("samples")) c.samples = s->as_int(1, 1024);
  if (const Json* s = t.find("probe_samples")) c.probe_samples = s->as_int(10, 100000);
  return c;
}

nn::ModulePtr build_task_model(const TaskConfig& task, const Json& model, const std::vector<int64_t>& example_shape) {
  STRATA_CHECK(model.is_object(), model.where(), ": expected an object, got ", model.type_name());
  if (task.type == "autoencoder") {
    model.check_keys({"encoder", "decoder", "init"});
    std::vector<int64_t> shape = example_shape;
    auto enc = build_part(model, "encoder", shape);
    auto dec = build_part(model, "decoder", shape);
    STRATA_CHECK(shape.empty() || shape == example_shape, model.where(), ": the decoder outputs ", Shape(shape).str(),
                 " but the input is ", Shape(example_shape).str(), " (batch dim left out)");
    return std::make_shared<nn::Autoencoder>(enc, dec);
  }
  if (task.type == "vae") {
    model.check_keys({"encoder", "decoder", "latent_dim", "init"});
    const int64_t latent = model.at("latent_dim").as_int(1, 1 << 20);
    std::vector<int64_t> shape = example_shape;
    auto enc = build_part(model, "encoder", shape);
    STRATA_CHECK(shape.empty() || shape == std::vector<int64_t>{2 * latent}, model.at("encoder").where(),
                 ": the encoder must output 2 * latent_dim = ", 2 * latent, " features ([mu | logvar]), got ",
                 Shape(shape).str());
    shape = {latent};
    auto dec = build_part(model, "decoder", shape);
    STRATA_CHECK(shape.empty() || shape == example_shape, model.at("decoder").where(), ": the decoder outputs ",
                 Shape(shape).str(), " but the input is ", Shape(example_shape).str());
    return std::make_shared<nn::VAE>(enc, dec, latent);
  }
  if (task.type == "gan") {
    model.check_keys({"generator", "discriminator", "noise_dim", "noise_shape", "init"});
    std::vector<int64_t> noise;
    if (const Json* s = model.find("noise_shape")) {
      STRATA_CHECK(!model.contains("noise_dim"), model.where(), ": give \"noise_dim\" or \"noise_shape\", not both");
      STRATA_CHECK(s->is_array() && s->size() > 0, s->where(), ": expected a list of sizes");
      for (const Json& d : s->elements()) noise.push_back(d.as_int(1, 1 << 20));
    } else {
      noise = {model.at("noise_dim").as_int(1, 1 << 20)};
    }
    std::vector<int64_t> shape = noise;
    auto gen = build_part(model, "generator", shape);
    STRATA_CHECK(shape == example_shape, model.at("generator").where(), ": the generator outputs ", Shape(shape).str(),
                 " but the data's examples are ", Shape(example_shape).str());
    std::vector<int64_t> dshape = example_shape;
    auto disc = build_part(model, "discriminator", dshape);
    STRATA_CHECK(dshape == std::vector<int64_t>{1}, model.at("discriminator").where(),
                 ": the discriminator must output one logit per example (shape (1)), got ", Shape(dshape).str());
    return std::make_shared<nn::GAN>(gen, disc, noise);
  }
  STRATA_FAIL(model.where(), ": build_task_model needs a non-supervised task, got \"", task.type, "\"");
}

}  // namespace strata::tools
