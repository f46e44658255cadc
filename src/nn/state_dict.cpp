// nn::StateDict: an insertion-ordered map from dotted names to tensors.
#include "strata/core/error.h"
#include "strata/nn/module.h"

namespace strata::nn {

void StateDict::insert(const std::string& key, const Tensor& t) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    items_[it->second].second = t;
    return;
  }
  index_.emplace(key, items_.size());
  items_.emplace_back(key, t);
}

const Tensor& StateDict::at(const std::string& key) const {
  auto it = index_.find(key);
  STRATA_CHECK(it != index_.end(), "[StateDict] no entry named \"", key, "\" (", items_.size(), " entries)");
  return items_[it->second].second;
}

}  // namespace strata::nn
