// `strata tradeoff` end to end on a tiny generated CSV (2 widths, 1 epoch), the width/depth rules of
// scale_model_spec, and bad arguments named in the error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/core/error.h"
#include "strata/io/json.h"
#include "strata/tools/tradeoff.h"
#include "tools/cli_test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

class TradeoffCliTest : public strata::testing::TempDirTest {
 protected:
  TradeoffCliTest() : TempDirTest("strata_tradeoff_cli_test") {}
  void SetUp() override {
    TempDirTest::SetUp();
    write("train.csv", strata::testing::blobs_csv(96, 1, 2.0));
    write("test.csv", strata::testing::blobs_csv(96, 2, 2.0));
    std::ofstream(path("cfg.json")) << R"({"name": "blobs", "output_dir": ")" << dir_.string() << R"(", "seed": 3,
      "model": {"architecture": "mlp", "hidden": [16, 8], "num_classes": 3},
      "data": {"dataset": "csv", "train": ")"
                                    << path("train.csv") << R"(", "test": ")" << path("test.csv")
                                    << R"(", "label_column": "y"},
      "loss": "cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
      "epochs": 3, "batch_size": 16})";
  }
};

}  // namespace

TEST_F(TradeoffCliTest, TwoWidthsWriteTableJsonAndReport) {
  auto r = strata::testing::run_cli(
      {"tradeoff", path("cfg.json"), "--widths", "2,32", "--epochs", "1", "--repeats", "2", "--output", path("out")});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_HAS(r.out, "accuracy (test)");
  EXPECT_HAS(r.out, "accum mem (4x)");
  EXPECT_HAS(r.out, "gradient accumulation, 4 x 4 instead of 16 at once");
  EXPECT_HAS(r.out, "variants of the front's models");
  EXPECT_HAS(r.out, "float32: accuracy");
  io::Json j = io::load_json_file(path("out/results.json"));
  EXPECT_EQ(j.at("axis").as_string(), "width");
  EXPECT_EQ(j.at("epochs").as_int(), 1);
  ASSERT_EQ(j.at("models").size(), 2u);
  const io::Json& small = j.at("models").at(0);
  const io::Json& big = j.at("models").at(1);
  EXPECT_EQ(small.at("width").as_int(), 2);
  // mlp hidden [16, 8] at width 2: [2, 1] -> 4*2+2 + 2*1+1 + 1*3+3 parameters; at 32: [32, 16].
  EXPECT_EQ(small.at("params").as_int(), 10 + 3 + 6);
  EXPECT_EQ(big.at("params").as_int(), (4 * 32 + 32) + (32 * 16 + 16) + (16 * 3 + 3));
  EXPECT_EQ(big.at("flops").as_int(), 2 * (4 * 32 + 32 * 16 + 16 * 3) + 32 + 16);
  // The smallest model is always on the parameter front (nothing has fewer parameters).
  EXPECT_TRUE(small.at("front").at("params").as_bool());
  // Accumulation's 4 micro-batches of 4 save activation memory on the width-32 model; on the width-2 one the
  // activations are a few dozen bytes and the micro-batches' own small tensors can outweigh the saving.
  EXPECT_LT(big.at("accumulated_memory_bytes").as_int(), big.at("train_memory_bytes").as_int());
  for (const io::Json& m : j.at("models").elements()) {
    EXPECT_GT(m.at("train_memory_bytes").as_int(), 0);
    const bool on_front = m.at("front").at("params").as_bool() || m.at("front").at("flops").as_bool() ||
                          m.at("front").at("latency_b1_ms").as_bool();
    // float32, int8 and bf16 for the front's models.
    ASSERT_EQ(m.at("variants").size(), on_front ? 3u : 0u);
    if (!on_front) continue;
    EXPECT_EQ(m.at("variants").at(1).at("name").as_string(), "int8");
    EXPECT_EQ(m.at("variants").at(2).at("name").as_string(), "bf16");
    // int8 weights take a quarter of float32's (plus scales and float32 biases).
    EXPECT_LT(m.at("variants").at(1).at("weight_bytes").as_int(), m.at("variants").at(0).at("weight_bytes").as_int());
  }
  std::ifstream html(path("out/report.html"));
  std::stringstream ss;
  ss << html.rdbuf();
  EXPECT_HAS(ss.str(), "id=\"tradeoff\"");
  // One scatter per cost (params, FLOPs, latency, memory), each with both models and the front's 1 or 2.
  const std::string html_text = ss.str();
  size_t plots = 0;
  for (size_t p = html_text.find("data-points=\""); p != std::string::npos;
       p = html_text.find("data-points=\"", p + 1)) {
    const char n = html_text[p + 13];
    EXPECT_TRUE(n == '3' || n == '4') << html_text.substr(p, 20);
    ++plots;
  }
  EXPECT_EQ(plots, 4u);
}

