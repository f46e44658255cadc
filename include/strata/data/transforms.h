#pragma once
// Transforms: functions on tensors (normalize, one_hot_targets), the same as batch transforms (Normalize,
// OneHot, Compose) and a dataset that applies a batch transform to everything it returns (TransformDataset),
// so the work runs on the DataLoader's background thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "strata/core/dtype.h"
#include "strata/core/tensor.h"
#include "strata/data/dataset.h"

namespace strata::data {

// (x - mean[c]) / std[c] per channel c along channel_dim, computed in x's dtype (float32: as torchvision's
// Normalize). x: (N, C, ...) with channel_dim 1, or any shape with the channels at channel_dim; mean and std
// hold one value (all channels) or C values. Differentiable (built from sub/div).
Tensor normalize(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& stdev,
                 int64_t channel_dim = 1);
// labels: int64 (...) class indices in [0, num_classes)  ->  (..., num_classes) of `dtype` (1 at the label).
Tensor one_hot_targets(const Tensor& labels, int64_t num_classes, DType dtype = kFloat32);

// A batch transform: receives a batch (input (B, ...), target (B, ...)) and returns the transformed batch.
using Transform = std::function<Batch(Batch)>;

// Normalizes the batch input per channel (dim 1 of the batch).
Transform Normalize(std::vector<double> mean, std::vector<double> stdev);
// Replaces int64 class targets (B) with one-hot targets (B, num_classes) of `dtype`.
Transform OneHot(int64_t num_classes, DType dtype = kFloat32);
// Applies the transforms in order.
Transform Compose(std::vector<Transform> transforms);

// `base` with `transform` applied to every batch it returns. get(i) transforms a batch of one and returns its
// row, so examples and batches always agree.
class TransformDataset : public Dataset {
 public:
  TransformDataset(DatasetPtr base, Transform transform);
  int64_t size() const override { return base_->size(); }
  Example get(int64_t i) const override;
  Batch get_batch(const Tensor& indices) const override;

 private:
  DatasetPtr base_;
  Transform transform_;
};

}  // namespace strata::data
