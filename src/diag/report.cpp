// The training report: turns the report data (see report.h) into one self-contained HTML page of inline SVG.
#include "strata/diag/report.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "diag/report_parts.h"
#include "diag/svg_plot.h"
#include "strata/core/error.h"
#include "strata/io/atomic_file.h"

namespace strata::diag {

namespace {

using io::Json;
using svg::escape;
using namespace report_parts;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kTrainColor = "#1f77b4";
constexpr const char* kValColor = "#ff7f0e";

// ---- per-epoch and per-step curves ----

struct Epochs {
  std::vector<double> epoch;
  std::vector<std::string> keys;  // numeric keys in order of first appearance
  std::vector<double> column(const Json& epochs, const std::string& key) const {
    std::vector<double> out;
    for (const Json& rec : epochs.elements()) {
      const Json* v = rec.find(key);
      out.push_back(v && v->is_number() ? v->as_double() : kNaN);
    }
    return out;
  }
};

Epochs read_epochs(const Json& epochs) {
  STRATA_CHECK(epochs.is_array(), "[report] ", epochs.where(), ": expected a list of epoch records, got ",
               epochs.type_name());
  Epochs e;
  size_t i = 0;
  for (const Json& rec : epochs.elements()) {
    STRATA_CHECK(rec.is_object(), "[report] ", rec.where(), ": expected an epoch record (object), got ",
                 rec.type_name());
    const Json* ep = rec.find("epoch");
    e.epoch.push_back(ep && ep->is_number() ? ep->as_double() : static_cast<double>(i + 1));
    for (const std::string& k : rec.keys()) {
      const Json& v = rec.at(k);
      if (!(v.is_number() || v.is_null())) continue;  // text columns (a timestamp) are not plotted
      if (std::find(e.keys.begin(), e.keys.end(), k) == e.keys.end()) e.keys.push_back(k);
    }
    ++i;
  }
  return e;
}

bool has(const std::vector<std::string>& keys, const std::string& k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

std::string loss_section(const Json& data) {
  std::string plots;
  if (const Json* ep = data.find("epochs")) {
    Epochs e = read_epochs(*ep);
    std::vector<svg::Series> s;
    if (has(e.keys, "loss")) s.push_back({"train loss", e.epoch, e.column(*ep, "loss"), kTrainColor});
    if (has(e.keys, "val_loss")) s.push_back({"validation loss", e.epoch, e.column(*ep, "val_loss"), kValColor, true});
    if (!s.empty()) plots += svg::line_plot(s, plot_opts("Loss per epoch", "epoch", "loss"));
  }
  if (const Json* st = data.find("steps")) {
    if (const Json* loss = st->find("loss")) {
      std::vector<double> y = numbers(*loss);
      std::vector<double> x = st->find("step") ? numbers(st->at("step")) : iota_like(y.size());
      plots += svg::line_plot({{"", x, y, kTrainColor}}, plot_opts("Training loss per step", "step", "loss"));
    }
  }
  if (plots.empty()) return "";
  return section("loss", "Loss",
                 "Training loss should fall; validation loss that turns upward while training loss keeps falling "
                 "means overfitting. Gaps are non-finite values (NaN or inf).",
                 grid(plots));
}

std::string metrics_section(const Json& data) {
  const Json* ep = data.find("epochs");
  if (!ep) return "";
  Epochs e = read_epochs(*ep);
  std::string plots;
  for (const std::string& k : e.keys) {
    if (k == "epoch" || k == "lr" || k == "loss" || k == "val_loss") continue;
    bool is_val = k.rfind("val_", 0) == 0;
    if (is_val && has(e.keys, k.substr(4))) continue;  // drawn with its training twin
    std::vector<svg::Series> s;
    std::string base = is_val ? k.substr(4) : k;
    if (!is_val) s.push_back({"train", e.epoch, e.column(*ep, k), kTrainColor});
    if (has(e.keys, "val_" + base)) s.push_back({"validation", e.epoch, e.column(*ep, "val_" + base), kValColor, true});
    plots += svg::line_plot(s, plot_opts(base, "epoch", base));
  }
  if (plots.empty()) return "";
  return section("metrics", "Metrics",
                 "Every other per-epoch number, training (solid) beside validation (dashed). A widening gap "
                 "between them is the generalisation gap.",
                 grid(plots));
}

std::string lr_section(const Json& data) {
  std::string plots;
  if (const Json* ep = data.find("epochs")) {
    Epochs e = read_epochs(*ep);
    if (has(e.keys, "lr")) {
      plots += svg::line_plot({{"", e.epoch, e.column(*ep, "lr"), kTrainColor}},
                              plot_opts("Learning rate per epoch", "epoch", "learning rate", true));
    }
  }
  if (const Json* st = data.find("steps")) {
    if (const Json* lr = st->find("lr")) {
      std::vector<double> y = numbers(*lr);
      std::vector<double> x = st->find("step") ? numbers(st->at("step")) : iota_like(y.size());
      plots +=
          svg::line_plot({{"", x, y, kTrainColor}}, plot_opts("Learning rate per step", "step", "learning rate", true));
    }
  }
  if (plots.empty()) return "";
  return section("lr", "Learning rate", "The schedule the optimizer actually used (log scale).", grid(plots));
}

// ---- per-layer series ----

struct Layer {
  std::string name;   // "features.0"
  std::string label;  // "features.0 (Conv2d)"
  const Json* json;
};

std::vector<Layer> read_layers(const Json& data) {
  std::vector<Layer> out;
  const Json* layers = data.find("layers");
  if (!layers) return out;
  STRATA_CHECK(layers->is_array(), "[report] ", layers->where(), ": expected a list of layers, got ",
               layers->type_name());
  size_t i = 0;
  for (const Json& l : layers->elements()) {
    STRATA_CHECK(l.is_object(), "[report] ", l.where(), ": expected a layer record (object), got ", l.type_name());
    std::string name = text_or(l, "name");
    if (name.empty()) name = "layer " + std::to_string(i);
    std::string type = text_or(l, "type");
    std::string label = name;
    if (!type.empty()) label += " (" + type + ")";
    out.push_back({name, label, &l});
    ++i;
  }
  return out;
}

bool any_layer_has(const std::vector<Layer>& layers, const std::string& key) {
  return std::any_of(layers.begin(), layers.end(), [&](const Layer& l) { return l.json->contains(key); });
}

// One line per layer that has `key`, coloured by depth (dark = first layer).
std::vector<svg::Series> layer_series(const std::vector<Layer>& layers, const std::string& key) {
  std::vector<svg::Series> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Json* v = layers[i].json->find(key);
    if (!v) continue;
    std::vector<double> y = numbers(*v);
    const Json* st = layers[i].json->find("step");
    std::vector<double> x = st ? numbers(*st) : iota_like(y.size());
    out.push_back({layers[i].label, std::move(x), std::move(y), svg::ramp_color(i, layers.size())});
  }
  return out;
}

std::string layer_plot(const std::vector<Layer>& layers, const std::string& key, const std::string& title,
                       const std::string& y_label, bool log_y, double y_min = kNaN, double y_max = kNaN,
                       std::vector<svg::Mark> y_marks = {}) {
  if (!any_layer_has(layers, key)) return "";
  svg::PlotOptions o = plot_opts(title, "step", y_label, log_y);
  o.y_min = y_min;
  o.y_max = y_max;
  o.y_marks = std::move(y_marks);
  return svg::line_plot(layer_series(layers, key), o);
}

constexpr const char* kDepthNote =
    " Lines are coloured by depth: dark purple is the first layer, green-yellow the last.";

std::string gradient_section(const std::vector<Layer>& layers) {
  if (!any_layer_has(layers, "grad_norm")) return "";
  std::string plots = layer_plot(layers, "grad_norm", "Gradient norm per layer", "gradient norm (log)", true);
  std::vector<svg::Bar> bars;
  for (const Layer& l : layers) {
    const Json* v = l.json->find("grad_norm");
    if (!v) continue;
    std::vector<double> y = numbers(*v);
    double last = y.empty() ? kNaN : y.back();
    for (size_t i = y.size(); i-- > 0;) {
      if (std::isfinite(y[i])) {
        last = y[i];
        break;
      }
    }
    bars.push_back({l.name, last});
  }
  svg::PlotOptions o = plot_opts("Latest gradient norm, first layer to last", "", "gradient norm (log)", true);
  plots += svg::bar_plot(bars, o);
  return section("gradients", "Gradient flow",
                 std::string("How large each layer's gradient is. Healthy networks keep the layers within a "
                             "few powers of ten of each other; bars that fall steadily towards the input mean "
                             "vanishing gradients, bars that climb (or lines that shoot up) mean exploding ones.") +
                     kDepthNote,
                 grid(plots));
}

std::string update_section(const std::vector<Layer>& layers) {
  std::string plots = layer_plot(layers, "update_ratio", "Update-to-weight ratio", "|update| / |weight| (log)", true,
                                 kNaN, kNaN, {{1e-3, "1e-3 rule of thumb"}});
  plots += layer_plot(layers, "weight_norm", "Weight norm per layer", "weight norm", false);
  if (plots.empty()) return "";
  return section("updates", "Update-to-weight ratio",
                 std::string("How much one optimizer step changes each layer, relative to its size. Around 1e-3 "
                             "is a common rule of thumb: far below, the layer barely learns (LR too low); near "
                             "1e-1 or above, steps are too big and training can become unstable.") +
                     kDepthNote,
                 grid(plots));
}

std::string activation_section(const std::vector<Layer>& layers) {
  std::string plots = layer_plot(layers, "act_mean", "Activation mean", "mean", false);
  plots += layer_plot(layers, "act_std", "Activation standard deviation", "std", false);
  if (plots.empty()) return "";
  return section("activations", "Activations",
                 std::string("Mean and spread of each layer's output. A spread that shrinks towards zero layer "
                             "after layer means signals are dying out; one that grows without bound means they "
                             "blow up.") +
                     kDepthNote,
                 grid(plots));
}

std::string histogram_section(const std::vector<Layer>& layers) {
  std::string plots;
  for (const Layer& l : layers) {
    const Json* h = l.json->find("histogram");
    if (!h) continue;
    STRATA_CHECK(h->is_object(), "[report] ", h->where(), ": expected {\"edges\": [..], \"counts\": [..]}, got ",
                 h->type_name());
    std::vector<double> edges = numbers_or_empty(h->find("edges"));
    std::vector<double> counts = numbers_or_empty(h->find("counts"));
    STRATA_CHECK(edges.empty() || edges.size() == counts.size() + 1, "[report] ", h->where(),
                 ": a histogram needs one more edge than counts, got ", edges.size(), " edges and ", counts.size(),
                 " counts");
    svg::PlotOptions o;
    o.title = l.label;
    o.width = 270;
    o.height = 170;
    plots += svg::histogram_plot(edges, counts, o);
  }
  if (plots.empty()) return "";
  return section("histograms", "Activation histograms",
                 "The distribution of each layer's outputs at the last sample. A tall spike at zero after a ReLU "
                 "means dead units; piles at the ends of a tanh or sigmoid range mean saturation.",
                 "<div class=\"grid small\">" + plots + "</div>");
}

std::string dead_section(const std::vector<Layer>& layers) {
  std::string plots = layer_plot(layers, "dead_fraction", "Dead fraction", "share of units", false, 0.0, 1.0);
  plots += layer_plot(layers, "saturated_fraction", "Saturated fraction", "share of units", false, 0.0, 1.0);
  if (plots.empty()) return "";
  return section("dead", "Dead and saturated units",
                 std::string("Dead: the share of units that output zero for every example of a batch (a ReLU "
                             "stuck off; it gets no gradient and stops learning). Saturated: the share stuck at "
                             "the flat ends of tanh or sigmoid, where the gradient is close to zero. A few percent "
                             "is normal; a large or growing share wastes the layer.") +
                     kDepthNote,
                 grid(plots));
}

// ---- findings, summary, confusion, LR finder, landscape ----

std::string findings_section(const Json& data) {
  const Json* findings = data.find("findings");
  const Json* healthy = data.find("healthy_note");
  if (!findings && !healthy) return "";
  std::string out;
  size_t n = 0;
  if (findings) {
    STRATA_CHECK(findings->is_array(), "[report] ", findings->where(), ": expected a list of findings, got ",
                 findings->type_name());
    n = findings->size();
    for (const Json& f : findings->elements()) {
      STRATA_CHECK(f.is_object(), "[report] ", f.where(), ": expected a finding (object), got ", f.type_name());
      std::string sev = text_or(f, "severity");
      std::string sev_class = (sev == "error" || sev == "warning") ? sev : "info";
      std::string where;
      if (const Json* ls = f.find("layers")) {
        std::string names;
        if (ls->is_array()) {
          for (const Json& l : ls->elements()) names += (names.empty() ? "" : ", ") + text_of(l);
        } else {
          names = text_of(*ls);
        }
        if (!names.empty()) where += "layers: " + names;
      }
      std::string step = text_or(f, "step");
      if (!step.empty()) where += (where.empty() ? "" : " \xC2\xB7 ") + std::string("step ") + step;
      out += "<div class=\"finding " + sev_class + R"("><div class="fhead"><span class="badge">)" +
             escape(sev.empty() ? "info" : sev) + "</span> <code>" + escape(text_or(f, "id")) + "</code>";
      if (!where.empty()) out += " <span class=\"where\">" + escape(where) + "</span>";
      out += "</div><dl>";
      for (const auto& [key, label] : {std::pair<const char*, const char*>{"evidence", "Evidence"},
                                       {"cause", "Likely cause"},
                                       {"remedy", "What to try"}}) {
        std::string t = text_or(f, key);
        if (!t.empty()) out += std::string("<dt>") + label + "</dt><dd>" + escape(t) + "</dd>";
      }
      out += "</dl></div>";
    }
  }
  if (n == 0) {
    std::string note = healthy ? text_of(*healthy) : "No problems found.";
    out += R"(<div class="finding healthy"><div class="fhead"><span class="badge">healthy</span></div><p>)" +
           escape(note) + "</p></div>";
  }
  return section("findings", "Findings",
                 "What the training doctor noticed, most useful first: the measurement (evidence), what usually "
                 "causes it, and what to try.",
                 out);
}

// Pictures a run wrote (sample grids, reconstructions), inline as data: URIs.
std::string images_section(const Json& data) {
  const Json* images = data.find("images");
  if (!images || !images->is_array() || images->size() == 0) return "";
  std::string out = "<div class=\"grid\">";
  for (const Json& i : images->elements()) {
    STRATA_CHECK(i.is_object(), "[report] ", i.where(), ": expected {\"title\", \"png_base64\"}, got ", i.type_name());
    out += "<figure><img alt=\"" + escape(text_or(i, "title")) + "\" src=\"data:image/png;base64," +
           text_or(i, "png_base64") + "\"><figcaption><b>" + escape(text_or(i, "title")) + "</b> (" +
           escape(text_or(i, "file")) + "). " + escape(text_or(i, "caption")) + "</figcaption></figure>";
  }
  out += "</div>";
  return section("images", "Samples", "What the model generates or reconstructs, at the end of training.", out);
}

// Generated samples measured at each epoch end (mode coverage, class coverage, diversity).
std::string sample_checks_section(const Json& data) {
  const Json* checks = data.find("sample_checks");
  if (!checks || !checks->is_array() || checks->size() == 0) return "";
  std::vector<double> epoch, modes, classes, diversity;
  for (const Json& c : checks->elements()) {
    epoch.push_back(c.find("epoch") ? c.at("epoch").as_double() : static_cast<double>(epoch.size() + 1));
    auto val = [&](const char* k) {
      const Json* v = c.find(k);
      return v && v->is_number() ? v->as_double() : std::nan("");
    };
    modes.push_back(val("modes_covered"));
    classes.push_back(val("classes_covered"));
    diversity.push_back(val("diversity_ratio"));
  }
  std::string plots;
  auto any = [](const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  if (any(modes))
    plots += svg::line_plot({{"", epoch, modes, kTrainColor}}, plot_opts("Modes covered", "epoch", "modes"));
  if (any(classes))
    plots += svg::line_plot({{"", epoch, classes, kTrainColor}}, plot_opts("Classes covered", "epoch", "classes"));
  if (any(diversity))
    plots +=
        svg::line_plot({{"", epoch, diversity, kTrainColor}}, plot_opts("Sample diversity / data's", "epoch", "ratio"));
  if (plots.empty()) return "";
  return section("sample_checks", "Sample coverage",
                 "Generated samples measured after every epoch: a GAN that covers fewer modes or classes over time, "
                 "or whose samples grow alike (diversity ratio well below 1), is collapsing.",
                 grid(plots));
}

std::string summary_section(const Json& data) {
  const Json* s = data.find("summary");
  if (!s) return "";
  return section("summary", "Model summary", "Layers, output shapes and parameter counts.",
                 "<pre>" + escape(text_of(*s)) + "</pre>");
}

// Scatter plots of the metric against each cost; the Pareto front's models joined by a line in cost order.
std::string tradeoff_section(const Json& data) {
  const Json* t = data.find("tradeoff");
  if (!t) return "";
  const std::string metric = text_or(*t, "metric");
  const Json& models = t->at("models");
  const std::string axis = text_or(*t, "axis");
  struct Cost {
    const char* key;
    const char* label;
    bool log;
  };
  const Cost costs[] = {{"params", "parameters", true},
                        {"flops", "forward FLOPs per example", true},
                        {"latency_b1_ms", "batch-1 latency (ms)", false},
                        {"train_memory_bytes", "training step peak memory (bytes)", false}};
  std::string plots;
  for (const Cost& c : costs) {
    svg::Series all{"models", {}, {}}, front{"Pareto front", {}, {}};
    all.markers_only = true;
    std::vector<std::pair<double, double>> fp;
    for (const Json& m : models.elements()) {
      const Json* x = m.find(c.key);
      const Json* y = m.find("metric");
      if (!x || !y || !x->is_number() || !y->is_number()) continue;
      all.x.push_back(x->as_double());
      all.y.push_back(y->as_double());
      const Json* f = m.find("front");
      if (f && f->find(c.key) && f->at(c.key).as_bool()) fp.emplace_back(x->as_double(), y->as_double());
    }
    std::sort(fp.begin(), fp.end());
    for (const auto& [x, y] : fp) {
      front.x.push_back(x);
      front.y.push_back(y);
    }
    svg::PlotOptions o = plot_opts(metric + " vs " + c.label, c.label, metric);
    o.log_x = c.log;
    plots += svg::line_plot({all, front}, o);
  }
  return section("tradeoff", "Compute against " + metric,
                 "One point per model " + axis + "; the line joins the models no other beats on both axes.",
                 grid(plots));
}

std::string confusion_section(const Json& data) {
  const Json* c = data.find("confusion");
  if (!c) return "";
  STRATA_CHECK(c->is_object(), "[report] ", c->where(), ": expected {\"classes\", \"matrix\"}, got ", c->type_name());
  std::vector<std::vector<double>> m;
  if (const Json* rows = c->find("matrix")) {
    STRATA_CHECK(rows->is_array(), "[report] ", rows->where(), ": expected a list of rows, got ", rows->type_name());
    for (const Json& r : rows->elements()) m.push_back(numbers(r));
  }
  std::vector<std::string> classes;
  if (const Json* cl = c->find("classes")) {
    STRATA_CHECK(cl->is_array(), "[report] ", cl->where(), ": expected a list of class names, got ", cl->type_name());
    for (const Json& n : cl->elements()) classes.push_back(text_of(n));
  }
  for (size_t i = classes.size(); i < m.size(); ++i) classes.push_back(std::to_string(i));
  svg::HeatmapStyle style;
  style.show_values = m.size() <= 15;
  style.row_normalize = true;
  style.sequential_blue = true;
  svg::PlotOptions o = plot_opts("Confusion matrix (shaded by share of each true class)", "predicted", "true class");
  o.width = 600;
  o.height = 560;
  return section("confusion", "Confusion matrix",
                 "Rows are the true class, columns the prediction; numbers are counts, shading is the share of "
                 "the row. A dark diagonal is good; dark cells off it show which classes get mixed up.",
                 svg::heatmap(classes, classes, m, style, o));
}

std::string lr_find_section(const Json& data) {
  const Json* lf = data.find("lr_find");
  if (!lf) return "";
  STRATA_CHECK(lf->is_object(), "[report] ", lf->where(), ": expected an object, got ", lf->type_name());
  std::vector<double> lr = numbers_or_empty(lf->find("lr"));
  std::vector<svg::Series> s;
  if (const Json* l = lf->find("loss")) s.push_back({"loss", lr, numbers(*l), "#9ecae1"});
  if (const Json* l = lf->find("smoothed")) s.push_back({"smoothed", lr, numbers(*l), kTrainColor});
  svg::PlotOptions o = plot_opts("Loss against learning rate", "learning rate (log)", "loss (log)", true);
  o.log_x = true;
  if (const Json* sug = lf->find("suggested_lr"); sug && sug->is_number()) {
    o.x_marks.push_back({sug->as_double(), "suggested " + svg::format_number(sug->as_double())});
  }
  return section("lr_find", "Learning-rate finder",
                 "Loss after short training at growing learning rates. Pick a rate on the steep downward part, "
                 "well before the loss turns up and explodes; the marked value is the finder's suggestion.",
                 grid(svg::line_plot(s, o)));
}

std::string landscape_section(const Json& data) {
  const Json* ls = data.find("landscape");
  if (!ls) return "";
  STRATA_CHECK(ls->is_object(), "[report] ", ls->where(), ": expected an object, got ", ls->type_name());
  std::string plots;
  if (const Json* line = ls->find("line")) {
    svg::PlotOptions o = plot_opts("Loss along a random direction", "step size \xCE\xB1", "loss");
    o.x_marks.push_back({0.0, "trained weights"});
    plots += svg::line_plot(
        {{"", numbers_or_empty(line->find("alpha")), numbers_or_empty(line->find("loss")), kTrainColor}}, o);
  }
  if (const Json* surf = ls->find("surface")) {
    std::vector<double> a = numbers_or_empty(surf->find("a")), b = numbers_or_empty(surf->find("b"));
    std::vector<std::vector<double>> z;
    if (const Json* rows = surf->find("loss")) {
      STRATA_CHECK(rows->is_array(), "[report] ", rows->where(), ": expected [ny][nx] losses, got ", rows->type_name());
      for (const Json& r : rows->elements()) z.push_back(numbers(r));
    }
    // Row j is b[j]; draw b increasing upwards.
    std::reverse(z.begin(), z.end());
    std::vector<std::string> xl, yl;
    for (double v : a) xl.push_back(svg::format_number(v));
    for (size_t j = b.size(); j-- > 0;) yl.push_back(svg::format_number(b[j]));
    bool positive = true;
    for (const auto& r : z) {
      for (double v : r) positive = positive && (!std::isfinite(v) || v > 0);
    }
    svg::HeatmapStyle style;
    style.bands = 12;
    style.log_color = positive;
    style.color_label = positive ? "loss (log)" : "loss";
    svg::PlotOptions o = plot_opts("Loss surface over two random directions", "direction a", "direction b");
    o.height = 360;
    plots += svg::heatmap(xl, yl, z, style, o);
  }
  std::string note = text_or(*ls, "note");
  std::string content = grid(plots);
  if (!note.empty()) content += "<p class=\"note\">" + escape(note) + "</p>";
  return section("landscape", "Loss landscape",
                 "The loss around the trained weights, moving along random (filter-normalised) directions. A wide "
                 "bowl is a flat minimum, which tends to generalise; a narrow, steep one is sharp. Colours are "
                 "banded like the contour lines of a map.",
                 content);
}

constexpr const char* kStyle = R"(<style>
body{margin:0;background:#f4f5f7;color:#222;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1220px;margin:0 auto;padding:18px 22px 48px}
h1{font-size:26px;margin:4px 0}
.sub{color:#666;margin:0 0 8px}
.status{font-weight:600;margin:6px 0}
figure{margin:0}figure img{width:100%;image-rendering:pixelated;background:#fff;border:1px solid #ddd}figcaption{font-size:13px;color:#444;margin-top:4px}
nav a{display:inline-block;margin:0 12px 4px 0;font-size:13px;color:#1f5fa8;text-decoration:none}
section{background:#fff;border:1px solid #e1e3e8;border-radius:8px;padding:12px 16px 14px;margin:14px 0}
h2{font-size:19px;margin:2px 0 2px}
.explain{color:#555;font-size:13.5px;margin:0 0 10px;max-width:980px}
.grid{display:flex;flex-wrap:wrap;gap:10px 18px}
svg.plot{max-width:100%;height:auto}
svg.plot text{font-size:11px;fill:#444}
svg.plot .title{font-size:13px;font-weight:600;fill:#222}
svg.plot .label{font-size:11.5px;fill:#555}
svg.plot .small{font-size:10px}
svg.plot .legend{font-size:10.5px}
svg.plot .gl{stroke:#ececec}
svg.plot .frame{fill:none;stroke:#b8bcc4}
svg.plot .mark{stroke:#d62728;stroke-width:1.2;stroke-dasharray:4 3}
svg.plot .marktext{fill:#d62728;font-size:10.5px}
svg.plot .nodata{fill:#999;font-size:14px}
svg.plot .bad{fill:#d62728;font-size:9px}
svg.plot .cell{font-size:10px;fill:#222}
svg.plot .cell.light{fill:#fff}
.finding{border:1px solid #e1e3e8;border-left:5px solid #1f77b4;border-radius:6px;padding:8px 12px;margin:8px 0}
.finding.error{border-left-color:#d62728}.finding.warning{border-left-color:#f0a202}.finding.healthy{border-left-color:#2ca02c}
.fhead{font-size:14px}.where{color:#666;font-size:13px;margin-left:6px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;background:#1f77b4}
.error .badge{background:#d62728}.warning .badge{background:#f0a202}.healthy .badge{background:#2ca02c}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0 0;font-size:14px}
dt{color:#666}dd{margin:0}
pre{background:#f7f7f9;border:1px solid #e6e6ea;border-radius:6px;padding:10px;overflow-x:auto;font-size:12.5px}
.note{color:#555;font-size:13.5px}
table.lab{border-collapse:collapse;font-size:13.5px;margin:4px 0 12px}
table.lab caption{text-align:left;font-weight:600;padding-bottom:4px}
table.lab th,table.lab td{border-bottom:1px solid #e6e6ea;padding:3px 12px 3px 0;text-align:right}
table.lab th:first-child,table.lab td:first-child{text-align:left}
h3{font-size:16px;margin:14px 0 4px}
</style>
)";

// Counts the plots and those that drew data, for the browser self-check: body data-plots="with data/total".
constexpr const char* kScript = R"(<script>
document.addEventListener("DOMContentLoaded", function () {
  var plots = document.querySelectorAll("svg.plot"), drawn = 0;
  for (var i = 0; i < plots.length; i++) {
    var n = parseInt(plots[i].getAttribute("data-points"), 10);
    if (n > 0 && plots[i].querySelector(".d")) drawn++;
  }
  document.body.dataset.plots = drawn + "/" + plots.length;
});
</script>
)";

}  // namespace

std::string render_report(const io::Json& data) {
  STRATA_CHECK(data.is_object(), "[report] ", data.where(), ": expected an object, got ", data.type_name());
  std::string title = text_or(data, "title");
  std::vector<Layer> layers = read_layers(data);

  struct Part {
    const char* id;
    const char* nav;
    std::string html;
  };
  std::vector<Part> parts = {
      {"concept", "Lab", lab_sections(data)},
      {"findings", "Findings", findings_section(data)},
      {"loss", "Loss", loss_section(data)},
      {"metrics", "Metrics", metrics_section(data)},
      {"lr", "Learning rate", lr_section(data)},
      {"gradients", "Gradient flow", gradient_section(layers)},
      {"updates", "Update ratio", update_section(layers)},
      {"activations", "Activations", activation_section(layers)},
      {"histograms", "Histograms", histogram_section(layers)},
      {"dead", "Dead / saturated", dead_section(layers)},
      {"lr_find", "LR finder", lr_find_section(data)},
      {"landscape", "Landscape", landscape_section(data)},
      {"images", "Samples", images_section(data)},
      {"sample_checks", "Coverage", sample_checks_section(data)},
      {"confusion", "Confusion", confusion_section(data)},
      {"tradeoff", "Tradeoff", tradeoff_section(data)},
      {"summary", "Summary", summary_section(data)},
  };

  const std::string kind = data.find("lab") ? "Strata lab" : "Training report";
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\">\n<title>" +
      escape(title.empty() ? kind : kind + ": " + title) + "</title>\n" + kStyle +
      "</head>\n<body><main>\n<header><h1>" + escape(title.empty() ? kind : title) + "</h1>";
  std::string subtitle = text_or(data, "subtitle");
  if (!subtitle.empty()) html += "<p class=\"sub\">" + escape(subtitle) + "</p>";
  if (const Json* f = data.find("findings"); f && f->is_array()) {
    size_t errors = 0, warnings = 0;
    for (const Json& x : f->elements()) {
      std::string sev = x.is_object() ? text_or(x, "severity") : "";
      errors += sev == "error";
      warnings += sev == "warning";
    }
    html += "<p class=\"status\">" +
            (f->size() == 0
                 ? std::string("Doctor: no problems found.")
                 : "Doctor: " + std::to_string(f->size()) + " finding" + (f->size() == 1 ? "" : "s") + " (" +
                       std::to_string(errors) + " error" + (errors == 1 ? "" : "s") + ", " + std::to_string(warnings) +
                       " warning" + (warnings == 1 ? "" : "s") + "), see Findings below.") +
            "</p>";
  }
  html += "<nav>";
  for (const Part& p : parts) {
    if (!p.html.empty()) html += std::string("<a href=\"#") + p.id + "\">" + p.nav + "</a>";
  }
  html += "</nav></header>\n";
  for (const Part& p : parts) html += p.html;
  html += "</main>\n";
  html += kScript;
  html += "</body></html>\n";
  return html;
}

void write_report(const io::Json& data, const std::string& path) {
  std::string html = render_report(data);
  io::AtomicFile f(path);
  f.write(html.data(), html.size());
  f.commit();
}

}  // namespace strata::diag