TEST_F(TradeoffCliTest, BadArgumentsAreNamed) {
  // Usage mistakes exit 2; an unknown variant (found by the library) 1.
  auto bad = [&](std::vector<std::string> args, const std::string& needle) {
    args.insert(args.begin(), {"tradeoff", path("cfg.json")});
    auto r = strata::testing::run_cli(args);
    EXPECT_EQ(r.rc, needle.find("variant") == std::string::npos ? 2 : 1) << r.out;
    EXPECT_HAS(r.err, needle);
  };
  bad({"--width", "4"}, "--width");
  bad({"--widths", ""}, "--widths is empty");
  bad({"--widths", "4,0"}, "--widths must be at least 1, got 0");
  bad({"--widths", "4,x"}, "--widths: expected an integer, got \"x\"");
  bad({"--widths", "4", "--depths", "2"}, "exactly one of --widths and --depths");
  bad({}, "exactly one of --widths and --depths");
  bad({"--widths", "4", "--variants", "int3"}, "unknown variant \"int3\"");
  EXPECT_EQ(strata::testing::run_cli({"tradeoff", "--help"}).rc, 0);
}

TEST(TradeoffScale, WidthAndDepthRules) {
  using tools::ScaleAxis;
  io::Json mlp = io::parse_json(R"({"architecture": "mlp", "hidden": [512, 256], "num_classes": 10})");
  EXPECT_EQ(tools::scale_model_spec(mlp, ScaleAxis::Width, 64).at("hidden"), io::parse_json("[64, 32]"));
  EXPECT_EQ(tools::scale_model_spec(mlp, ScaleAxis::Depth, 3).at("hidden"), io::parse_json("[512, 512, 512]"));
  io::Json lenet = io::parse_json(R"({"architecture": "lenet5", "channels": [16, 32]})");
  EXPECT_EQ(tools::scale_model_spec(lenet, ScaleAxis::Width, 8).at("channels"), io::parse_json("[8, 16]"));
  EXPECT_HAS(strata::testing::error_of([&] { tools::scale_model_spec(lenet, ScaleAxis::Depth, 2); }), "no depth rule");
  EXPECT_HAS(strata::testing::error_of([&] { tools::scale_model_spec(mlp, ScaleAxis::Width, 0); }),
             "a width must be at least 1, got 0");
  // A layer list: hidden Linear and Conv2d sizes scale, the output Linear keeps its size, and the input sizes that
  // follow are left to the builder.
  io::Json layers = io::parse_json(R"({"layers": [
      {"type": "Conv2d", "in_channels": 1, "out_channels": 8, "kernel_size": 3},
      {"type": "BatchNorm2d", "num_features": 8}, {"type": "Flatten"},
      {"type": "Linear", "in_features": 128, "out_features": 32}, {"type": "Linear", "out_features": 10}]})");
  io::Json s = tools::scale_model_spec(layers, ScaleAxis::Width, 4).at("layers");
  EXPECT_EQ(s.at(0).at("out_channels").as_int(), 4);
  EXPECT_EQ(s.at(0).at("in_channels").as_int(), 1);
  EXPECT_FALSE(s.at(1).contains("num_features"));
  EXPECT_FALSE(s.at(3).contains("in_features"));
  EXPECT_EQ(s.at(3).at("out_features").as_int(), 16);
  EXPECT_EQ(s.at(4).at("out_features").as_int(), 10);
}

TEST_F(TradeoffCliTest, BudgetSecondsStopsTraining) {
  // 1000 epochs asked for, a budget of a nanosecond (less than any batch takes): training stops after the first
  // batch, closing its epoch.
  tools::RunConfig c = tools::load_run_config(path("cfg.json"));
  c.epochs = 1000;
  tools::RunOptions ro;
  ro.out = nullptr;
  ro.write_files = false;
  ro.max_seconds = 1e-9;
  tools::RunResult r = tools::run_training(c, ro);
  EXPECT_EQ(r.history.epochs.size(), 1u);
  EXPECT_EQ(r.history.global_step, 1);
  EXPECT_HAS(r.history.stop_reason, "reached the budget of 1e-09 s");
}

TEST_F(TradeoffCliTest, SummaryLatencyAndInferenceMemory) {
  auto r = strata::testing::run_cli({"summary", path("cfg.json"), "--batch", "4", "--latency", "--repeats", "1"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_HAS(r.out, "Fwd ms");
  EXPECT_HAS(r.out, "Bwd ms");
  // Linear(4, 16), ReLU, Linear(16, 8), ReLU, Linear(8, 3) at batch 4: the largest neighbouring pair is the
  // first Linear's and ReLU's outputs, 2 * 4 * 16 floats = 512 B; training keeps all five (4 * 51 floats).
  EXPECT_HAS(r.out, "Activation memory for inference (peak of live outputs, nothing kept): 512 B");
  EXPECT_HAS(r.out, "(what training keeps for backward, roughly): 816 B");
  auto bad = strata::testing::run_cli({"summary", path("cfg.json"), "--latency", "--repeats", "0"});
  EXPECT_EQ(bad.rc, 2);  // a usage mistake
  EXPECT_HAS(bad.err, "--repeats must be at least 1, got 0");
}
