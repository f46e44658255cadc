// `strata --version` and `strata version` print the project's version (CMakeLists.txt's project VERSION).
#include <gtest/gtest.h>

#include "tools/cli_test_util.h"

namespace {

TEST(CliVersion, PrintsTheProjectVersion) {
  for (const char* arg : {"--version", "version"}) {
    const auto r = strata::testing::run_cli({arg});
    EXPECT_EQ(r.rc, 0) << arg;
    EXPECT_EQ(r.out.substr(0, r.out.find('\n') + 1), std::string("strata ") + STRATA_EXPECTED_VERSION + "\n") << arg;
    EXPECT_NE(r.out.find("\nthreads: "), std::string::npos) << r.out;        // the second line: threads, waiting, GEMM
    EXPECT_NE(r.out.find("\ndata-parallel: "), std::string::npos) << r.out;  // MPI or not
    EXPECT_EQ(r.err, "") << arg;
  }
  // The main help lists it.
  EXPECT_NE(strata::testing::run_cli({"--help"}).out.find("--version"), std::string::npos);
}

}  // namespace
