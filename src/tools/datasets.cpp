// The datasets of a run config: Fashion-MNIST or a CSV table, with limits, class subsampling and a seeded
// validation split.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "strata/core/error.h"
#include "strata/data/csv.h"
#include "strata/data/fashion_mnist.h"
#include "strata/data/ring_of_gaussians.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/tools/preprocessing.h"
#include "strata/tools/run_config.h"

namespace strata::tools {

namespace {

data::DatasetPtr first_n(const data::DatasetPtr& d, int64_t n) {
  if (n <= 0 || n >= d->size()) return d;
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  return std::make_shared<data::Subset>(d, std::move(idx));
}

// Keeps the first ceil(fraction * count) examples of each listed class (in dataset order), all others.
data::DatasetPtr subsample(const data::DatasetPtr& d, const std::vector<int64_t>& classes, double fraction,
                           int64_t num_classes) {
  Tensor targets = dataset_targets(*d).contiguous();
  const int64_t* t = targets.data_ptr<int64_t>();
  const int64_t n = targets.numel();
  std::map<int64_t, int64_t> count, kept;
  for (int64_t c : classes) {
    STRATA_CHECK(c < num_classes, "[data.subsample] class ", c, " is not in [0, ", num_classes, ")");
    count[c] = 0;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (count.count(t[i])) ++count[t[i]];
  }
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < n; ++i) {
    auto it = count.find(t[i]);
    if (it != count.end()) {
      const auto keep = static_cast<int64_t>(std::ceil(fraction * static_cast<double>(it->second)));
      if (kept[t[i]]++ >= keep) continue;
    }
    idx.push_back(i);
  }
  return std::make_shared<data::Subset>(d, std::move(idx));
}

// The examples of `base` at `indices` with their int64 class targets mapped through `relabel` (old -> new).
class RelabeledSubset : public data::Dataset {
 public:
  RelabeledSubset(data::DatasetPtr base, std::vector<int64_t> indices, std::map<int64_t, int64_t> relabel)
      : subset_(std::move(base), std::move(indices)), relabel_(std::move(relabel)) {}
  int64_t size() const override { return subset_.size(); }
  data::Example get(int64_t i) const override {
    data::Example e = subset_.get(i);
    e.target = map_targets(e.target);
    return e;
  }
  data::Batch get_batch(const Tensor& indices) const override {
    data::Batch b = subset_.get_batch(indices);
    b.target = map_targets(b.target);
    return b;
  }

 private:
  Tensor map_targets(const Tensor& t) const {
    Tensor out = t.contiguous().clone();
    int64_t* p = out.data_ptr<int64_t>();
    for (int64_t i = 0; i < out.numel(); ++i) p[i] = relabel_.at(p[i]);
    return out;
  }
  data::Subset subset_;
  std::map<int64_t, int64_t> relabel_;
};

// Keeps the examples of `classes` (relabelled to their position in the list), at most `per_class` of each
// (the first in dataset order; 0 = all).
data::DatasetPtr select_classes(const data::DatasetPtr& d, const std::vector<int64_t>& classes, int64_t per_class,
                                int64_t num_classes) {
  std::map<int64_t, int64_t> relabel;
  for (int64_t c : classes) {
    STRATA_CHECK(c < num_classes, "[data.classes] class ", c, " is not in [0, ", num_classes, ")");
    STRATA_CHECK(relabel.emplace(c, static_cast<int64_t>(relabel.size())).second, "[data.classes] class ", c,
                 " is listed twice");
  }
  Tensor targets = dataset_targets(*d).contiguous();
  const int64_t* t = targets.data_ptr<int64_t>();
  std::map<int64_t, int64_t> kept;
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < targets.numel(); ++i) {
    if (!relabel.count(t[i])) continue;
    if (per_class > 0 && kept[t[i]] >= per_class) continue;
    ++kept[t[i]];
    idx.push_back(i);
  }
  return std::make_shared<RelabeledSubset>(d, std::move(idx), std::move(relabel));
}

// The number of classes is inferred as the largest label + 1, so a stray 1e9 would ask for a billion-way
// output layer (and bad_alloc); name the row instead.
constexpr int64_t kMaxClassLabel = 99999;

