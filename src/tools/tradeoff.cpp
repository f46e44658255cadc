// run_tradeoff: the config's model at each width or depth, trained with one seed and budget, measured and put on
// Pareto fronts; scale_model_spec's rules are in strata/tools/tradeoff.h.
#include "strata/tools/tradeoff.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/diag/report.h"
#include "strata/diag/summary.h"
#include "strata/diag/tradeoff.h"
#include "strata/io/atomic_file.h"
#include "strata/nn/quantized.h"
#include "strata/ops/creation.h"
#include "strata/tools/model_builder.h"
#include "strata/tools/run.h"

namespace strata::tools {

using io::Json;

namespace {

const char* axis_name(ScaleAxis a) { return a == ScaleAxis::Width ? "width" : "depth"; }

int64_t scaled(int64_t size, int64_t value, int64_t base) {
  return std::max<int64_t>(
      1, std::llround(static_cast<double>(size) * static_cast<double>(value) / static_cast<double>(base)));
}

std::vector<int64_t> sizes(const Json& o, const std::string& key, std::vector<int64_t> fallback) {
  const Json* v = o.find(key);
  if (!v) return fallback;
  std::vector<int64_t> out;
  for (const Json& e : v->elements()) out.push_back(e.as_int(1, INT64_MAX));
  return out;
}

Json int_array(const std::vector<int64_t>& v) {
  Json a = Json::array();
  for (int64_t x : v) a.push_back(x);
  return a;
}

// Width of a "layers" list: see the header.
Json scale_layers(const Json& layers, int64_t w) {
  STRATA_CHECK(layers.is_array(), layers.where(), ": expected a list of layers");
  size_t last_linear = layers.size();
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers.at(i).is_object() && layers.at(i).get_or("type", "") == "Linear") last_linear = i;
  }
  int64_t base = 0;
  bool scaled_before = false;
  Json out = Json::array();
  for (size_t i = 0; i < layers.size(); ++i) {
    Json l = layers.at(i);
    const std::string type = l.is_object() ? l.get_or("type", "") : "";
    const char* key = type == "Linear" && i != last_linear ? "out_features"
                      : type == "Conv2d"                   ? "out_channels"
                                                           : nullptr;
    if (scaled_before) {
      // Later layers read their input sizes from the scaled outputs: the builder infers them.
      Json pruned = Json::object();
      for (const std::string& k : l.keys()) {
        if (k != "in_features" && k != "in_channels" && k != "num_features") pruned.set(k, l.at(k));
      }
      l = pruned;
    }
    if (key && l.contains(key)) {
      const int64_t size = l.at(key).as_int(1, INT64_MAX);
      if (base == 0) base = size;
      l.set(key, scaled(size, w, base));
      scaled_before = true;
    }
    out.push_back(l);
  }
  STRATA_CHECK(base > 0, layers.where(), ": no Linear (before the output layer) or Conv2d to scale the width of");
  return out;
}

}  // namespace

Json scale_model_spec(const Json& model, ScaleAxis axis, int64_t value) {
  STRATA_CHECK(value >= 1, "[tradeoff] a ", axis_name(axis), " must be at least 1, got ", value);
  STRATA_CHECK(model.is_object(), model.where(), ": expected a model object");
  Json m = model;
  const std::string arch = model.contains("architecture") ? model.at("architecture").as_string() : "";
  if (arch == "mlp") {
    std::vector<int64_t> h = sizes(model, "hidden", {512, 256});
    STRATA_CHECK(!h.empty(), model.where(), ": an mlp without hidden layers has no width or depth to scale");
    if (axis == ScaleAxis::Width) {
      const int64_t base = h[0];
      for (int64_t& x : h) x = scaled(x, value, base);
    } else {
      h.assign(static_cast<size_t>(value), h[0]);
    }
    m.set("hidden", int_array(h));
    return m;
  }
  STRATA_CHECK(axis == ScaleAxis::Width, model.where(), ": ",
               arch.empty() ? std::string("a \"layers\" list") : "architecture \"" + arch + "\"",
               " has no depth rule (depth scales \"mlp\" models); use --widths");
  if (arch == "lenet5") {
    std::vector<int64_t> c = sizes(model, "channels", {6, 16});
    STRATA_CHECK(c.size() == 2, model.where(), ": expected two channel counts");
    m.set("channels", int_array({value, scaled(c[1], value, c[0])}));
  } else if (arch == "resnet_small") {
    m.set("width", value);
  } else if (arch.empty()) {
    m.set("layers", scale_layers(model.at("layers"), value));
  } else {
    STRATA_FAIL(model.where(), ": no width rule for architecture \"", arch, "\"");
  }
  return m;
}

