#pragma once
// Containers: Sequential (children "0", "1", ... chained by forward), ModuleList and ModuleDict.
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "strata/nn/module.h"

namespace strata::nn {

// Applies its children in order: forward(x) = m_{n-1}(... m_1(m_0(x))).
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<ModulePtr> modules);
  explicit Sequential(const std::vector<ModulePtr>& modules);
  std::string type_name() const override { return "Sequential"; }
  Tensor forward(const Tensor& x) override;

  // Appends a module named by its position ("0", "1", ...).
  void push_back(ModulePtr module);
  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  const ModulePtr& operator[](size_t i) const;
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 protected:
  bool on_child_replaced(const std::string& name, const ModulePtr& module) override;

 private:
  std::vector<ModulePtr> modules_;
};

// A list of modules registered as "0", "1", ...; it has no forward of its own.
class ModuleList : public Module {
 public:
  ModuleList() = default;
  ModuleList(std::initializer_list<ModulePtr> modules);
  std::string type_name() const override { return "ModuleList"; }
  void push_back(ModulePtr module);
  size_t size() const { return modules_.size(); }
  const ModulePtr& operator[](size_t i) const;
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 protected:
  bool on_child_replaced(const std::string& name, const ModulePtr& module) override;

 private:
  std::vector<ModulePtr> modules_;
};

// Modules by name, in insertion order; it has no forward of its own.
class ModuleDict : public Module {
 public:
  ModuleDict() = default;
  ModuleDict(std::initializer_list<std::pair<std::string, ModulePtr>> modules);
  std::string type_name() const override { return "ModuleDict"; }
  void insert(const std::string& key, ModulePtr module);
  bool contains(const std::string& key) const;
  ModulePtr operator[](const std::string& key) const { return child(key); }
  size_t size() const { return keys_.size(); }
  const std::vector<std::string>& keys() const { return keys_; }

 protected:
  bool on_child_replaced(const std::string& /*name*/, const ModulePtr& /*module*/) override { return true; }

 private:
  std::vector<std::string> keys_;
};

}  // namespace strata::nn
