#pragma once
// Embedding: a lookup table of num_embeddings vectors of size embedding_dim, as torch.nn.Embedding.
#include <optional>
#include <string>

#include "strata/core/generator.h"
#include "strata/nn/module.h"

namespace strata::nn {

// weight: (num_embeddings, embedding_dim), initialised N(0, 1) as PyTorch. forward: int64 indices of any shape
// -> (*indices.shape, embedding_dim). padding_idx (negative counts from the end, as PyTorch): that row starts
// at zero and never receives a gradient, so it stays whatever it was set to.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt,
            DType dtype = kFloat32, Generator* gen = nullptr);
  // A table holding `weights` (copied), frozen unless freeze is false (torch.nn.Embedding.from_pretrained).
  static std::shared_ptr<Embedding> from_pretrained(const Tensor& weights, bool freeze = true,
                                                    std::optional<int64_t> padding_idx = std::nullopt);
  std::string type_name() const override { return "Embedding"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& indices) override;
  void reset_parameters(Generator* gen = nullptr);

  int64_t num_embeddings() const { return num_; }
  int64_t embedding_dim() const { return dim_; }
  std::optional<int64_t> padding_idx() const { return padding_idx_; }  // normalised to [0, num_embeddings)
  Tensor weight;

 private:
  int64_t num_, dim_;
  std::optional<int64_t> padding_idx_;
};

}  // namespace strata::nn