namespace {

// Parameters and buffers in bytes; a quantized layer counts what it stores (int8 weights, scales, biases).
int64_t weight_bytes(nn::Module& m) {
  auto bytes = [](const std::vector<Tensor>& ts) {
    int64_t b = 0;
    for (const Tensor& t : ts) b += t.defined() ? t.numel() * static_cast<int64_t>(t.itemsize()) : 0;
    return b;
  };
  int64_t b = bytes(m.parameters(false)) + bytes(m.buffers(false));
  for (const auto& [name, sub] : m.named_children()) {
    const auto* q = dynamic_cast<const nn::QuantizedModule*>(sub.get());
    b += q != nullptr ? q->stored_bytes() : weight_bytes(*sub);
  }
  return b;
}

data::Batch first_batch(const data::DatasetPtr& ds, int64_t n) {
  data::DataLoader loader(ds, std::min<int64_t>(n, ds->size()), /*shuffle=*/false);
  return *loader.begin();
}

Tensor zeros_batch(int64_t batch, const std::vector<int64_t>& example) {
  std::vector<int64_t> shape{batch};
  shape.insert(shape.end(), example.begin(), example.end());
  return zeros(Shape(shape));
}

std::string mib(int64_t bytes) { return diag::format_bytes(bytes); }

std::string num(double v, const char* f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

Json number(double v) { return std::isfinite(v) ? Json(v) : Json(); }

std::string render_table(const TradeoffResult& r, ScaleAxis axis) {
  std::vector<std::vector<std::string>> rows = {
      {axis_name(axis), r.metric + " (" + r.split + ")", "params", "FLOPs/ex", "lat b1 ms", "lat b64 ms", "train mem",
       "accum mem (" + std::to_string(r.accumulation_steps) + "x)", "infer mem b64", "train s", "front"}};
  for (const TradeoffRow& t : r.rows) {
    std::string front;
    front += t.front_params ? 'P' : '.';
    front += t.front_flops ? 'F' : '.';
    front += t.front_latency ? 'L' : '.';
    front += t.front_memory ? 'M' : '.';
    rows.push_back({std::to_string(t.value), num(t.metric, "%.4f"), diag::format_count(t.params),
                    diag::format_count(t.flops), num(t.latency_b1_ms, "%.3f"), num(t.latency_b64_ms, "%.3f"),
                    mib(t.train_memory_bytes), mib(t.accumulated_memory_bytes), mib(t.inference_memory_bytes),
                    num(t.train_seconds, "%.1f"), front});
  }
  std::vector<size_t> w(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], row[c].size());
  }
  std::ostringstream os;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t c = 0; c < rows[i].size(); ++c) {
      os << (c ? "  " : "") << std::string(w[c] - rows[i][c].size(), ' ') << rows[i][c];
    }
    os << "\n";
  }
  os << "front: on the Pareto front of " << r.metric << " against P params, F FLOPs, L batch-1 latency, M training "
     << "memory ('.' = dominated)\n";
  os << "memory: allocator peaks above the model; train mem = one step at batch " << r.batch_size << ", accum mem = "
     << "the same batch as " << r.accumulation_steps << " micro-batches of " << r.batch_size / r.accumulation_steps
     << "\n";
  os << "gradient accumulation, " << r.accumulation_steps << " x " << r.batch_size / r.accumulation_steps
     << " instead of " << r.batch_size << " at once (peak of one step):\n";
  for (const TradeoffRow& t : r.rows) {
    const double change = t.train_memory_bytes > 0
                              ? 100.0 * static_cast<double>(t.accumulated_memory_bytes - t.train_memory_bytes) /
                                    static_cast<double>(t.train_memory_bytes)
                              : 0.0;
    os << "  " << axis_name(axis) << " " << t.value << ": " << mib(t.train_memory_bytes) << " -> "
       << mib(t.accumulated_memory_bytes) << " (" << (change > 0 ? "+" : "") << num(change, "%.0f") << "%)\n";
  }
  bool any = false;
  for (const TradeoffRow& t : r.rows) {
    for (const TradeoffVariantResult& v : t.variants) {
      if (!any) os << "variants of the front's models:\n";
      any = true;
      os << "  " << axis_name(axis) << " " << t.value << "  " << v.name << ": " << r.metric << " "
         << num(v.metric, "%.4f") << ", lat b1 " << num(v.latency_b1_ms, "%.3f") << " ms, lat b64 "
         << num(v.latency_b64_ms, "%.3f") << " ms, weights " << mib(v.weight_bytes) << "\n";
    }
  }
  return os.str();
}

}  // namespace

