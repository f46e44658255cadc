// Sequential, ModuleList, ModuleDict.
#include "strata/nn/containers.h"

#include <algorithm>

#include "strata/core/error.h"

namespace strata::nn {

Sequential::Sequential(std::initializer_list<ModulePtr> modules) {
  for (const auto& m : modules) push_back(m);
}

Sequential::Sequential(const std::vector<ModulePtr>& modules) {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(ModulePtr module) {
  STRATA_CHECK(module != nullptr, "[Sequential] cannot append a null module at position ", modules_.size());
  add_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

const ModulePtr& Sequential::operator[](size_t i) const {
  STRATA_CHECK(i < modules_.size(), "[Sequential] index ", i, " out of range for ", modules_.size(), " modules");
  return modules_[i];
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& m : modules_) y = (*m)(y);
  return y;
}

ModuleList::ModuleList(std::initializer_list<ModulePtr> modules) {
  for (const auto& m : modules) push_back(m);
}

void ModuleList::push_back(ModulePtr module) {
  STRATA_CHECK(module != nullptr, "[ModuleList] cannot append a null module at position ", modules_.size());
  add_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

const ModulePtr& ModuleList::operator[](size_t i) const {
  STRATA_CHECK(i < modules_.size(), "[ModuleList] index ", i, " out of range for ", modules_.size(), " modules");
  return modules_[i];
}

// Children are named by position ("0", "1", ...), so the name is the index into modules_.
bool Sequential::on_child_replaced(const std::string& name, const ModulePtr& module) {
  modules_.at(std::stoul(name)) = module;
  return true;
}

bool ModuleList::on_child_replaced(const std::string& name, const ModulePtr& module) {
  modules_.at(std::stoul(name)) = module;
  return true;
}

ModuleDict::ModuleDict(std::initializer_list<std::pair<std::string, ModulePtr>> modules) {
  for (const auto& [k, m] : modules) insert(k, m);
}

void ModuleDict::insert(const std::string& key, ModulePtr module) {
  STRATA_CHECK(!contains(key), "[ModuleDict] key '", key, "' already present");
  add_child(key, std::move(module));
  keys_.push_back(key);
}

bool ModuleDict::contains(const std::string& key) const {
  return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
}

}  // namespace strata::nn
