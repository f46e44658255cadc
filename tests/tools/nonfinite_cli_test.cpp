// `strata train` on runs that go non-finite (a huge learning rate): exit 1 with the step even under --quiet, the
// last all-finite weights kept in model.safetensors and checkpoint.safetensors, and JSON files with null for nan.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "strata/autograd/anomaly.h"
#include "strata/io/json.h"
#include "strata/io/safetensors.h"
#include "tools/cli_test_util.h"
#include "tools/finite_weights.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

class NonFiniteCliTest : public strata::testing::TempDirTest {
 protected:
  NonFiniteCliTest() : TempDirTest("strata_nonfinite_test") {}
  void SetUp() override {
    TempDirTest::SetUp();
    write("train.csv", strata::testing::blobs_csv(300, 1));
    write("test.csv", strata::testing::blobs_csv(90, 2));
  }
  // An MLP on the blobs with SGD at `lr`; `schedule` is a JSON fragment (",\"schedule\": {...}") or "".
  std::string config(const std::string& name, const std::string& lr, const std::string& schedule = "") {
    return write(name + ".json", R"({"name": ")" + name + R"(", "output_dir": ")" + dir_.string() + R"(", "seed": 3,
      "model": {"architecture": "mlp", "hidden": [64, 32], "num_classes": 3},
      "data": {"dataset": "csv", "train": ")" +
                                     path("train.csv") + R"(", "test": ")" + path("test.csv") +
                                     R"(", "label_column": "y"},
      "loss": "cross_entropy", "optimizer": {"type": "sgd", "lr": )" +
                                     lr + "}" + schedule + R"(, "epochs": 3, "batch_size": 16})");
  }
  static int64_t non_finite_count(const std::string& file) {
    int64_t n = 0;
    for (const auto& [k, t] : io::load_safetensors(file).tensors) {
      const autograd::NonFinite c = autograd::count_non_finite(t);
      n += c.nan + c.inf;
    }
    return n;
  }
};

bool has_null(const io::Json& j) {
  if (j.is_null()) return true;
  if (j.is_array()) {
    for (const io::Json& e : j.elements()) {
      if (has_null(e)) return true;
    }
  }
  if (j.is_object()) {
    for (const std::string& k : j.keys()) {
      if (has_null(j.at(k))) return true;
    }
  }
  return false;
}

}  // namespace

TEST_F(NonFiniteCliTest, HugeLearningRateFailsWithTheStepAndKeepsFiniteWeights) {
  const std::string cfg = config("huge", "1e6");
  strata::testing::CliResult r = strata::testing::run_cli({"train", cfg, "--quiet"});
  EXPECT_EQ(r.rc, 1);
  // The reason reaches stderr under --quiet: the step, and a hint to name the op.
  EXPECT_HAS(r.err, "huge.json: training went non-finite: the loss became nan/inf at step ");
  EXPECT_HAS(r.err, "--diagnose");
  EXPECT_HAS(r.err, "initial ones");
  EXPECT_HAS(r.out, "Doctor: [error] non_finite at step ");  // the doctor's errors, even under --quiet
  const std::string run_dir = path("huge");
  // Diverged in epoch 1: the initial weights are kept, and no checkpoint holds nan weights.
  EXPECT_EQ(non_finite_count(run_dir + "/model.safetensors"), 0);
  EXPECT_EQ(io::load_safetensors(run_dir + "/model.safetensors").tensors.size(), 6u);
  EXPECT_FALSE(fs::exists(run_dir + "/checkpoint.safetensors"));
  // results.json is written and names the failure; the report's loss curve has null where it went nan.
  io::Json res = io::load_json_file(run_dir + "/results.json");
  EXPECT_HAS(res.at("failure").as_string(), "at step ");
  EXPECT_TRUE(std::isfinite(res.at("test").at("loss").as_double()));  // the kept weights, evaluated
  EXPECT_TRUE(has_null(io::load_json_file(run_dir + "/report_data.json")));

  // With anomaly mode the message names the op and the layer.
  r = strata::testing::run_cli({"train", cfg, "--quiet", "--diagnose"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "pass of op '");
  EXPECT_HAS(r.err, "in layer ");
}

TEST_F(NonFiniteCliTest, KeepsTheWeightsOfTheLastFiniteEpoch) {
  // lr 0.1 in epoch 1, then 1e5: the run diverges in epoch 2 and keeps epoch 1's weights.
  const std::string cfg = config("late", "0.1", R"(, "schedule": {"type": "step", "step_size": 1, "gamma": 1e6})");
  strata::testing::CliResult r = strata::testing::run_cli({"train", cfg});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "Run failed: training went non-finite");
  EXPECT_HAS(r.err, "the weights kept are those of the end of epoch 1");
  const std::string run_dir = path("late");
  EXPECT_EQ(non_finite_count(run_dir + "/model.safetensors"), 0);
  // The checkpoint of epoch 1 is kept, and it holds the same weights as the model.
  const io::SafetensorsFile model = io::load_safetensors(run_dir + "/model.safetensors");
  const io::SafetensorsFile init = io::load_safetensors(run_dir + "/init.safetensors");
  ASSERT_TRUE(fs::exists(run_dir + "/checkpoint.safetensors"));
  EXPECT_EQ(non_finite_count(run_dir + "/checkpoint.safetensors"), 0);
  bool differs_from_init = false;
  for (const auto& [k, t] : model.tensors) {
    if (t.to_vector<float>() != init.tensors.at(k).to_vector<float>()) differs_from_init = true;
  }
  EXPECT_TRUE(differs_from_init);  // trained weights, not the initial ones
  io::Json res = io::load_json_file(run_dir + "/results.json");
  EXPECT_GT(res.at("test").at("accuracy").as_double(), 0.8);
}

TEST_F(NonFiniteCliTest, HealthyRunHasNoFailure) {
  strata::testing::CliResult r = strata::testing::run_cli({"train", config("ok", "0.05"), "--quiet"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("Doctor:"), std::string::npos);
  EXPECT_FALSE(io::load_json_file(path("ok") + "/results.json").contains("failure"));
}

TEST_F(NonFiniteCliTest, QuietAdamRunThatBlowsUpNamesLrTooHigh) {
  // Adam at lr 1e3: the loss climbs to ~1e10 but stays finite, so the run succeeds; --quiet still prints the
  // doctor's lr_too_high error instead of saying nothing.
  std::string cfg = config("adam", "1e3");
  std::string text;
  {
    std::ifstream in(cfg);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("\"sgd\""), 5, "\"adam\"");
  write("adam.json", text);
  strata::testing::CliResult r = strata::testing::run_cli({"train", cfg, "--quiet"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "Doctor: [error] lr_too_high at step ");
}

TEST(FiniteJson, ReplacesNonFiniteNumbersWithNull) {
  io::Json j = io::Json::object();
  j.set("a", std::numeric_limits<double>::quiet_NaN());
  io::Json arr = io::Json::array();
  arr.push_back(1.5);
  arr.push_back(-std::numeric_limits<double>::infinity());
  j.set("b", arr);
  j.set("c", int64_t{7});
  EXPECT_THROW((void)j.dump(), Error);
  const io::Json f = tools::detail::finite_json(j);
  EXPECT_EQ(f.dump(), R"({"a":null,"b":[1.5,null],"c":7})");
}
