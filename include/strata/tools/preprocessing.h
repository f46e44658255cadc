#pragma once
// What turns raw inputs into the model's inputs, and what the outputs mean: saved by `strata train` in the run
// folder as preprocessing.json, so that `strata eval` and `strata predict` use the numbers training used instead
// of recomputing them from the training data (which `predict --input` then does not need at all).
//
//   tools::Preprocessing p = tools::preprocessing_of(config, data);   // at training time
//   tools::save_preprocessing(run_dir + "/preprocessing.json", p);
//   auto saved = tools::load_preprocessing(run_dir);                    // nullopt for older run folders
//   Tensor x = tools::read_inputs(*saved, "new_rows.csv");              // (N, F) or (N, 1, 28, 28), as training saw
//
// One code path: training (load_datasets), eval and predict all transform inputs with the functions below
// (standardize_features; data::FashionMNIST::pixel_table through pixel_table()), in float32, in the same order.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/tensor.h"
#include "strata/io/json.h"
#include "strata/tools/run_config.h"

namespace strata::tools {

struct Preprocessing {
  std::string dataset;               // "fashion_mnist", "csv" or "ring"
  std::vector<int64_t> input_shape;  // one input without the batch dim: {1, 28, 28}, {F}
  bool classification = true;
  int64_t num_classes = 0;                 // classification only
  std::vector<std::string> class_names;    // output k's name
  std::vector<int64_t> class_labels;       // output k's label in the data files (data.classes relabels; else k)
  std::vector<int64_t> class_counts;       // training examples per class: what "balanced" class weights need
  std::vector<std::string> feature_names;  // csv only
  // csv with data.standardize: (1, F) float32 per-feature mean and std (clamped to >= 1e-8) of the training split.
  Tensor feature_mean, feature_std;
  // fashion_mnist: x = byte / 255, then (x - pixel_mean) / pixel_std in float32 (pixels "standardized": the
  // dataset's constants; "unit": 0, 1; "signed": 0.5, 0.5).
  std::string pixels;
  float pixel_mean = 0.0f, pixel_std = 1.0f;

  // For each byte value, the model input (data::FashionMNIST::pixel_table(pixel_mean, pixel_std)).
  std::array<float, 256> pixel_table() const;
  // Raw (N, F) float32 features as the model takes them: standardized with the saved statistics, or as they are.
  Tensor transform_features(const Tensor& x) const;
  // "balanced" class weights depend only on the class counts: labels holding counts[c] copies of c (N) int64.
  Tensor class_count_labels() const;

  io::Json to_json() const;
  // Reads to_json()'s object; `source` names the file in error messages.
  static Preprocessing from_json(const io::Json& j, const std::string& source);
};

// (x - mean) / std, elementwise in float32 with broadcasting: x (N, F), mean and std (1, F). Training's
// standardisation and predict's are this one function.
Tensor standardize_features(const Tensor& x, const Tensor& mean, const Tensor& stdev);

// The image preprocessing of data.pixels ("" or "standardized", "unit", "signed") without reading any data.
Preprocessing pixel_preprocessing(const std::string& pixels);

// The preprocessing `config`'s training used on `data` (load_datasets' result): counts the training labels.
Preprocessing preprocessing_of(const RunConfig& config, const Datasets& data);

// Writes `p` as JSON, atomically.
void save_preprocessing(const std::string& path, const Preprocessing& p);
// <run_dir>/preprocessing.json, or nullopt when the run folder has none (trained before strata saved it).
std::optional<Preprocessing> load_preprocessing(const std::string& run_dir);

// The inputs of a file for `predict --input`, as training fed the model: an IDX images file for fashion_mnist,
// else a CSV of feature columns (no label column), checked against p.input_shape.
Tensor read_inputs(const Preprocessing& p, const std::string& path);

// The labels "balanced" class weights are computed from: data.class_counts' (a run folder's) when known, else the
// training split's; undefined for regression or without either.
Tensor class_weight_labels(const Datasets& data);

// A Datasets without splits that carries what building and evaluating a model needs (shape, classes, statistics).
Datasets datasets_of(const Preprocessing& p);

}  // namespace strata::tools
