#include "strata/data/transforms.h"

#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"

namespace strata::data {

Tensor normalize(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& stdev,
                 int64_t channel_dim) {
  STRATA_CHECK(x.defined(), "[normalize] undefined tensor");
  STRATA_CHECK(is_floating(x.dtype()), "[normalize] expects a floating-point tensor, got ", x.dtype(), " of shape ",
               x.shape());
  STRATA_CHECK(!mean.empty() && mean.size() == stdev.size(), "[normalize] mean (", mean.size(), " values) and std (",
               stdev.size(), " values) must be non-empty and of the same length");
  for (double s : stdev) STRATA_CHECK(s != 0.0, "[normalize] std must not contain 0");
  const int64_t nch = static_cast<int64_t>(mean.size());
  Shape param_shape;  // (C, 1, ..., 1) aligned at channel_dim, or a scalar
  if (nch > 1) {
    STRATA_CHECK(x.dim() >= 1, "[normalize] per-channel values need a tensor with a channel dim, got shape ",
                 x.shape());
    const int64_t d = channel_dim < 0 ? channel_dim + x.dim() : channel_dim;
    STRATA_CHECK(d >= 0 && d < x.dim(), "[normalize] channel_dim ", channel_dim, " is out of range for shape ",
                 x.shape());
    STRATA_CHECK(x.size(d) == nch, "[normalize] ", nch, " mean/std values for ", x.size(d), " channels (dim ", d,
                 " of shape ", x.shape(), ")");
    param_shape.push_back(nch);
    for (int64_t k = d + 1; k < x.dim(); ++k) param_shape.push_back(1);
  }
  const DType dt = is_compute_float(x.dtype()) ? x.dtype() : kFloat32;
  const Tensor m = from_vector(mean, param_shape, TensorOptions(dt));
  const Tensor s = from_vector(stdev, param_shape, TensorOptions(dt));
  return (x - m) / s;
}

Tensor one_hot_targets(const Tensor& labels, int64_t num_classes, DType dtype) {
  STRATA_CHECK(num_classes >= 1, "[one_hot_targets] num_classes must be at least 1, got ", num_classes);
  return one_hot(labels, num_classes).to(dtype);
}

Transform Normalize(std::vector<double> mean, std::vector<double> stdev) {
  return [mean = std::move(mean), stdev = std::move(stdev)](Batch b) {
    b.input = normalize(b.input, mean, stdev, 1);
    return b;
  };
}

Transform OneHot(int64_t num_classes, DType dtype) {
  return [num_classes, dtype](Batch b) {
    STRATA_CHECK(b.target.defined(), "[OneHot] the batch has no target");
    b.target = one_hot_targets(b.target, num_classes, dtype);
    return b;
  };
}

Transform Compose(std::vector<Transform> transforms) {
  return [ts = std::move(transforms)](Batch b) {
    for (const Transform& t : ts) b = t(std::move(b));
    return b;
  };
}

TransformDataset::TransformDataset(DatasetPtr base, Transform transform)
    : base_(std::move(base)), transform_(std::move(transform)) {
  STRATA_CHECK(base_ != nullptr, "[TransformDataset] null dataset");
  STRATA_CHECK(static_cast<bool>(transform_), "[TransformDataset] empty transform");
}

Example TransformDataset::get(int64_t i) const {
  STRATA_CHECK(i >= 0 && i < size(), "[TransformDataset::get] index ", i, " is out of range for a dataset of ", size(),
               " examples");
  Batch b = transform_(base_->get_batch(from_vector(std::vector<int64_t>{i}, {1})));
  Example e;
  e.input = b.input.select(0, 0);
  if (b.target.defined()) e.target = b.target.select(0, 0);
  return e;
}

Batch TransformDataset::get_batch(const Tensor& indices) const { return transform_(base_->get_batch(indices)); }

}  // namespace strata::data
