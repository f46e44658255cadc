// `strata lr-find` and `strata landscape` end to end (through tools::cli_main) on generated CSV data: help,
// the files they write, init.safetensors in the run folder, and errors naming the missing file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/io/json.h"
#include "strata/io/safetensors.h"
#include "strata/tools/run.h"
#include "tools/cli_test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

using Result = strata::testing::CliResult;
Result run(const std::vector<std::string>& args) { return strata::testing::run_cli(args); }

class LandscapeCliTest : public strata::testing::TempDirTest {
 protected:
  LandscapeCliTest() : TempDirTest("strata_landscape_cli_test") {}
  void SetUp() override {
    TempDirTest::SetUp();
    write("train.csv", strata::testing::blobs_csv(240, 1, 2.0));
    std::ofstream(path("cfg.json")) << R"({"name": "blobs", "output_dir": ")" << dir_.string() << R"(", "seed": 3,
      "model": {"architecture": "mlp", "hidden": [16], "num_classes": 3},
      "data": {"dataset": "csv", "train": ")"
                                    << path("train.csv") << R"(", "label_column": "y"},
      "loss": "cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
      "epochs": 3, "batch_size": 16, "clip_grad_norm": 5.0})";
  }
};

}  // namespace

TEST(LandscapeCli, Help) {
  Result r = run({"--help"});
  EXPECT_HAS(r.out, "lr-find <config.json>");
  EXPECT_HAS(r.out, "landscape <run dir>");
  r = run({"lr-find", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_HAS(r.out, "usage: strata lr-find");
  EXPECT_HAS(r.out, "--max-lr");
  r = run({"landscape", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_HAS(r.out, "usage: strata landscape");
  EXPECT_HAS(r.out, "--no-surface");
  r = run({"lr-find", "x.json", "--steps", "many"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "--steps");
}

TEST_F(LandscapeCliTest, LrFindWritesTheSweep) {
  Result r = run({"lr-find", path("cfg.json"), "--steps", "40", "--min-lr", "1e-4", "--max-lr", "100"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "Suggested lr:");
  EXPECT_HAS(r.out, "smoothed");
  const std::string file = path("blobs/lr_find.json");
  ASSERT_TRUE(fs::exists(file));
  io::Json j = io::load_json_file(file);
  const int64_t n = j.at("steps_run").as_int();
  EXPECT_GT(n, 5);
  EXPECT_LE(n, 40);
  EXPECT_EQ(j.at("lr").size(), static_cast<size_t>(n));
  EXPECT_EQ(j.at("lr").elements()[0].as_double(), 1e-4);
  EXPECT_GT(j.at("suggested_lr").as_double(), 1e-4);
  EXPECT_LT(j.at("suggested_lr").as_double(), 100);
  EXPECT_FALSE(fs::exists(path("blobs/model.safetensors")));  // nothing was trained for good

  r = run({"lr-find", path("cfg.json"), "--steps", "5", "--output", path("sub/lr.json")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(io::load_json_file(path("sub/lr.json")).at("steps_run").as_int(), 5);
}

TEST_F(LandscapeCliTest, TrainThenLandscape) {
  Result r = run({"train", path("cfg.json"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string run_dir = path("blobs");
  ASSERT_TRUE(fs::exists(run_dir + "/init.safetensors"));
  // init.safetensors holds the seed's initial weights: not the final ones.
  const auto init = io::load_safetensors(run_dir + "/init.safetensors").tensors;
  const auto fin = io::load_safetensors(run_dir + "/model.safetensors").tensors;
  ASSERT_EQ(init.size(), fin.size());
  EXPECT_NE(init.at("1.weight").to_vector<float>(), fin.at("1.weight").to_vector<float>());

  r = run({"landscape", run_dir, "--points", "7", "--steps", "3", "--eval-examples", "60"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "loss at alpha 0 (init)");
  EXPECT_HAS(r.out, "monoton");
  EXPECT_HAS(r.out, "non-convex");
  io::Json j = io::load_json_file(run_dir + "/landscape.json");
  EXPECT_EQ(j.at("line").at("alpha").size(), 7u);
  EXPECT_EQ(j.at("surface").at("loss").size(), 3u);
  EXPECT_EQ(j.at("eval_examples").as_int(), 60);
  const io::Json& line = j.at("summary").at("line");
  EXPECT_LT(line.at("loss_alpha1").as_double(), line.at("loss_alpha0").as_double());  // training helped
  // The plane's centre is the final weights: alpha 1 of the line.
  EXPECT_EQ(j.at("summary").at("surface").at("center").as_double(), line.at("loss_alpha1").as_double());

  r = run({"landscape", run_dir, "--points", "3", "--no-surface", "--eval-examples", "30"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_FALSE(io::load_json_file(run_dir + "/landscape.json").contains("surface"));

  r = run({"landscape", run_dir, "--steps", "4"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "--steps");
  r = run({"landscape", path("nope")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "nope");
  fs::remove(run_dir + "/init.safetensors");
  r = run({"landscape", run_dir});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "init.safetensors");
  EXPECT_HAS(r.err, "retrain");
}
