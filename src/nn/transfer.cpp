// Transfer learning helpers: reporting non-strict loads, freezing by name, replacing submodules.
#include "strata/nn/transfer.h"

#include <map>
#include <set>
#include <sstream>

#include "strata/core/error.h"
#include "strata/nn/normalization.h"

namespace strata::nn {

bool name_matches(const std::string& pattern, const std::string& name) {
  // Iterative glob with backtracking to the last '*': linear in practice for these short keys.
  size_t p = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool name_matches_any(const std::vector<std::string>& patterns, const std::string& name) {
  for (const auto& p : patterns) {
    if (name_matches(p, name)) return true;
  }
  return false;
}

namespace {

std::string shape_str(const Tensor& t) {
  std::ostringstream os;
  os << t.shape();
  return os.str();
}

std::string renamed_key(const std::vector<std::pair<std::string, std::string>>& rename, const std::string& key) {
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& r : rename) {
    if (key.rfind(r.first, 0) == 0 && (!best || r.first.size() > best->first.size())) best = &r;
  }
  return best ? best->second + key.substr(best->first.size()) : key;
}

std::string join(const std::vector<std::string>& v, size_t max_items = 8) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max_items; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max_items) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s;
}

}  // namespace

LoadReport load_weights(Module& module, const StateDict& state, const LoadOptions& options) {
  for (const auto& p : options.skip) STRATA_CHECK(!p.empty(), "[load_weights] empty skip pattern");
  LoadReport r;
  const StateDict mine = module.state_dict();
  StateDict accepted;
  std::map<std::string, std::string> source_of;  // model key -> file key
  std::vector<std::string> mismatched;
  for (const auto& [file_key, t] : state) {
    const std::string key = renamed_key(options.rename, file_key);
    if (key != file_key) r.renamed.emplace_back(file_key, key);
    auto [it, fresh] = source_of.emplace(key, file_key);
    STRATA_CHECK(fresh, "[load_weights] the file's keys '", it->second, "' and '", file_key, "' are both renamed to '",
                 key, "'");
    std::string pattern;
    for (const auto& p : options.skip) {
      if (name_matches(p, key)) {
        pattern = p;
        break;
      }
    }
    if (!pattern.empty()) {
      r.skipped.push_back({key, "skip pattern '" + pattern + "'"});
      continue;
    }
    if (!mine.contains(key)) {
      r.unexpected.push_back(key);
      continue;
    }
    STRATA_CHECK(t.defined(), "[load_weights] entry '", file_key, "' is undefined");
    const Tensor& dst = mine.at(key);
    if (t.shape() != dst.shape()) {
      r.skipped.push_back({key, "shape " + shape_str(t) + " in the file, " + shape_str(dst) + " in the model"});
      mismatched.push_back(key + " " + r.skipped.back().reason);
      continue;
    }
    accepted.insert(key, t);
    r.loaded.push_back(key);
  }
  for (const auto& [key, _] : mine) {
    if (!source_of.count(key) && !name_matches_any(options.skip, key)) r.missing.push_back(key);
  }
  if (options.strict) {
    STRATA_CHECK(r.missing.empty(), "[load_weights] strict: the file has no entry for ", join(r.missing),
                 " (skip them with a pattern, or load non-strictly)");
    STRATA_CHECK(r.unexpected.empty(), "[load_weights] strict: the model has no parameter or buffer named ",
                 join(r.unexpected));
    STRATA_CHECK(mismatched.empty(), "[load_weights] strict: shape mismatch for ", join(mismatched));
  }
  module.load_state_dict(accepted, /*strict=*/false);
  return r;
}

std::string format(const LoadReport& r) {
  std::ostringstream os;
  os << "loaded " << r.loaded.size() << ", skipped " << r.skipped.size() << ", missing " << r.missing.size()
     << ", unexpected " << r.unexpected.size() << "\n";
  for (const auto& s : r.skipped) os << "  skipped     " << s.key << " (" << s.reason << ")\n";
  for (const auto& k : r.missing) os << "  missing     " << k << " (keeps its initial value)\n";
  for (const auto& k : r.unexpected) os << "  unexpected  " << k << " (not in the model)\n";
  return os.str();
}

namespace {

std::vector<std::string> set_requires_grad(Module& module, const std::vector<std::string>& patterns, bool on,
                                           const char* what) {
  const auto named = module.named_parameters();
  std::vector<std::string> names;
  for (const auto& p : patterns) {
    STRATA_CHECK(!p.empty(), "[", what, "] empty pattern");
    bool any = false;
    for (const auto& [n, _] : named) any = any || name_matches(p, n);
    if (!any) {
      std::vector<std::string> all;
      for (const auto& [n, _] : named) all.push_back(n);
      STRATA_FAIL("[", what, "] pattern '", p, "' matches no parameter; the parameters are ", join(all, 12));
    }
  }
  for (auto& [n, t] : named) {
    if (!name_matches_any(patterns, n)) continue;
    Tensor h = t;
    h.requires_grad_(on);
    names.push_back(n);
  }
  // Batch norm layers whose parameters are all frozen stay in eval mode (see the header).
  for (auto& [name, m] : module.named_modules()) {
    auto* bn = dynamic_cast<BatchNormBase*>(m.get());
    if (!bn) continue;
    bool frozen = bn->frozen_eval();
    const auto own = bn->named_parameters(/*recurse=*/false);
    if (!own.empty()) {
      frozen = true;
      for (const auto& [_, t] : own) frozen = frozen && !t.requires_grad();
    } else if (name_matches_any(patterns, name.empty() ? "running_mean" : name + ".running_mean")) {
      frozen = !on;
    }
    if (frozen != bn->frozen_eval()) {
      bn->set_frozen_eval(frozen);
      bn->train(module.is_training());
    }
  }
  return names;
}

}  // namespace

std::vector<std::string> freeze(Module& module, const std::vector<std::string>& patterns) {
  return set_requires_grad(module, patterns, false, "freeze");
}

std::vector<std::string> unfreeze(Module& module, const std::vector<std::string>& patterns) {
  return set_requires_grad(module, patterns, true, "unfreeze");
}

ModulePtr replace_module(Module& root, const std::string& path, ModulePtr module) {
  STRATA_CHECK(!path.empty(), "[replace_module] empty path");
  Module* parent = &root;
  size_t start = 0;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
    const std::string part = path.substr(start, dot - start);
    bool found = false;
    for (const auto& [n, c] : parent->named_children()) {
      if (n == part) {
        parent = c.get();
        found = true;
        break;
      }
    }
    STRATA_CHECK(found, "[replace_module] '", path, "': ", parent->type_name(), " has no submodule '", part, "'");
    start = dot + 1;
  }
  return parent->replace_child(path.substr(start), std::move(module));
}

}  // namespace strata::nn
