#pragma once
// Shared by the model-builder tests: config parsing and the error of building a model.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/core/error.h"
#include "strata/io/json.h"
#include "strata/tools/model_builder.h"
#include "test_util.h"

namespace strata::testing {

inline io::Json parse_config(const std::string& text) { return io::parse_json(text, "config.json"); }

// The error message of build_model on `model_json` (the "model" member of a config), or "" when it succeeds.
inline std::string build_error(const std::string& model_json, std::vector<int64_t> shape = {1, 28, 28}) {
  io::Json cfg = parse_config("{\"model\": " + model_json + "}");
  try {
    tools::build_model(cfg.at("model"), shape);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace strata::testing
