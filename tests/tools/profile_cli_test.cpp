// `strata profile` and STRATA_PROFILE=1 `strata train`: the table of a tiny CSV MLP, and bad arguments.
#include <cstdlib>
#include <filesystem>

#include "strata/io/json.h"
#include "tools/cli_test_util.h"

namespace fs = std::filesystem;

namespace {

class ProfileCli : public strata::testing::TempDirTest {
 protected:
  ProfileCli() : TempDirTest("strata_profile_cli") {}

  // A 2-Linear MLP on 64 CSV rows, batch 16: 4 steps per epoch.
  std::string config() {
    write("train.csv", strata::testing::blobs_csv(64, 1));
    write("test.csv", strata::testing::blobs_csv(30, 2));
    return write("cfg.json", R"({"name": "p", "output_dir": ")" + dir_.string() + R"(", "seed": 3,
      "model": {"architecture": "mlp", "hidden": [8], "num_classes": 3},
      "data": {"dataset": "csv", "train": ")" +
                                 path("train.csv") + R"(", "test": ")" + path("test.csv") +
                                 R"(", "label_column": "y", "validation_split": 0.25},
      "optimizer": {"type": "adam", "lr": 0.02}, "epochs": 1, "batch_size": 16})");
  }
};

}  // namespace

TEST_F(ProfileCli, PrintsTheTableOfTheProfiledStepsAndWritesNothing) {
  const std::string cfg = config();
  const auto r = strata::testing::run_cli({"profile", cfg, "--steps", "6", "--warmup", "1"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("Profile: 6 steps"), std::string::npos) << r.out;  // more steps than one epoch holds
  EXPECT_NE(r.out.find("Adam.step"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("linear"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("forward+loss"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(path("p"))) << "strata profile wrote a run folder";

  const auto j = strata::testing::run_cli({"profile", cfg, "--steps", "3", "--warmup", "1", "--json"});
  ASSERT_EQ(j.rc, 0) << j.err;
  const strata::io::Json parsed = strata::io::parse_json(j.out);
  EXPECT_EQ(parsed.at("steps").as_int(), 3);
  bool linear_fwd = false;
  for (size_t i = 0; i < parsed.at("rows").size(); ++i) {
    const auto& row = parsed.at("rows").at(i);
    if (row.at("kind").as_string() == "forward" && row.at("name").as_string() == "linear") {
      linear_fwd = true;
      EXPECT_EQ(row.at("calls").as_int(), 3 * 2);  // 3 steps x 2 Linear layers
    }
  }
  EXPECT_TRUE(linear_fwd) << j.out;
}

TEST_F(ProfileCli, BadArgumentsAreUsageErrors) {
  const std::string cfg = config();
  for (const std::vector<std::string>& args : {std::vector<std::string>{"profile", cfg, "--steps", "0"},
                                               {"profile", cfg, "--steps", "x"},
                                               {"profile", cfg, "--warmup", "0"},
                                               {"profile"},
                                               {"profile", cfg, "--bogus"}}) {
    const auto r = strata::testing::run_cli(args);
    EXPECT_EQ(r.rc, 2) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("usage error"), std::string::npos) << r.err;
  }
  EXPECT_NE(strata::testing::run_cli({"profile", cfg, "--steps", "0"}).err.find("--steps must be >= 1"),
            std::string::npos);
  EXPECT_EQ(strata::testing::run_cli({"profile", path("missing.json")}).rc, 1);
}

TEST_F(ProfileCli, TrainWithStrataProfileWritesProfileJson) {
  const std::string cfg = config();
  ::setenv("STRATA_PROFILE", "1", 1);
  const auto r = strata::testing::run_cli({"train", cfg, "--quiet"});
  ::unsetenv("STRATA_PROFILE");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("Profile: 3 steps"), std::string::npos) << r.out;  // 48 training rows / 16
  const strata::io::Json j = strata::io::load_json_file(path("p/profile.json"));
  EXPECT_EQ(j.at("steps").as_int(), 3);
  EXPECT_GT(j.at("rows").size(), 3u);
}
