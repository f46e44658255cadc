// `strata quantize` end to end: a tiny trained MLP run (CSV data, dynamic) and a tiny LeNet run on Fashion-MNIST
// (static, the default for conv models), then eval / predict of the int8 model, and the errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/data/fashion_mnist.h"
#include "strata/io/quantized.h"
#include "tools/cli_test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

using strata::testing::run_cli;

class QuantizeCli : public strata::testing::TempDirTest {
 protected:
  QuantizeCli() : TempDirTest("strata_quantize_test") {}
  static std::string blobs(int n, uint32_t seed) { return strata::testing::blobs_csv(n, seed); }
};

// "Test accuracy: float32 F%, int8 Q% ..." -> (F, Q).
std::pair<double, double> accuracies(const std::string& out) {
  double f = -1, q = -1;
  const size_t at = out.find("Test accuracy: ");
  if (at != std::string::npos) std::sscanf(out.c_str() + at, "Test accuracy: float32 %lf%%, int8 %lf%%", &f, &q);
  return {f, q};
}

TEST_F(QuantizeCli, DynamicMlpOnCsv) {
  write("train.csv", blobs(300, 1));
  write("test.csv", blobs(90, 2));
  write("cfg.json", R"({"name": "blobs", "output_dir": ")" + dir_.string() + R"(", "seed": 3,
    "model": {"architecture": "mlp", "hidden": [16], "num_classes": 3},
    "data": {"dataset": "csv", "train": ")" +
                        path("train.csv") + R"(", "test": ")" + path("test.csv") +
                        R"(", "label_column": "y"},
    "optimizer": {"type": "adam", "lr": 0.02}, "epochs": 3, "batch_size": 16})");
  auto r = run_cli({"train", path("cfg.json"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string run = path("blobs");
  r = run_cli({"quantize", run});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "(dynamic)");  // no Conv2d: dynamic by default
  EXPECT_HAS(r.out, "QuantizedLinear (dynamic)");
  const auto [f, q] = accuracies(r.out);
  EXPECT_GT(f, 90.0);
  EXPECT_NEAR(q, f, 3.0);  // 90 well-separated examples: at most a few flip
  EXPECT_TRUE(io::is_quantized_file(run + "/model.int8.safetensors"));

  // eval --int8 reports the int8 accuracy quantize printed; --weights on the file does the same.
  char acc[32];
  std::snprintf(acc, sizeof acc, "accuracy %.4f", q / 100.0);
  r = run_cli({"eval", run, "--int8"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "model.int8.safetensors");
  EXPECT_HAS(r.out, acc);
  auto w = run_cli({"eval", run, "--weights", run + "/model.int8.safetensors"});
  EXPECT_EQ(w.out, r.out);
  r = run_cli({"predict", run, "--int8", "--limit", "5"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 6);

  // Static mode on an MLP works too (calibrated Linear layers).
  r = run_cli({"quantize", run, "--mode", "static", "--calibration", "50"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "calibrated on 50 examples");

  // Errors name what was wrong.
  r = run_cli({"quantize", path("nope")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "is not a run folder");
  fs::create_directories(path("empty"));
  fs::copy_file(run + "/config.json", path("empty/config.json"));
  r = run_cli({"quantize", path("empty")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.err, "no model in");
  r = run_cli({"quantize", run, "--mode", "fast"});
  EXPECT_EQ(r.rc, 2);  // a bad option value is a usage mistake
  EXPECT_HAS(r.err,
             "strata quantize: usage error: strata quantize --mode: quantization mode must be \"dynamic\" or "
             "\"static\", got \"fast\"");
  r = run_cli({"quantize", run, "--calibration", "0"});
  EXPECT_HAS(r.err, "--calibration must be at least 1");
  r = run_cli({"quantize", "--help"});
  EXPECT_HAS(r.out, "usage: strata quantize");
}

TEST_F(QuantizeCli, StaticLenetOnFashionMnist) {
  STRATA_SKIP_WITHOUT_FASHION_MNIST();
  write("cfg.json", strata::testing::tiny_lenet_config(dir_.string(), 300, 1));
  auto r = run_cli({"train", path("cfg.json"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run_cli({"quantize", path("tiny"), "--calibration", "100"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "QuantizedConv2d (static)");
  const auto [f, q] = accuracies(r.out);
  EXPECT_GT(f, 30.0);
  EXPECT_NEAR(q, f, 5.0);  // 200 test images: 5 points is 10 flips
  r = run_cli({"eval", path("tiny"), "--int8"});
  ASSERT_EQ(r.rc, 0) << r.err;
  char acc[32];
  std::snprintf(acc, sizeof acc, "accuracy %.4f", q / 100.0);
  EXPECT_HAS(r.out, acc);
}

}  // namespace
