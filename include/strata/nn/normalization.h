#pragma once
// BatchNorm1d/2d, LayerNorm and Dropout modules (wrapping strata/ops/normalization.h).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/core/generator.h"
#include "strata/nn/module.h"
#include "strata/ops/normalization.h"

namespace strata::nn {

// Parameters weight (C, ones) and bias (C, zeros) when affine; buffers running_mean (zeros), running_var
// (ones) and num_batches_tracked (int64 scalar) when track_running_stats, as PyTorch names them.
// momentum nullopt: cumulative moving average (factor 1 / num_batches_tracked), as PyTorch's None.
class BatchNormBase : public Module {
 public:
  BatchNormBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine, bool track_running_stats,
                DType dtype);
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  void reset_running_stats();
  void reset_parameters();

  int64_t num_features() const { return num_features_; }
  // Synchronised batch norm (dist::convert_sync_batch_norm sets it): in training, the batch statistics are those
  // of every replica's batch together, summed through `sum` (sync_batch_norm); an empty function: this batch only.
  void set_replica_sum(ReplicaSum sum) { replica_sum_ = std::move(sum); }
  bool synchronized() const { return static_cast<bool>(replica_sum_); }
  Tensor weight, bias;                                    // undefined without affine
  Tensor running_mean, running_var, num_batches_tracked;  // undefined without track_running_stats

 protected:
  virtual void check_input(const Tensor& x) const = 0;

 private:
  int64_t num_features_;
  double eps_;
  std::optional<double> momentum_;
  bool affine_, track_;
  ReplicaSum replica_sum_;
};

// Input (N, C) or (N, C, L).
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, DType dtype = kFloat32)
      : BatchNormBase(num_features, eps, momentum, affine, track_running_stats, dtype) {}
  std::string type_name() const override { return "BatchNorm1d"; }

 protected:
  void check_input(const Tensor& x) const override;
};

// Input (N, C, H, W).
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true, DType dtype = kFloat32)
      : BatchNormBase(num_features, eps, momentum, affine, track_running_stats, dtype) {}
  std::string type_name() const override { return "BatchNorm2d"; }

 protected:
  void check_input(const Tensor& x) const override;
};

// Normalises over the trailing normalized_shape dims; weight (ones) and bias (zeros) of that shape.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(std::vector<int64_t> normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     DType dtype = kFloat32);
  std::string type_name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;

 private:
  std::vector<int64_t> shape_;
  double eps_;
  bool affine_;
};

// Zeroes elements with probability p and scales the rest by 1 / (1 - p) in training; identity in eval.
// gen: the generator to draw the masks from (nullptr: the default one).
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;

 private:
  double p_;
  Generator* gen_;
};

}  // namespace strata::nn