TradeoffResult run_tradeoff(const RunConfig& config, const TradeoffOptions& options) {
  STRATA_CHECK(!options.values.empty(), "[tradeoff] no ", axis_name(options.axis), "s given");
  STRATA_CHECK(config.task.supervised(), "[tradeoff] needs a supervised config (this one's task is not)");
  STRATA_CHECK(!options.epochs || *options.epochs >= 1, "[tradeoff] --epochs must be at least 1");
  STRATA_CHECK(options.budget_seconds >= 0, "[tradeoff] --budget-seconds must not be negative");
  std::vector<diag::TradeoffVariant> variants;
  if (options.variants.empty()) {
    variants = diag::tradeoff_variants();
  } else {
    for (const std::string& n : options.variants) variants.push_back(diag::find_tradeoff_variant(n));
  }
  for (int64_t v : options.values) (void)scale_model_spec(config.model, options.axis, v);  // errors before training

  TradeoffResult r;
  const Datasets data = load_datasets(config);
  r.higher_is_better = data.classification;
  r.metric = data.classification ? "accuracy" : "loss";
  const data::DatasetPtr split = data.test ? data.test : data.val ? data.val : data.train;
  r.split = data.test ? "test" : data.val ? "validation" : "train";
  const int64_t k = options.accumulation_steps > 0  ? options.accumulation_steps
                    : config.accumulation_steps > 1 ? config.accumulation_steps
                                                    : 4;
  r.accumulation_steps = k;
  r.batch_size = std::max<int64_t>(k, config.batch_size / k * k);
  const data::Batch train_batch = first_batch(data.train, r.batch_size);
  STRATA_CHECK(train_batch.input.size(0) == r.batch_size, "[tradeoff] the training set (", data.train->size(),
               " examples) is smaller than the batch of ", r.batch_size);
  const Tensor calibration = first_batch(data.train, 256).input;
  auto loss = build_loss(config.loss, data.classification ? dataset_targets(*data.train) : Tensor(), data.num_classes);

  std::vector<nn::ModulePtr> models;
  std::vector<io::Json> specs;
  for (int64_t value : options.values) {
    RunConfig c = config;
    c.model = scale_model_spec(config.model, options.axis, value);
    if (options.epochs) c.epochs = *options.epochs;
    if (options.out) *options.out << "training " << axis_name(options.axis) << " " << value << " ..." << std::flush;
    RunOptions ro;
    ro.out = nullptr;
    ro.write_files = false;
    ro.max_seconds = options.budget_seconds;
    RunResult run = run_training(c, ro);  // seeds with config.seed: every size starts from the same RNG state
    TradeoffRow row;
    row.value = value;
    for (double sec : run.epoch_seconds) row.train_seconds += sec;  // the epochs themselves, not loading data
    nn::Module& m = *run.model;
    const Evaluation e = evaluate_model(m, c, data, split);
    row.metric = data.classification ? e.report.accuracy : e.logs.at("loss");
    row.params = m.num_parameters();
    row.flops = diag::summarize(m, Shape(zeros_batch(1, data.example_shape).shape())).flops;
    const Tensor x1 = zeros_batch(1, data.example_shape), x64 = zeros_batch(64, data.example_shape);
    row.latency_b1_ms = diag::inference_latency_ms(m, x1, options.latency_repeats);
    row.latency_b64_ms = diag::inference_latency_ms(m, x64, options.latency_repeats);
    {
      m.eval();
      NoGradGuard no_grad;
      (void)m(x64);  // warm-up
      row.inference_memory_bytes = diag::peak_allocated_during([&] { (void)m(x64); });
    }
    if (options.out) *options.out << " " << r.metric << " " << num(row.metric, "%.4f") << "\n";
    r.rows.push_back(row);
    models.push_back(run.model);
    specs.push_back(c.model);
  }

  std::vector<double> quality;
  for (const TradeoffRow& t : r.rows) quality.push_back(r.higher_is_better ? t.metric : -t.metric);
  auto front = [&](auto cost_of) {
    std::vector<double> cost;
    for (const TradeoffRow& t : r.rows) cost.push_back(static_cast<double>(cost_of(t)));
    return diag::pareto_front(quality, cost);
  };
  // Training memory is measured below, after the variants: a training step moves batch-norm statistics.
  const auto fp = front([](const TradeoffRow& t) { return t.params; });
  const auto ff = front([](const TradeoffRow& t) { return t.flops; });
  const auto fl = front([](const TradeoffRow& t) { return t.latency_b1_ms; });
  for (size_t i = 0; i < r.rows.size(); ++i) {
    TradeoffRow& t = r.rows[i];
    t.front_params = fp[i];
    t.front_flops = ff[i];
    t.front_latency = fl[i];
    if (!(fp[i] || ff[i] || fl[i])) continue;
    for (const diag::TradeoffVariant& v : variants) {
      const diag::ModelCopy copy = [&] {
        nn::ModulePtr m = build_model(specs[i], data.example_shape);
        m->load_state_dict(models[i]->state_dict());
        m->eval();
        return m;
      };
      nn::ModulePtr vm = v.make(models[i], calibration, copy);
      STRATA_CHECK(vm != nullptr, "[tradeoff] variant \"", v.name, "\" returned no model");
      TradeoffVariantResult vr;
      vr.name = v.name;
      const Evaluation ve = evaluate_model(*vm, config, data, split);
      vr.metric = data.classification ? ve.report.accuracy : ve.logs.at("loss");
      vr.latency_b1_ms = diag::inference_latency_ms(*vm, zeros_batch(1, data.example_shape), options.latency_repeats);
      vr.latency_b64_ms = diag::inference_latency_ms(*vm, zeros_batch(64, data.example_shape), options.latency_repeats);
      vr.weight_bytes = weight_bytes(*vm);
      t.variants.push_back(vr);
    }
  }
  for (size_t i = 0; i < r.rows.size(); ++i) {
    models[i]->train();
    const diag::AccumulationMemory am =
        diag::accumulation_memory(*models[i], *loss, train_batch.input, train_batch.target, k);
    r.rows[i].train_memory_bytes = am.direct_peak_bytes;
    r.rows[i].accumulated_memory_bytes = am.accumulated_peak_bytes;
  }
  const auto fm = front([](const TradeoffRow& t) { return t.train_memory_bytes; });
  for (size_t i = 0; i < r.rows.size(); ++i) r.rows[i].front_memory = fm[i];
  r.table = render_table(r, options.axis);

  // results.json and the report's data.
  Json rows = Json::array();
  for (const TradeoffRow& t : r.rows) {
    Json o = Json::object({{axis_name(options.axis), t.value},
                           {"metric", number(t.metric)},
                           {"params", t.params},
                           {"flops", t.flops},
                           {"latency_b1_ms", number(t.latency_b1_ms)},
                           {"latency_b64_ms", number(t.latency_b64_ms)},
                           {"train_memory_bytes", t.train_memory_bytes},
                           {"accumulated_memory_bytes", t.accumulated_memory_bytes},
                           {"inference_memory_bytes", t.inference_memory_bytes},
                           {"train_seconds", number(t.train_seconds)},
                           {"front", Json::object({{"params", t.front_params},
                                                   {"flops", t.front_flops},
                                                   {"latency_b1_ms", t.front_latency},
                                                   {"train_memory_bytes", t.front_memory}})}});
    Json vs = Json::array();
    for (const TradeoffVariantResult& v : t.variants) {
      vs.push_back(Json::object({{"name", v.name},
                                 {"metric", number(v.metric)},
                                 {"latency_b1_ms", number(v.latency_b1_ms)},
                                 {"latency_b64_ms", number(v.latency_b64_ms)},
                                 {"weight_bytes", v.weight_bytes}}));
    }
    o.set("variants", vs);
    rows.push_back(o);
  }
  r.json = Json::object({{"name", config.name},
                         {"axis", axis_name(options.axis)},
                         {"metric", r.metric},
                         {"split", r.split},
                         {"higher_is_better", r.higher_is_better},
                         {"epochs", options.epochs ? *options.epochs : config.epochs},
                         {"budget_seconds", options.budget_seconds},
                         {"seed", static_cast<int64_t>(config.seed)},
                         {"batch_size", r.batch_size},
                         {"accumulation_steps", k},
                         {"models", rows}});
  if (options.write_files) {
    r.output_dir =
        options.output_dir.empty() ? config.output_dir + "/" + config.name + "_tradeoff" : options.output_dir;
    std::filesystem::create_directories(r.output_dir);
    const std::string text = r.json.dump(2) + "\n";
    io::AtomicFile f(r.output_dir + "/results.json");
    f.write(text.data(), text.size());
    f.commit();
    Json report = Json::object({{"title", "Tradeoff: " + config.name},
                                {"subtitle", std::string(r.metric) + " on the " + r.split + " split against cost, by " +
                                                 axis_name(options.axis)},
                                {"summary", r.table},
                                {"tradeoff", r.json}});
    diag::write_report(report, r.output_dir + "/report.html");
  }
  return r;
}

}  // namespace strata::tools
