#pragma once
// Datasets: indexable collections of (input, target) examples. A DataLoader asks for whole batches through
// get_batch(), which datasets backed by big tensors answer with one index_select per tensor (one gather) rather
// than N small tensors stacked together.
// Thread safety: a DataLoader calls get() / get_batch() from its background thread while the owner keeps
// using the dataset, so both must be safe to call concurrently (they are const and read-only here).
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::data {

// One example (input: (...), target: (...)) or, from get_batch, a batch (input: (B, ...), target: (B, ...)).
// target may be undefined for datasets without targets.
struct Example {
  Tensor input;
  Tensor target;
};
using Batch = Example;

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // Example i, 0 <= i < size() (negative i is an error).
  virtual Example get(int64_t i) const = 0;
  // indices: (B) int64, each in [0, size())  ->  input (B, ...), target (B, ...).
  // The default stacks get(i) for each index; tensor-backed datasets override it with a single gather.
  virtual Batch get_batch(const Tensor& indices) const;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// Examples are rows of two tensors: inputs (N, ...) and targets (N, ...) (targets may be undefined).
// get(i) returns views of row i; get_batch gathers rows with index_select (contiguous results).
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets = Tensor());
  int64_t size() const override { return inputs_.size(0); }
  Example get(int64_t i) const override;
  Batch get_batch(const Tensor& indices) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 protected:
  Tensor inputs_;
  Tensor targets_;
};

// The examples of `dataset` at `indices` (int64, each in [0, dataset->size())), in that order.
class Subset : public Dataset {
 public:
  Subset(DatasetPtr dataset, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t i) const override;
  Batch get_batch(const Tensor& indices) const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const DatasetPtr& dataset() const { return dataset_; }

 private:
  DatasetPtr dataset_;
  std::vector<int64_t> indices_;
  Tensor index_tensor_;  // indices_ as a (size) int64 tensor, for the batched path
};

// Splits `dataset` into non-overlapping subsets exactly as torch.utils.data.random_split(dataset, lengths,
// generator=torch.Generator().manual_seed(seed)): the subsets are consecutive runs of randperm(size) drawn from
// a Generator seeded with `seed`. As in PyTorch, `lengths` are either example counts summing to size(), or
// fractions summing to 1: each split then gets floor(frac * size) examples and the remainder is handed out one
// by one round robin from the first split.
std::vector<std::shared_ptr<Subset>> random_split(const DatasetPtr& dataset, const std::vector<double>& lengths,
                                                  uint64_t seed);

}  // namespace strata::data
