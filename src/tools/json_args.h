#pragma once
// Small readers of config values shared by the tools' parsers.
#include <algorithm>
#include <string>
#include <vector>

#include "strata/core/error.h"
#include "strata/io/json.h"

namespace strata::tools {

// o[key] as one of `allowed`, `fallback` when absent; another value is an error naming the key and the choices.
inline std::string choice(const io::Json& o, const std::string& key, const std::string& fallback,
                          const std::vector<std::string>& allowed) {
  const io::Json* v = o.find(key);
  if (!v) return fallback;
  const std::string& s = v->as_string();
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  STRATA_FAIL(v->where(), ": unknown value \"", s, "\" (expected one of: ", list, ")");
}

}  // namespace strata::tools