int64_t check_class_labels(const Tensor& labels, const std::string& path) {
  const std::vector<int64_t> l = labels.contiguous().to_vector<int64_t>();
  int64_t hi = 0;
  for (size_t i = 0; i < l.size(); ++i) {
    STRATA_CHECK(l[i] >= 0 && l[i] <= kMaxClassLabel, path, ": data row ", i + 1, ": class label ", l[i],
                 " is not in [0, ", kMaxClassLabel,
                 "] (labels are class indices 0, 1, ...; for regression set "
                 "data.task to \"regression\")");
    hi = std::max(hi, l[i]);
  }
  return hi;
}

}  // namespace

Datasets load_datasets(const RunConfig& config, const DatasetOptions& options) {
  const DataConfig& c = config.data;
  const Preprocessing* saved = options.preprocessing;
  if (saved) {
    STRATA_CHECK(saved->dataset == c.dataset, "the run folder's preprocessing.json is for data.dataset \"",
                 saved->dataset, "\", but ", config.source, " has \"", c.dataset, "\"");
  }
  Datasets out;
  data::DatasetPtr train, test;
  int64_t label_range = 0;  // class labels of the files are in [0, label_range)
  if (c.dataset == "fashion_mnist") {
    // One table from bytes to inputs (FashionMNIST::pixel_table), the same that `predict --input` reads through.
    const std::array<float, 256> table = saved ? saved->pixel_table() : pixel_preprocessing(c.pixels).pixel_table();
    if (options.train) train = std::make_shared<data::FashionMNIST>(c.path, /*train=*/true, table);
    test = std::make_shared<data::FashionMNIST>(c.path, /*train=*/false, table);
    out.example_shape = {1, 28, 28};
    out.classification = true;
    label_range = 10;
    for (const char* name : data::FashionMNIST::kClasses) out.class_names.emplace_back(name);
  } else if (c.dataset == "ring") {
    // Seeded from the run's seed; the test set from another stream of it.
    if (options.train)
      train =
          std::make_shared<data::RingOfGaussians>(c.ring_size, config.seed, c.ring_modes, c.ring_radius, c.ring_std);
    test = std::make_shared<data::RingOfGaussians>(std::max<int64_t>(1, c.ring_size / 4), config.seed + 0x5eed,
                                                   c.ring_modes, c.ring_radius, c.ring_std);
    out.example_shape = {2};
    out.classification = true;
    label_range = c.ring_modes;
    for (int64_t k = 0; k < c.ring_modes; ++k) out.class_names.push_back("mode " + std::to_string(k));
  } else {
    data::CsvOptions o;
    o.label_column = c.label_column;
    o.label_index = -1;
    out.classification = c.task == "classification";
    o.label_dtype = out.classification ? kInt64 : kFloat32;
    // A header-only file is a valid empty table for read_csv, but nothing to train or test on: say so here,
    // before training, rather than as an empty-tensor error in the middle (or at the end) of a run.
    data::CsvData tr, te;
    if (options.train) {
      tr = data::read_csv(c.train_path, o);
      STRATA_CHECK(tr.features.size(0) > 0, c.train_path, ": the file has no data rows (data.train)");
    }
    int64_t columns = options.train ? tr.features.size(1) : saved ? saved->input_shape.at(0) : -1;
    if (!c.test_path.empty()) {
      te = data::read_csv(c.test_path, o);
      STRATA_CHECK(te.features.size(0) > 0, c.test_path, ": the file has no data rows (data.test)");
      STRATA_CHECK(columns < 0 || te.features.size(1) == columns, c.test_path, ": ", te.features.size(1),
                   " feature columns, but the training file ", c.train_path, " has ", columns);
      if (columns < 0) columns = te.features.size(1);
    }
    if (saved && saved->feature_mean.defined()) {  // the statistics training used, as it used them
      out.feature_mean = saved->feature_mean;
      out.feature_std = saved->feature_std;
    } else if (c.standardize && options.train) {
      out.feature_mean = strata::mean(tr.features, {0}, /*keepdim=*/true);
      out.feature_std = clamp(strata::std(tr.features, {0}, /*correction=*/0, /*keepdim=*/true), 1e-8, std::nullopt);
    }
    STRATA_CHECK(!c.standardize || out.feature_mean.defined() || !te.features.defined(), config.source,
                 ": data.standardize needs the training file's statistics, and neither ", c.train_path,
                 " nor a run folder's preprocessing.json was read");
    if (out.feature_mean.defined()) {
      if (tr.features.defined()) tr.features = standardize_features(tr.features, out.feature_mean, out.feature_std);
      if (te.features.defined()) te.features = standardize_features(te.features, out.feature_mean, out.feature_std);
    }
    if (!out.classification) {  // (N) -> (N, 1), the shape of a one-output model
      if (tr.labels.defined()) tr.labels = tr.labels.reshape({tr.labels.numel(), 1}).contiguous();
      if (te.labels.defined()) te.labels = te.labels.reshape({te.labels.numel(), 1}).contiguous();
    } else {
      int64_t hi = 0;
      if (tr.labels.defined()) hi = check_class_labels(tr.labels, c.train_path);
      if (te.labels.defined()) hi = std::max(hi, check_class_labels(te.labels, c.test_path));
      label_range = hi + 1;
      if (!options.train) {  // the test file alone may lack some of data.classes
        for (int64_t k : c.classes) label_range = std::max(label_range, k + 1);
      }
      if (saved && c.classes.empty()) {
        STRATA_CHECK(label_range <= saved->num_classes, c.test_path, ": class label ", hi,
                     " is not one of the model's ", saved->num_classes, " classes");
        label_range = saved->num_classes;
      }
      for (int64_t k = 0; k < label_range; ++k) out.class_names.push_back(std::to_string(k));
    }
    out.example_shape = {columns};
    out.feature_names = options.train ? tr.feature_names : saved ? saved->feature_names : te.feature_names;
    if (tr.features.defined()) train = tr.dataset();
    if (te.features.defined()) test = te.dataset();
  }
  out.num_classes = out.classification ? label_range : 0;
  if (train) train = first_n(train, c.limit_train);
  if (test) test = first_n(test, c.limit_test);
  if (!c.classes.empty()) {
    if (train) train = select_classes(train, c.classes, c.per_class_limit, out.num_classes);
    if (test) test = select_classes(test, c.classes, 0, out.num_classes);
    std::vector<std::string> names;
    for (int64_t k : c.classes) {
      names.push_back(k < static_cast<int64_t>(out.class_names.size()) ? out.class_names[static_cast<size_t>(k)]
                                                                       : std::to_string(k));
    }
    out.class_names = names;
    out.num_classes = static_cast<int64_t>(c.classes.size());
  } else if (c.per_class_limit > 0 && train) {
    std::vector<int64_t> all(static_cast<size_t>(out.num_classes));
    for (int64_t k = 0; k < out.num_classes; ++k) all[static_cast<size_t>(k)] = k;
    train = select_classes(train, all, c.per_class_limit, out.num_classes);
  }
  if (!c.subsample_classes.empty() && train)
    train = subsample(train, c.subsample_classes, c.subsample_fraction, out.num_classes);
  if (c.validation_split > 0 && train) {
    auto parts = data::random_split(train, {1.0 - c.validation_split, c.validation_split}, config.seed);
    STRATA_CHECK(parts[0]->size() > 0 && parts[1]->size() > 0, "[data.validation_split] ", c.validation_split, " of ",
                 train->size(), " examples leaves an empty split");
    out.train = parts[0];
    out.val = parts[1];
  } else {
    out.train = train;
  }
  if (saved) {  // the model's shape and classes are those of training
    STRATA_CHECK(out.example_shape == saved->input_shape, config.source,
                 ": the data's inputs do not have the shape the run folder's preprocessing.json records");
    STRATA_CHECK(out.classification == saved->classification && out.num_classes == saved->num_classes, config.source,
                 ": the data has ", out.num_classes, " classes, but the run folder's preprocessing.json records ",
                 saved->num_classes);
    out.class_names = saved->class_names;
    out.class_counts = saved->class_counts;
  }
  // An empty test set would fail only after training.
  STRATA_CHECK(!test || test->size() > 0, "[data] the test set",
               (c.test_path.empty() ? std::string() : " (" + c.test_path + ")"), " is empty",
               (c.limit_test > 0 || !c.classes.empty() ? " after data.limit_test / data.classes" : ""));
  out.test = test;
  return out;
}

}  // namespace strata::tools
