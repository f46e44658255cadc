#pragma once
// Synthetic report data with every section populated, for the report tests (report_test.cpp, the browser test).
#include <cmath>
#include <string>

#include "strata/io/json.h"

namespace strata::test {

inline io::Json numbers_json(int n, double (*f)(int, int), int k) {
  io::Json a = io::Json::array();
  for (int i = 0; i < n; ++i) a.push_back(f(i, k));
  return a;
}

// layers x steps per-layer series; the plots this data makes: see full_report_plot_count().
inline io::Json full_report_data(int n_layers = 5, int n_steps = 60) {
  using io::Json;
  Json d = Json::object();
  d["title"] = "lenet <test> & \"friends\"";
  d["subtitle"] = "configs/lenet.json \xC2\xB7 synthetic data";
  Json epochs = Json::array();
  for (int e = 1; e <= 8; ++e) {
    epochs.push_back(Json::object({{"epoch", e},
                                   {"loss", 1.2 / e + 0.1},
                                   {"val_loss", 1.1 / e + 0.15 + 0.01 * e},
                                   {"accuracy", 1.0 - 0.5 / e},
                                   {"val_accuracy", 0.95 - 0.5 / e},
                                   {"lr", 0.01 * std::pow(0.7, e)}}));
  }
  d["epochs"] = epochs;
  Json steps = Json::object();
  steps["step"] = numbers_json(
      n_steps, [](int i, int) { return 10.0 * i; }, 0);
  steps["loss"] = numbers_json(
      n_steps, [](int i, int) { return 2.3 * std::exp(-0.05 * i) + 0.1 + 0.05 * std::sin(i); }, 0);
  steps["lr"] = numbers_json(
      n_steps, [](int i, int) { return 0.01 * std::pow(0.99, i); }, 0);
  d["steps"] = steps;

  Json layers = Json::array();
  for (int l = 0; l < n_layers; ++l) {
    Json layer = Json::object();
    layer["name"] = "features." + std::to_string(l);
    layer["type"] = l % 2 ? "ReLU" : "Conv2d";
    layer["step"] = numbers_json(
        n_steps, [](int i, int) { return 10.0 * i; }, 0);
    layer["grad_norm"] = numbers_json(
        n_steps, [](int i, int k) { return std::pow(10.0, -k) * (1 + 0.3 * std::sin(i)); }, l);
    layer["update_ratio"] = numbers_json(
        n_steps, [](int i, int k) { return 1e-3 * (k + 1) * std::exp(-0.01 * i); }, l);
    layer["weight_norm"] = numbers_json(
        n_steps, [](int i, int k) { return 3.0 + k + 0.01 * i; }, l);
    layer["act_mean"] = numbers_json(
        n_steps, [](int i, int k) { return 0.1 * k + 0.02 * std::cos(i); }, l);
    layer["act_std"] = numbers_json(
        n_steps, [](int i, int k) { return 1.0 / (k + 1) + 0.001 * i; }, l);
    layer["dead_fraction"] = numbers_json(
        n_steps, [](int i, int k) { return std::min(1.0, 0.05 * k + 0.002 * i); }, l);
    layer["saturated_fraction"] = numbers_json(
        n_steps, [](int i, int k) { return 0.01 * k * (1 + std::sin(0.1 * i)); }, l);
    Json h = Json::object();
    h["edges"] = numbers_json(
        21, [](int i, int) { return -2.0 + 0.2 * i; }, 0);
    h["counts"] = numbers_json(
        20, [](int i, int k) { return std::exp(-0.5 * (i - 10.0 - k) * (i - 10.0 - k) / 9.0) * 1000; }, l);
    layer["histogram"] = h;
    layers.push_back(layer);
  }
  d["layers"] = layers;

  Json findings = Json::array();
  findings.push_back(Json::object({{"id", "dead_relu"},
                                   {"severity", "warning"},
                                   {"layers", Json::array({"features.3"})},
                                   {"evidence", "62% of units output 0 for every example <b>since</b> step 120"},
                                   {"cause", "learning rate too high for plain SGD"},
                                   {"remedy", "lower the LR to 0.01 or use LeakyReLU"},
                                   {"step", 120}}));
  findings.push_back(Json::object({{"id", "exploding_gradients"},
                                   {"severity", "error"},
                                   {"layers", Json::array({"features.0", "features.1"})},
                                   {"evidence", "grad norm 3.2e4 at step 300"},
                                   {"cause", "no normalisation and a large LR"},
                                   {"remedy", "clip gradients (max_norm 1.0)"},
                                   {"step", 300}}));
  d["findings"] = findings;
  d["summary"] = "Layer (type)      Output shape    Params\n0 (Conv2d)        (1, 6, 28, 28)  156\n";
  Json conf = Json::object();
  Json classes = Json::array();
  Json matrix = Json::array();
  for (int c = 0; c < 10; ++c) {
    classes.push_back("class " + std::to_string(c));
    Json row = Json::array();
    for (int p = 0; p < 10; ++p) row.push_back(c == p ? 900 - 20 * c : (c + p) % 7);
    matrix.push_back(row);
  }
  conf["classes"] = classes;
  conf["matrix"] = matrix;
  d["confusion"] = conf;
  Json lf = Json::object();
  lf["lr"] = numbers_json(
      80, [](int i, int) { return 1e-6 * std::pow(10.0, i / 13.0); }, 0);
  lf["loss"] = numbers_json(
      80,
      [](int i, int) {
        return 2.3 - 1.5 / (1 + std::exp(-(i - 35) / 5.0)) + (i > 65 ? std::exp((i - 65) / 3.0) : 0.0) +
               0.05 * std::sin(3.0 * i);
      },
      0);
  lf["smoothed"] = numbers_json(
      80,
      [](int i, int) {
        return 2.3 - 1.5 / (1 + std::exp(-(i - 35) / 5.0)) + (i > 65 ? std::exp((i - 65) / 3.0) : 0.0);
      },
      0);
  lf["suggested_lr"] = 3e-3;
  d["lr_find"] = lf;
  Json land = Json::object();
  Json line = Json::object();
  line["alpha"] = numbers_json(
      41, [](int i, int) { return -1.0 + 0.05 * i; }, 0);
  line["loss"] = numbers_json(
      41,
      [](int i, int) {
        double a = -1.0 + 0.05 * i;
        return 0.3 + 2.0 * a * a;
      },
      0);
  land["line"] = line;
  Json surf = Json::object();
  surf["a"] = numbers_json(
      21, [](int i, int) { return -1.0 + 0.1 * i; }, 0);
  surf["b"] = numbers_json(
      21, [](int i, int) { return -1.0 + 0.1 * i; }, 0);
  Json z = Json::array();
  for (int j = 0; j < 21; ++j) {
    Json row = Json::array();
    for (int i = 0; i < 21; ++i) {
      double a = -1.0 + 0.1 * i, b = -1.0 + 0.1 * j;
      row.push_back(0.3 + 2.0 * a * a + 0.7 * b * b + 0.5 * a * b);
    }
    z.push_back(row);
  }
  surf["loss"] = z;
  land["surface"] = surf;
  land["note"] = "filter-normalised random directions, 21 x 21 grid";
  d["landscape"] = land;
  return d;
}

// Plots in full_report_data(n_layers): loss 2, metrics 1 (accuracy), lr 2, gradients 2, updates 2, activations
// 2, histograms n_layers, dead 2, lr_find 1, landscape 2, confusion 1.
inline int full_report_plot_count(int n_layers = 5) { return 2 + 1 + 2 + 2 + 2 + 2 + n_layers + 2 + 1 + 2 + 1; }

}  // namespace strata::test
