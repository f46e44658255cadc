// Every concept lab runs at its quick size and every claim it makes must hold: a lab whose point stops showing
// fails the suite. One test per lab (LabClaims/<name>), so ctest runs them in parallel.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/labs/lab.h"

namespace {

using strata::labs::Lab;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class LabClaims : public ::testing::TestWithParam<std::string> {};

TEST_P(LabClaims, HoldAtQuickSize) {
  const Lab& lab = strata::labs::find_lab(GetParam());
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("strata_lab_test_" + lab.name);
  std::filesystem::remove_all(dir);
  strata::labs::LabOptions options;
  options.quick = true;
  options.out_dir = dir.string();
  std::ostringstream out;
  strata::labs::LabResult r = strata::labs::run_lab(lab, options, out);
  ASSERT_FALSE(r.claims.empty());
  for (const auto& c : r.claims) EXPECT_TRUE(c.holds) << c.text << " (measured: " << c.measured << ")";
  if (HasFailure()) std::cout << out.str();
  std::string html = read_file(dir / lab.name / "lab.html");
  EXPECT_NE(html.find("<h1>Lab "), std::string::npos);
  EXPECT_NE(html.find("id=\"claims\""), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / lab.name / "results.json"));
  std::filesystem::remove_all(dir);
}

std::vector<std::string> lab_names() {
  std::vector<std::string> names;
  for (const Lab& lab : strata::labs::all_labs()) names.push_back(lab.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Labs, LabClaims, ::testing::ValuesIn(lab_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
