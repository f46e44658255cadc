// Embedding: the table and its PyTorch initialisation; the lookup and its row-accumulating backward are the
// op strata::embedding (src/ops/indexing.cpp).
#include "strata/nn/embedding.h"

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/init.h"
#include "strata/ops/creation.h"
#include "strata/ops/indexing.h"

namespace strata::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx, DType dtype,
                     Generator* gen)
    : num_(num_embeddings), dim_(embedding_dim) {
  STRATA_CHECK(num_embeddings >= 0 && embedding_dim >= 0,
               "[Embedding] sizes must be non-negative, got num_embeddings=", num_embeddings,
               ", embedding_dim=", embedding_dim);
  STRATA_CHECK(is_floating(dtype), "[Embedding] dtype must be floating point, got ", dtype);
  if (padding_idx) {
    const int64_t p = *padding_idx;
    STRATA_CHECK(p >= -num_embeddings && p < num_embeddings,
                 "[Embedding] padding_idx must be within num_embeddings=", num_embeddings, ", got ", p);
    padding_idx_ = p < 0 ? p + num_embeddings : p;
  }
  weight = register_parameter("weight", empty({num_embeddings, embedding_dim}, TensorOptions(dtype)));
  reset_parameters(gen);
}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& weights, bool freeze,
                                                      std::optional<int64_t> padding_idx) {
  STRATA_CHECK(weights.defined() && weights.dim() == 2,
               "[Embedding] from_pretrained expects a 2-D weight (num_embeddings, embedding_dim), got ",
               weights.defined() ? weights.shape() : Shape{});
  auto e = std::make_shared<Embedding>(weights.size(0), weights.size(1), padding_idx, weights.dtype());
  {
    NoGradGuard ng;
    e->weight.copy_(weights);
  }
  e->weight.requires_grad_(!freeze);
  return e;
}

void Embedding::reset_parameters(Generator* gen) {
  init::normal_(weight, 0.0, 1.0, gen);
  if (padding_idx_) {
    NoGradGuard ng;
    weight.select(0, *padding_idx_).zero_();
  }
}

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(num_) + ", " + std::to_string(dim_);
  if (padding_idx_) s += ", padding_idx=" + std::to_string(*padding_idx_);
  return s;
}

Tensor Embedding::forward(const Tensor& indices) {
  STRATA_CHECK(indices.defined(), "[Embedding] undefined indices");
  return embedding(weight, indices, padding_idx_ ? *padding_idx_ : -1);
}

}  // namespace strata::nn
