#pragma once
// Linear, Flatten and Unflatten.
#include <string>
#include <vector>

#include "strata/core/generator.h"
#include "strata/nn/module.h"

namespace strata::nn {

// y = x W^T + b.  weight: (out_features, in_features), bias: (out_features).
// Default initialisation as PyTorch: kaiming_uniform_(a = sqrt(5)) weight, U(-1/sqrt(in), 1/sqrt(in)) bias.
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool has_bias = true, DType dtype = kFloat32,
         Generator* gen = nullptr);
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Generator* gen = nullptr);

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  Tensor weight;
  Tensor bias;  // undefined without bias

 private:
  int64_t in_, out_;
};

// Flattens dims start_dim..end_dim (default: all but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_(start_dim), end_(end_dim) {}
  std::string type_name() const override { return "Flatten"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;

 private:
  int64_t start_, end_;
};

// Expands dim `dim` into `sizes` (one of them may be -1: inferred), as torch.nn.Unflatten: a reshape, so
// (N, 1568) with Unflatten(1, {32, 7, 7}) -> (N, 32, 7, 7).
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, std::vector<int64_t> sizes);
  std::string type_name() const override { return "Unflatten"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;

 private:
  int64_t dim_;
  std::vector<int64_t> sizes_;
};

}  // namespace strata::nn
