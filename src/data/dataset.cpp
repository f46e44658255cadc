#include "strata/data/dataset.h"

#include <cmath>
#include <string>

#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/indexing.h"

namespace strata::data {

namespace {

void check_indices(const Tensor& indices, const char* who) {
  STRATA_CHECK(indices.defined(), "[", who, "] undefined index tensor");
  STRATA_CHECK(indices.dtype() == kInt64, "[", who, "] indices must be int64, got ", indices.dtype());
  STRATA_CHECK(indices.dim() == 1, "[", who, "] indices must be 1-D, got shape ", indices.shape());
}

}  // namespace

Batch Dataset::get_batch(const Tensor& indices) const {
  check_indices(indices, "Dataset::get_batch");
  const std::vector<int64_t> idx = indices.to_vector<int64_t>();
  STRATA_CHECK(!idx.empty(), "[Dataset::get_batch] empty index tensor");
  TensorList inputs, targets;
  inputs.reserve(idx.size());
  targets.reserve(idx.size());
  for (int64_t i : idx) {
    Example e = get(i);
    inputs.push_back(std::move(e.input));
    if (e.target.defined()) targets.push_back(std::move(e.target));
  }
  STRATA_CHECK(targets.empty() || targets.size() == inputs.size(),
               "[Dataset::get_batch] some examples have a target and some do not");
  Batch b;
  b.input = stack(inputs, 0);
  if (!targets.empty()) b.target = stack(targets, 0);
  return b;
}

// ---- TensorDataset ----

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  STRATA_CHECK(inputs_.defined(), "[TensorDataset] inputs are undefined");
  STRATA_CHECK(inputs_.dim() >= 1, "[TensorDataset] inputs need a leading example dim, got shape ", inputs_.shape());
  if (targets_.defined()) {
    STRATA_CHECK(targets_.dim() >= 1, "[TensorDataset] targets need a leading example dim, got shape ",
                 targets_.shape());
    STRATA_CHECK(targets_.size(0) == inputs_.size(0), "[TensorDataset] inputs ", inputs_.shape(), " and targets ",
                 targets_.shape(), " differ in their number of examples");
  }
}

Example TensorDataset::get(int64_t i) const {
  STRATA_CHECK(i >= 0 && i < size(), "[TensorDataset::get] index ", i, " is out of range for a dataset of ", size(),
               " examples");
  Example e;
  e.input = inputs_.select(0, i);
  if (targets_.defined()) e.target = targets_.select(0, i);
  return e;
}

Batch TensorDataset::get_batch(const Tensor& indices) const {
  check_indices(indices, "TensorDataset::get_batch");
  Batch b;
  b.input = index_select(inputs_, 0, indices);
  if (targets_.defined()) b.target = index_select(targets_, 0, indices);
  return b;
}

// ---- Subset ----

Subset::Subset(DatasetPtr dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  STRATA_CHECK(dataset_ != nullptr, "[Subset] null dataset");
  const int64_t n = dataset_->size();
  for (size_t k = 0; k < indices_.size(); ++k) {
    STRATA_CHECK(indices_[k] >= 0 && indices_[k] < n, "[Subset] index ", indices_[k], " at position ", k,
                 " is out of range for a dataset of ", n, " examples");
  }
  index_tensor_ = from_vector(indices_, {static_cast<int64_t>(indices_.size())});
}

Example Subset::get(int64_t i) const {
  STRATA_CHECK(i >= 0 && i < size(), "[Subset::get] index ", i, " is out of range for a subset of ", size(),
               " examples");
  return dataset_->get(indices_[static_cast<size_t>(i)]);
}

Batch Subset::get_batch(const Tensor& indices) const {
  check_indices(indices, "Subset::get_batch");
  // Map the subset's positions to the parent's and let the parent gather them in one go.
  return dataset_->get_batch(index_select(index_tensor_, 0, indices));
}

// ---- random_split ----

std::vector<std::shared_ptr<Subset>> random_split(const DatasetPtr& dataset, const std::vector<double>& lengths,
                                                  uint64_t seed) {
  STRATA_CHECK(dataset != nullptr, "[random_split] null dataset");
  STRATA_CHECK(!lengths.empty(), "[random_split] no lengths given");
  const int64_t n = dataset->size();
  double total = 0;
  for (double l : lengths) total += l;
  std::vector<int64_t> counts;
  // PyTorch: fractions when math.isclose(sum, 1) (rel_tol 1e-9) and sum <= 1.
  if (std::abs(total - 1.0) <= 1e-9 && total <= 1.0) {
    int64_t assigned = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      STRATA_CHECK(lengths[i] >= 0.0 && lengths[i] <= 1.0, "[random_split] fraction at index ", i, " (", lengths[i],
                   ") is not between 0 and 1");
      counts.push_back(static_cast<int64_t>(std::floor(static_cast<double>(n) * lengths[i])));
      assigned += counts.back();
    }
    for (int64_t r = 0; r < n - assigned; ++r) counts[static_cast<size_t>(r) % counts.size()] += 1;
  } else {
    int64_t sum = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      STRATA_CHECK(lengths[i] >= 0 && std::floor(lengths[i]) == lengths[i], "[random_split] length at index ", i, " (",
                   lengths[i], ") is neither a non-negative count nor part of fractions summing to 1");
      counts.push_back(static_cast<int64_t>(lengths[i]));
      sum += counts.back();
    }
    STRATA_CHECK(sum == n, "[random_split] lengths sum to ", sum, " but the dataset has ", n, " examples");
  }
  Generator gen(seed);
  const std::vector<int64_t> perm = randperm(n, &gen).to_vector<int64_t>();
  std::vector<std::shared_ptr<Subset>> out;
  auto it = perm.begin();
  for (int64_t c : counts) {
    out.push_back(std::make_shared<Subset>(dataset, std::vector<int64_t>(it, it + c)));
    it += c;
  }
  return out;
}

}  // namespace strata::data
