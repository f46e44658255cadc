// The `strata` command line end to end (through tools::cli_main): help texts, errors, and tiny train / eval /
// predict / summary runs on generated CSV data and a few hundred Fashion-MNIST images.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/data/fashion_mnist.h"
#include "strata/io/json.h"
#include "strata/io/safetensors.h"
#include "strata/tools/run.h"
#include "tools/cli_test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

using Result = strata::testing::CliResult;
Result run(const std::vector<std::string>& args) { return strata::testing::run_cli(args); }

class CliTest : public strata::testing::TempDirTest {
 protected:
  CliTest() : TempDirTest("strata_cli_test") {}
  std::string blobs(int n, uint32_t seed, bool regression) const {
    return strata::testing::blobs_csv(n, seed, 3.0, regression);
  }
};

}  // namespace

TEST(Cli, HelpOnEveryCommand) {
  Result r = run({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_HAS(r.out, "usage: strata <command>");
  for (const char* cmd : {"train", "eval", "predict", "summary"}) {
    r = run({cmd, "--help"});
    EXPECT_EQ(r.rc, 0) << cmd;
    EXPECT_HAS(r.out, std::string("usage: strata ") + cmd);
  }
  r = run({});
  EXPECT_EQ(r.rc, 2);
  r = run({"fit"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "unknown command \"fit\"");
  r = run({"train", "x.json", "--epoch", "3"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "unknown option --epoch");
  r = run({"train"});
  EXPECT_EQ(r.rc, 2);
}

TEST_F(CliTest, ConfigErrorsNameTheKey) {
  write("bad.json", R"({"model": {"layers": [{"type": "Linear", "out_features": 3, "bias": "yes"}]},
                        "data": {"dataset": "csv", "train": "t.csv"}})");
  // The model is checked when built; the run fails before training, naming the key and the file.
  write("t.csv", blobs(30, 1, false));
  write("bad2.json", R"({"model": {"architecture": "mlp"}, "data": {"dataset": "csv", "train": ")" + path("t.csv") +
                         R"("}, "optimizer": {"type": "sgd", "lr": "high"}})");
  Result r = run({"train", path("bad2.json"), "--quiet"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "bad2.json");
  EXPECT_HAS(r.err, "optimizer.lr");
  write("bad3.json", R"({"model": {"layers": [{"type": "Linear", "out_features": 3, "bias": "yes"}]},
                         "data": {"dataset": "csv", "train": ")" +
                         path("t.csv") + R"("}})");
  r = run({"summary", path("bad3.json")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "model.layers[0].bias");
  r = run({"train", path("missing.json")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "missing.json");
}

TEST_F(CliTest, TrainEvalPredictSummaryOnCsv) {
  write("train.csv", blobs(300, 1, false));
  write("test.csv", blobs(90, 2, false));
  write("cfg.json", R"({"name": "blobs", "output_dir": ")" + dir_.string() + R"(", "seed": 3,
    "model": {"architecture": "mlp", "hidden": [16], "num_classes": 3},
    "data": {"dataset": "csv", "train": ")" +
                        path("train.csv") + R"(", "test": ")" + path("test.csv") +
                        R"(", "label_column": "y", "validation_split": 0.2},
    "loss": {"type": "cross_entropy", "class_weights": "balanced"},
    "optimizer": {"type": "adam", "lr": 0.02}, "schedule": {"type": "step", "step_size": 2, "gamma": 0.5},
    "epochs": 4, "batch_size": 16, "early_stopping": {"patience": 5}, "clip_grad_norm": 5.0})");
  Result r = run({"train", path("cfg.json")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "Epoch 4/4");
  EXPECT_HAS(r.out, "Test accuracy:");
  const std::string run_dir = path("blobs");
  for (const char* f :
       {"model.safetensors", "checkpoint.safetensors", "config.json", "log.csv", "log.jsonl", "results.json"}) {
    EXPECT_TRUE(fs::exists(run_dir + "/" + f)) << f;
  }
  // No temporary files are left behind.
  for (const auto& e : fs::directory_iterator(run_dir)) EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos);
  io::Json res = io::load_json_file(run_dir + "/results.json");
  EXPECT_GT(res.at("test").at("accuracy").as_double(), 0.9);
  EXPECT_EQ(res.at("epochs").as_int(), 4);
  // The config copy parses back to the same config.
  EXPECT_EQ(io::load_json_file(run_dir + "/config.json"), io::load_json_file(path("cfg.json")));
  std::ifstream csv(run_dir + "/log.csv");
  int lines = 0;
  for (std::string l; std::getline(csv, l);) ++lines;
  EXPECT_EQ(lines, 5);  // header + 4 epochs
  EXPECT_EQ(io::load_safetensors(run_dir + "/model.safetensors").tensors.size(), 4u);

  // eval from the run folder reproduces the test accuracy.
  r = run({"eval", run_dir});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "recall");
  char acc[32];
  std::snprintf(acc, sizeof acc, "accuracy %.4f", res.at("test").at("accuracy").as_double());
  EXPECT_HAS(r.out, acc);

  // predict to a file and to stdout.
  r = run({"predict", path("cfg.json"), "--output", path("pred.csv"), "--probabilities"});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::ifstream pf(path("pred.csv"));
  std::string header;
  std::getline(pf, header);
  EXPECT_EQ(header, "index,prediction,p0,p1,p2");
  int rows = 0;
  for (std::string l; std::getline(pf, l);) ++rows;
  EXPECT_EQ(rows, 90);
  write("new.csv", "a,b,c,d\n3.1,0,0.2,0\n0,0,3.3,0.1\n");
  r = run({"predict", run_dir, "--input", path("new.csv")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "index,prediction\n0,0\n1,2\n");

  r = run({"summary", path("cfg.json")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "Linear");
  EXPECT_HAS(r.out, "Total params: 131");  // 4*16 + 16 + 16*3 + 3

  // Wrong weights for the model: an error naming the file.
  io::save_safetensors(path("w.safetensors"), nn::StateDict());
  r = run({"eval", run_dir, "--weights", path("w.safetensors")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "w.safetensors");
}

TEST_F(CliTest, RegressionWithMse) {
  write("train.csv", blobs(240, 5, true));
  write("test.csv", blobs(60, 6, true));
  write("cfg.json", R"({"name": "reg", "output_dir": ")" + dir_.string() + R"(",
    "model": {"layers": [{"type": "Linear", "out_features": 1}]},
    "data": {"dataset": "csv", "train": ")" +
                        path("train.csv") + R"(", "test": ")" + path("test.csv") +
                        R"(", "task": "regression"},
    "optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 20, "batch_size": 32})");
  Result r = run({"train", path("cfg.json"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  io::Json res = io::load_json_file(path("reg/results.json"));
  // A linear target with noise 0.1 * U(-0.5, 0.5): a linear model fits it closely.
  EXPECT_LT(res.at("test").at("loss").as_double(), 0.05);
  EXPECT_LT(res.at("test").at("mae").as_double(), 0.2);
  r = run({"predict", path("reg"), "--limit", "3"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4);
}

TEST_F(CliTest, TinyFashionMnistRun) {
  STRATA_SKIP_WITHOUT_FASHION_MNIST();
  write("cfg.json", strata::testing::tiny_lenet_config(dir_.string(), 400, 2));
  Result r = run({"train", path("cfg.json"), "--name", "tiny2"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "Test accuracy:");
  io::Json res = io::load_json_file(path("tiny2/results.json"));
  // 400 images, 2 epochs: far from converged but well above chance (0.1).
  EXPECT_GT(res.at("test").at("accuracy").as_double(), 0.4);
  EXPECT_EQ(io::load_json_file(path("tiny2/config.json")).at("name").as_string(), "tiny2");
  r = run({"summary", path("cfg.json")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "61,706");
  // predict on an IDX images file: the same predictions as on the config's test split.
  const std::string images = data::FashionMNIST::file_path(data::FashionMNIST::default_root(), false, true);
  Result from_file = run({"predict", path("tiny2"), "--input", images, "--limit", "20"});
  Result from_split = run({"predict", path("tiny2"), "--limit", "20"});
  ASSERT_EQ(from_file.rc, 0) << from_file.err;
  EXPECT_EQ(std::count(from_file.out.begin(), from_file.out.end(), '\n'), 21);
  EXPECT_EQ(from_file.out, from_split.out);
}

TEST_F(CliTest, PrecisionKeyAndFlagReachResults) {
  write("train.csv", blobs(96, 1, false));
  write("test.csv", blobs(30, 2, false));
  write("cfg.json", R"({"name": "mp", "output_dir": ")" + dir_.string() + R"(", "seed": 3,
    "model": {"architecture": "mlp", "hidden": [8], "num_classes": 3},
    "data": {"dataset": "csv", "train": ")" +
                        path("train.csv") + R"(", "test": ")" + path("test.csv") + R"(", "label_column": "y"},
    "optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 1, "batch_size": 16, "precision": "fp16"})");
  Result r = run({"train", path("cfg.json"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  io::Json res = io::load_json_file(path("mp/results.json"));
  EXPECT_EQ(res.at("precision").as_string(), "fp16");
  // 6 steps at PyTorch's initial scale 2^16, halved once per skipped step (no growth before 2000 steps).
  const int64_t skipped = res.at("skipped_steps").as_int();
  EXPECT_EQ(res.at("loss_scale").as_double(), 65536.0 * std::pow(0.5, static_cast<double>(skipped)));

  // --precision overrides the key and is recorded in the run's config.json; bf16 has no loss scaling.
  r = run({"train", path("cfg.json"), "--quiet", "--precision", "bf16", "--name", "mp_bf16"});
  ASSERT_EQ(r.rc, 0) << r.err;
  res = io::load_json_file(path("mp_bf16/results.json"));
  EXPECT_EQ(res.at("precision").as_string(), "bf16");
  EXPECT_EQ(res.at("loss_scale").as_double(), 1.0);
  EXPECT_EQ(res.at("skipped_steps").as_int(), 0);
  EXPECT_EQ(io::load_json_file(path("mp_bf16/config.json")).at("precision").as_string(), "bf16");

  // fp16 without loss scaling: scale 1.
  r = run({"train", path("cfg.json"), "--quiet", "--no-loss-scaling", "--name", "mp_noscale"});
  ASSERT_EQ(r.rc, 0) << r.err;
  res = io::load_json_file(path("mp_noscale/results.json"));
  EXPECT_EQ(res.at("precision").as_string(), "fp16");
  EXPECT_EQ(res.at("loss_scale").as_double(), 1.0);
  EXPECT_FALSE(io::load_json_file(path("mp_noscale/config.json")).at("loss_scaling").as_bool());

  r = run({"train", path("cfg.json"), "--quiet", "--precision", "fp8"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "--precision");
  EXPECT_HAS(r.err, "\"fp16\"");
}

// Bad input that used to get a poor answer (bad_alloc, an empty-tensor error, a late failure): each is now an
// error naming the file and the row or the key, before any training.
TEST_F(CliTest, BadDataFilesAreNamedBeforeTraining) {
  auto cfg = [&](const std::string& name, const std::string& train, const std::string& test) {
    std::string data = R"("dataset": "csv", "train": ")" + path(train) + "\"";
    if (!test.empty()) data += R"(, "test": ")" + path(test) + "\"";
    return write(name, R"({"name": "bad", "output_dir": ")" + dir_.string() +
                           R"(", "epochs": 1, "model": {"architecture": "mlp", "hidden": [4]}, "data": {)" + data +
                           "}}");
  };
  write("good.csv", blobs(30, 1, false));
  for (const char* label : {"1e9", "1e18", "-1"}) {
    write("big.csv", "a,b,c,d,label\n1,2,3,4,0\n1,2,3,4," + std::string(label) + "\n");
    Result big = run({"train", cfg("big.json", "big.csv", ""), "--quiet"});
    EXPECT_EQ(big.rc, 1) << label;
    EXPECT_HAS(big.err, path("big.csv") + ": data row 2: class label");
  }
  write("nan.csv", "a,b,c,d,label\n1,2,nan,4,0\n");
  Result r = run({"train", cfg("nan.json", "nan.csv", ""), "--quiet"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, path("nan.csv") + ":2:3");
  write("header.csv", "a,b,c,d,label\n");
  r = run({"train", cfg("h.json", "header.csv", ""), "--quiet"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, path("header.csv") + ": the file has no data rows");
  r = run({"train", cfg("t.json", "good.csv", "header.csv"), "--quiet"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, path("header.csv") + ": the file has no data rows (data.test)");
  EXPECT_FALSE(fs::exists(path("bad/model.safetensors")));  // failed before training
  fs::create_directories(path("dir.csv"));
  r = run({"train", cfg("d.json", "dir.csv", ""), "--quiet"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "is a directory");
}

TEST_F(CliTest, BadConfigFilesAndUsageMistakes) {
  Result r = run({"train", dir_.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "is a directory");
  r = run({"train", "/dev/zero"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "/dev/zero: larger than 64 MiB");

  write("train.csv", blobs(60, 1, false));
  write("cfg.json", R"({"name": "u", "output_dir": ")" + dir_.string() + R"(", "epochs": 1, "seed": 1,
    "model": {"architecture": "mlp", "hidden": [4], "num_classes": 3},
    "data": {"dataset": "csv", "train": ")" +
                        path("train.csv") + R"(", "test": ")" + path("train.csv") + R"("}})");
  r = run({"summary", path("cfg.json"), "--input-shape", "0"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "--input-shape sizes must be at least 1");
  r = run({"summary", path("cfg.json"), "--input-shape", "4,-2"});
  EXPECT_EQ(r.rc, 2);
  r = run({"summary", path("cfg.json"), "--batch", "0"});
  EXPECT_EQ(r.rc, 2);
  r = run({"summary", path("cfg.json"), "--input-shape", "4"});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run({"train", path("cfg.json"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run({"predict", path("u"), "--limit", "0"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "--limit must be at least 1, got 0");
  r = run({"predict", path("u"), "--limit", "2"});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run({"predict", path("u"), "--split", "dev"});
  EXPECT_EQ(r.rc, 2);
  r = run({"eval", path("u"), "--weights", dir_.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "is a directory");
  r = run({"eval"});
  EXPECT_EQ(r.rc, 2);
  r = run({"train", path("cfg.json"), "--epochs", "x"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_HAS(r.err, "usage error");
}
