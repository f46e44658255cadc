// The training doctor's scenario suite (examples/doctor): every broken config gets its diagnosis, every
// healthy one gets none. Each runs `strata doctor` for a short budget, as a user would.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <sstream>

#include "strata/io/json.h"
#include "strata/tools/run.h"

namespace {

namespace fs = std::filesystem;
using strata::io::Json;

struct Scenario {
  const char* config;    // examples/doctor/<config>.json
  const char* expected;  // the finding id it must get ("" for a healthy config: none at all)
  int steps;
};

std::ostream& operator<<(std::ostream& os, const Scenario& s) { return os << s.config; }

class DoctorScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(DoctorScenario, GetsItsDiagnosisAndNothingElseWhenHealthy) {
  const Scenario& s = GetParam();
  const fs::path root = fs::canonical(fs::path(STRATA_TEST_DATA_DIR) / "..");
  static std::atomic<int> counter{0};
  const fs::path out_dir =
      fs::temp_directory_path() / ("strata_doctor_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::create_directories(out_dir);
  const fs::path cwd = fs::current_path();
  fs::current_path(root);  // the CSV configs name their files from the repository root
  std::ostringstream out, err;
  const std::string cfg = "examples/doctor/" + std::string(s.config) + ".json";
  const int rc = strata::tools::cli_main(
      {"doctor", cfg, "--steps", std::to_string(s.steps), "--output-dir", out_dir.string()}, out, err);
  fs::current_path(cwd);
  ASSERT_EQ(rc, 0) << err.str();
  const Json config = strata::io::load_json_file((root / cfg).string());
  const fs::path diag = out_dir / (config.at("name").as_string() + "-doctor") / "diagnosis.json";
  ASSERT_TRUE(fs::exists(diag)) << out.str();
  const Json findings = strata::io::load_json_file(diag.string());
  std::vector<std::string> ids;
  for (const Json& f : findings.elements()) ids.push_back(f.at("id").as_string());
  if (std::string(s.expected).empty()) {
    EXPECT_TRUE(ids.empty()) << "a healthy config got findings:\n" << out.str();
  } else {
    EXPECT_NE(std::find(ids.begin(), ids.end(), s.expected), ids.end()) << "expected " << s.expected << ":\n"
                                                                        << out.str();
  }
  EXPECT_TRUE(fs::exists(diag.parent_path() / "report.html"));
  fs::remove_all(out_dir);
}

INSTANTIATE_TEST_SUITE_P(Broken, DoctorScenario,
                         ::testing::Values(Scenario{"vanishing_sigmoid_deep", "vanishing_gradients", 100},
                                           Scenario{"exploding_deep_large_init", "exploding_gradients", 60},
                                           Scenario{"dead_relu_high_lr", "dead_relu", 150},
                                           Scenario{"saturated_tanh_large_init", "saturated_activations", 100},
                                           Scenario{"zero_init", "symmetric_init", 60},
                                           Scenario{"non_finite_lr", "non_finite", 60},
                                           Scenario{"lr_too_high", "lr_too_high", 100},
                                           Scenario{"lr_too_low", "lr_too_low", 100},
                                           Scenario{"overfitting_small_data", "overfitting", 200},
                                           Scenario{"mse_on_labels", "loss_task_mismatch", 60},
                                           Scenario{"softmax_into_cross_entropy", "loss_task_mismatch", 60}),
                         [](const auto& p) { return std::string(p.param.config); });

INSTANTIATE_TEST_SUITE_P(Healthy, DoctorScenario,
                         ::testing::Values(Scenario{"healthy_mlp", "", 150}, Scenario{"healthy_lenet", "", 100},
                                           Scenario{"healthy_resnet_small", "", 40},
                                           Scenario{"healthy_regression", "", 300},
                                           Scenario{"healthy_gru_rows", "", 150}),
                         [](const auto& p) { return std::string(p.param.config); });

}  // namespace

namespace {

// --fix on all-zero init: the remedy (random init) is written, trained, and the finding is gone.
TEST(DoctorFix, ZeroInitGetsRandomInitAndTheFindingGoes) {
  const fs::path root = fs::canonical(fs::path(STRATA_TEST_DATA_DIR) / "..");
  const fs::path out_dir = fs::temp_directory_path() / ("strata_doctor_fix_" + std::to_string(::getpid()));
  fs::create_directories(out_dir);
  std::ostringstream out, err;
  const int rc = strata::tools::cli_main({"doctor", (root / "examples/doctor/zero_init.json").string(), "--steps", "60",
                                          "--fix", "--output-dir", out_dir.string()},
                                         out, err);
  ASSERT_EQ(rc, 0) << err.str();
  const std::string text = out.str();
  const fs::path fixed = out_dir / "doctor_zero_init-doctor" / "fixed_config.json";
  ASSERT_TRUE(fs::exists(fixed)) << text;
  const Json cfg = strata::io::load_json_file(fixed.string());
  EXPECT_NE(cfg.at("model").at("init").at("weight").as_string(), "zeros");
  EXPECT_NE(text.find("--fix changed the config"), std::string::npos) << text;
  EXPECT_NE(text.find("findings before: symmetric_init"), std::string::npos) << text;
  const size_t after = text.find("findings after:");
  ASSERT_NE(after, std::string::npos) << text;
  EXPECT_EQ(text.find("symmetric_init", after), std::string::npos) << text;
  EXPECT_NE(text.find("test accuracy"), std::string::npos) << text;
  fs::remove_all(out_dir);
}

TEST(DoctorCli, BadArgumentsAreErrors) {
  std::ostringstream out, err;
  EXPECT_EQ(strata::tools::cli_main({"doctor"}, out, err), 2);
  EXPECT_NE(err.str().find("expected one config file"), std::string::npos) << err.str();
  std::ostringstream out2, err2;
  EXPECT_NE(strata::tools::cli_main({"doctor", "x.json", "--steps", "0"}, out2, err2), 0);
}

}  // namespace
