// `strata lab`: the list, running one lab by number or name, the page it writes, and its errors.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/labs/lab.h"
#include "tools/cli_test_util.h"

namespace strata::testing {
namespace {

class LabCli : public TempDirTest {
 protected:
  LabCli() : TempDirTest("strata_lab_cli") {}
};

TEST_F(LabCli, ListNamesEveryLabWithItsNumber) {
  CliResult r = run_cli({"lab", "--list"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, " 161  softmax ");
  EXPECT_HAS(r.out, " 163  vanishing_gradient");
  std::istringstream lines(r.out);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) n += !line.empty();
  EXPECT_EQ(n, labs::all_labs().size());
}

TEST_F(LabCli, RunsALabByNumberAndWritesItsPage) {
  CliResult r = run_cli({"lab", "161", "--quick", "--out", dir_.string()});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_HAS(r.out, "Lab 161. Softmax");
  EXPECT_HAS(r.out, "65.90%");
  EXPECT_HAS(r.out, "[holds]");
  EXPECT_HAS(r.out, "claims hold");
  std::ifstream page(dir_ / "softmax" / "lab.html");
  std::stringstream html;
  html << page.rdbuf();
  EXPECT_HAS(html.str(), "<title>Strata lab: Lab 161. Softmax</title>");
  EXPECT_HAS(html.str(), "class=\"plot\"");
  std::ifstream results(dir_ / "softmax" / "results.json");
  std::stringstream json;
  json << results.rdbuf();
  EXPECT_HAS(json.str(), "\"claims\"");
}

TEST_F(LabCli, NoPageWritesNothing) {
  CliResult r = run_cli({"lab", "softmax", "--no-page", "--out", dir_.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
  EXPECT_EQ(r.out.find("Page:"), std::string::npos);
}

TEST_F(LabCli, UnknownLabAndBadArgumentsAreErrors) {
  CliResult r = run_cli({"lab", "sofmax"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "no lab \"sofmax\"");
  EXPECT_HAS(r.err, "softmax");
  r = run_cli({"lab"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "expected one lab number or name");
  r = run_cli({"lab", "161", "--seed", "-3"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "--seed");
  r = run_cli({"lab", "161", "--speed"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "--speed");
}

TEST_F(LabCli, HelpDescribesTheOptions) {
  CliResult r = run_cli({"lab", "--help"});
  ASSERT_EQ(r.rc, 0);
  EXPECT_HAS(r.out, "--quick");
  EXPECT_HAS(r.out, "--list");
}

}  // namespace
}  // namespace strata::testing
