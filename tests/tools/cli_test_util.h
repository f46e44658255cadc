#pragma once
// Shared by the CLI tests: run `strata` in-process and capture its exit code and output.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "strata/tools/run.h"
#include "test_util.h"

namespace strata::testing {

struct CliResult {
  int rc;
  std::string out, err;
};

inline CliResult run_cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = tools::cli_main(args, out, err);
  return {rc, out.str(), err.str()};
}

}  // namespace strata::testing
