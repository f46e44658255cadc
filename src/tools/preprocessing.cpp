// A run folder's preprocessing.json (preprocessing.h): what training did to the inputs, saved and read back.
#include "strata/tools/preprocessing.h"

#include <cstdint>
#include <filesystem>

#include "strata/core/error.h"
#include "strata/data/csv.h"
#include "strata/data/fashion_mnist.h"
#include "strata/data/idx.h"
#include "strata/io/atomic_file.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::tools {

namespace {

constexpr const char* kFormat = "strata.preprocessing";
constexpr int64_t kVersion = 1;

// float32 values as JSON numbers: the double of a float prints (shortest round trip) and parses back exactly.
io::Json float_array(const Tensor& t) {
  io::Json a = io::Json::array();
  for (float v : t.contiguous().to_vector<float>()) a.push_back(static_cast<double>(v));
  return a;
}

Tensor read_float_row(const io::Json& j, size_t n) {
  STRATA_CHECK(j.is_array() && j.size() == n, j.where(), ": expected ", n, " numbers (one per feature)");
  std::vector<float> v;
  for (const io::Json& x : j.elements()) v.push_back(static_cast<float>(x.as_double()));
  return from_vector(v, {1, static_cast<int64_t>(n)});
}

template <class T, class F>
std::vector<T> read_list(const io::Json& j, F&& get) {
  STRATA_CHECK(j.is_array(), j.where(), ": expected a list");
  std::vector<T> v;
  for (const io::Json& x : j.elements()) v.push_back(get(x));
  return v;
}

io::Json string_array(const std::vector<std::string>& v) {
  io::Json a = io::Json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

io::Json int_array(const std::vector<int64_t>& v) {
  io::Json a = io::Json::array();
  for (int64_t x : v) a.push_back(x);
  return a;
}

}  // namespace

Tensor standardize_features(const Tensor& x, const Tensor& mean, const Tensor& stdev) {
  return div(sub(x, mean), stdev).contiguous();
}

std::array<float, 256> Preprocessing::pixel_table() const {
  return data::FashionMNIST::pixel_table(pixel_mean, pixel_std);
}

Tensor Preprocessing::transform_features(const Tensor& x) const {
  return feature_mean.defined() ? standardize_features(x, feature_mean, feature_std) : x;
}

Tensor Preprocessing::class_count_labels() const {
  std::vector<int64_t> labels;
  for (size_t c = 0; c < class_counts.size(); ++c)
    labels.insert(labels.end(), class_counts[c], static_cast<int64_t>(c));
  return from_vector(labels, {static_cast<int64_t>(labels.size())});
}

Preprocessing pixel_preprocessing(const std::string& pixels) {
  Preprocessing p;
  p.dataset = "fashion_mnist";
  p.input_shape = {1, 28, 28};
  p.pixels = pixels.empty() ? "standardized" : pixels;
  if (p.pixels == "standardized") {
    p.pixel_mean = static_cast<float>(data::FashionMNIST::kMean);
    p.pixel_std = static_cast<float>(data::FashionMNIST::kStd);
  } else if (p.pixels == "signed") {  // (x - 0.5) / 0.5 is 2x - 1 bit for bit: both round 2(x - 0.5) once
    p.pixel_mean = 0.5f;
    p.pixel_std = 0.5f;
  } else {
    STRATA_CHECK(p.pixels == "unit", "data.pixels must be \"standardized\", \"unit\" or \"signed\", got \"", pixels,
                 "\"");
  }
  return p;
}

Preprocessing preprocessing_of(const RunConfig& config, const Datasets& data) {
  Preprocessing p;
  if (config.data.dataset == "fashion_mnist") p = pixel_preprocessing(config.data.pixels);
  p.dataset = config.data.dataset;
  p.input_shape = data.example_shape;
  p.classification = data.classification;
  p.num_classes = data.num_classes;
  p.class_names = data.class_names;
  p.class_counts = data.class_counts;
  if (data.classification) {
    p.class_labels = config.data.classes;
    if (p.class_labels.empty()) {
      for (int64_t k = 0; k < data.num_classes; ++k) p.class_labels.push_back(k);
    }
  }
  if (data.classification && p.class_counts.empty() && data.train) {
    p.class_counts.assign(static_cast<size_t>(data.num_classes), 0);
    for (int64_t c : dataset_targets(*data.train).contiguous().to_vector<int64_t>()) {
      if (c >= 0 && c < data.num_classes) ++p.class_counts[static_cast<size_t>(c)];
    }
  }
  p.feature_names = data.feature_names;
  p.feature_mean = data.feature_mean;
  p.feature_std = data.feature_std;
  return p;
}

io::Json Preprocessing::to_json() const {
  io::Json j = io::Json::object();
  j.set("format", kFormat);
  j.set("version", kVersion);
  j.set("dataset", dataset);
  j.set("input_shape", int_array(input_shape));
  j.set("task", classification ? "classification" : "regression");
  if (classification) {
    j.set("num_classes", num_classes);
    j.set("class_names", string_array(class_names));
    j.set("class_labels", int_array(class_labels));
    j.set("class_counts", int_array(class_counts));
  }
  if (dataset == "fashion_mnist") {
    io::Json px = io::Json::object();
    px.set("mode", pixels);
    px.set("scale", 255);
    px.set("mean", static_cast<double>(pixel_mean));
    px.set("std", static_cast<double>(pixel_std));
    j.set("pixels", px);
  }
  if (!feature_names.empty() || feature_mean.defined()) {
    io::Json f = io::Json::object();
    f.set("names", string_array(feature_names));
    if (feature_mean.defined()) {
      f.set("mean", float_array(feature_mean));
      f.set("std", float_array(feature_std));
    }
    j.set("features", f);
  }
  return j;
}

Preprocessing Preprocessing::from_json(const io::Json& j, const std::string& source) {
  STRATA_CHECK(j.is_object() && j.get_or("format", std::string()) == kFormat, source,
               ": not a strata preprocessing file (expected \"format\": \"", kFormat, "\")");
  const int64_t version = j.at("version").as_int();
  STRATA_CHECK(version == kVersion, source, ": preprocessing format version ", version,
               " is newer than this strata reads (", kVersion, ")");
  Preprocessing p;
  p.dataset = j.at("dataset").as_string();
  p.input_shape = read_list<int64_t>(j.at("input_shape"), [](const io::Json& x) { return x.as_int(1, INT64_MAX); });
  STRATA_CHECK(!p.input_shape.empty(), j.at("input_shape").where(), ": empty input shape");
  const std::string task = j.at("task").as_string();
  STRATA_CHECK(task == "classification" || task == "regression", j.at("task").where(),
               ": expected \"classification\" or \"regression\"");
  p.classification = task == "classification";
  if (p.classification) {
    p.num_classes = j.at("num_classes").as_int(1, INT64_MAX);
    p.class_names = read_list<std::string>(j.at("class_names"), [](const io::Json& x) { return x.as_string(); });
    p.class_counts = read_list<int64_t>(j.at("class_counts"), [](const io::Json& x) { return x.as_int(0, INT64_MAX); });
    if (const io::Json* l = j.find("class_labels"))
      p.class_labels = read_list<int64_t>(*l, [](const io::Json& x) { return x.as_int(); });
    STRATA_CHECK(static_cast<int64_t>(p.class_names.size()) == p.num_classes, source, ": ", p.class_names.size(),
                 " class names for ", p.num_classes, " classes");
    STRATA_CHECK(p.class_counts.empty() || static_cast<int64_t>(p.class_counts.size()) == p.num_classes, source, ": ",
                 p.class_counts.size(), " class counts for ", p.num_classes, " classes");
  }
  if (const io::Json* px = j.find("pixels")) {
    p.pixels = px->at("mode").as_string();
    STRATA_CHECK(px->get_or("scale", int64_t{255}) == 255, px->where(), ": only \"scale\": 255 is supported");
    p.pixel_mean = static_cast<float>(px->at("mean").as_double());
    p.pixel_std = static_cast<float>(px->at("std").as_double());
    STRATA_CHECK(p.pixel_std != 0.0f, px->where(), ": \"std\" is 0");
  }
  if (const io::Json* f = j.find("features")) {
    p.feature_names = read_list<std::string>(f->at("names"), [](const io::Json& x) { return x.as_string(); });
    if (f->contains("mean")) {
      const auto n = static_cast<size_t>(p.input_shape.at(0));
      p.feature_mean = read_float_row(f->at("mean"), n);
      p.feature_std = read_float_row(f->at("std"), n);
    }
  }
  return p;
}

void save_preprocessing(const std::string& path, const Preprocessing& p) {
  const std::string text = p.to_json().dump(2) + "\n";
  io::AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

std::optional<Preprocessing> load_preprocessing(const std::string& run_dir) {
  const std::string path = run_dir + "/preprocessing.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return Preprocessing::from_json(io::load_json_file(path), path);
}

Tensor read_inputs(const Preprocessing& p, const std::string& path) {
  if (p.dataset == "fashion_mnist") {
    Tensor x = data::read_idx_images(path, p.pixel_table());
    STRATA_CHECK(x.size(2) == p.input_shape.at(1) && x.size(3) == p.input_shape.at(2), path, ": images of ", x.size(2),
                 "x", x.size(3), " pixels, but the model takes ", p.input_shape.at(1), "x", p.input_shape.at(2));
    return x;
  }
  data::CsvOptions o;
  o.has_label = false;
  Tensor x = data::read_csv(path, o).features;
  STRATA_CHECK(p.input_shape.size() == 1 && x.size(1) == p.input_shape[0], path, ": ", x.size(1),
               " columns, but the model takes ", p.input_shape.at(0), " features");
  return p.transform_features(x);
}

Tensor class_weight_labels(const Datasets& data) {
  if (!data.classification) return Tensor();
  if (!data.class_counts.empty()) {
    Preprocessing p;
    p.class_counts = data.class_counts;
    return p.class_count_labels();
  }
  return data.train ? dataset_targets(*data.train) : Tensor();
}

Datasets datasets_of(const Preprocessing& p) {
  Datasets d;
  d.example_shape = p.input_shape;
  d.classification = p.classification;
  d.num_classes = p.num_classes;
  d.class_names = p.class_names;
  d.class_counts = p.class_counts;
  d.feature_names = p.feature_names;
  d.feature_mean = p.feature_mean;
  d.feature_std = p.feature_std;
  return d;
}

}  // namespace strata::tools
