// A run killed during its final save has checkpoint.safetensors but no model.safetensors: `strata eval` and
// `strata predict` on the run folder use the newest valid checkpoint's model weights and say so in one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "strata/io/checkpoint.h"
#include "tools/cli_test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

class RunFolderFallback : public strata::testing::TempDirTest {
 protected:
  RunFolderFallback() : TempDirTest("strata_fallback_test") {}

  // Trains a small MLP on `train_rows` CSV rows for 2 epochs and returns its run folder.
  std::string train_csv_run(int train_rows) {
    write("train.csv", strata::testing::blobs_csv(train_rows, 1));
    write("test.csv", strata::testing::blobs_csv(30, 2));
    write("cfg.json", R"({"name": "k", "output_dir": ")" + dir_.string() + R"(", "seed": 3,
      "model": {"architecture": "mlp", "hidden": [8], "num_classes": 3},
      "data": {"dataset": "csv", "train": ")" +
                          path("train.csv") + R"(", "test": ")" + path("test.csv") + R"(", "label_column": "y"},
      "optimizer": {"type": "adam", "lr": 0.02}, "epochs": 2, "batch_size": 16})");
    const auto r = strata::testing::run_cli({"train", path("cfg.json"), "--quiet"});
    EXPECT_EQ(r.rc, 0) << r.err;
    return path("k");
  }
};

}  // namespace

TEST_F(RunFolderFallback, EvalAndPredictUseTheLatestCheckpoint) {
  const std::string run_dir = train_csv_run(120);
  ASSERT_FALSE(HasFailure());
  const auto eval_full = strata::testing::run_cli({"eval", run_dir});
  ASSERT_EQ(eval_full.rc, 0) << eval_full.err;
  const auto predict_full = strata::testing::run_cli({"predict", run_dir});
  ASSERT_EQ(predict_full.rc, 0) << predict_full.err;

  // As after a kill during the final save: the last checkpoint (written after the last epoch) holds the same weights.
  fs::remove(run_dir + "/model.safetensors");
  const auto eval_ckpt = strata::testing::run_cli({"eval", run_dir});
  ASSERT_EQ(eval_ckpt.rc, 0) << eval_ckpt.err;
  EXPECT_HAS(eval_ckpt.out, "No model.safetensors in " + run_dir);
  EXPECT_HAS(eval_ckpt.out, "using the model weights of " + run_dir + "/checkpoint.safetensors (epoch 2)");
  const std::string metrics = eval_full.out.substr(eval_full.out.find(" on test set"));
  EXPECT_HAS(eval_ckpt.out, metrics);  // the same accuracy, loss and per-class table

  // predict keeps stdout for the predictions; the note goes to stderr.
  ::testing::internal::CaptureStderr();
  const auto predict_ckpt = strata::testing::run_cli({"predict", run_dir});
  const std::string note = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(predict_ckpt.rc, 0) << predict_ckpt.err;
  EXPECT_EQ(predict_ckpt.out, predict_full.out);
  EXPECT_HAS(note, "checkpoint.safetensors");

  // A corrupt checkpoint is never used: with no valid one left, eval fails naming the missing model file and why
  // the checkpoint was refused.
  std::string bytes;
  {
    std::ifstream in(run_dir + "/checkpoint.safetensors", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() - 1] = static_cast<char>(bytes[bytes.size() - 1] ^ 0x10);
  std::ofstream(run_dir + "/checkpoint.safetensors", std::ios::binary) << bytes;
  const auto eval_bad = strata::testing::run_cli({"eval", run_dir});
  EXPECT_EQ(eval_bad.rc, 1);
  EXPECT_HAS(eval_bad.err, run_dir + "/model.safetensors: not found, and no checkpoint in " + run_dir + " is usable");
  EXPECT_HAS(eval_bad.err, "checksum mismatch");
  // Asked for explicitly, the corrupt checkpoint is an error naming the tensor whose bytes changed.
  const auto eval_explicit =
      strata::testing::run_cli({"eval", run_dir, "--weights", run_dir + "/checkpoint.safetensors"});
  EXPECT_EQ(eval_explicit.rc, 1);
  EXPECT_HAS(eval_explicit.err, "checksum mismatch");
}

// quantize and landscape (supervised), sample and embed (tasks) fall back to the newest checkpoint the same way.
TEST_F(RunFolderFallback, OtherRunFolderCommandsUseTheLatestCheckpoint) {
  const std::string run = train_csv_run(90);
  ASSERT_FALSE(HasFailure());
  fs::remove(run + "/model.safetensors");
  const std::string note = "No model.safetensors in " + run;
  const auto q = strata::testing::run_cli({"quantize", run, "--mode", "dynamic"});
  ASSERT_EQ(q.rc, 0) << q.err;
  EXPECT_HAS(q.out, note);
  EXPECT_HAS(q.out, "using the model weights of " + run + "/checkpoint.safetensors (epoch 2)");
  const auto l = strata::testing::run_cli({"landscape", run, "--no-surface", "--points", "3", "--eval-examples", "16"});
  ASSERT_EQ(l.rc, 0) << l.err;
  EXPECT_HAS(l.out, note);

  // An autoencoder on a two-image Fashion-MNIST folder: sample and embed.
  const std::string images = strata::testing::fake_fashion_mnist(path("fmnist"));
  write("ae.json", R"({"name": "ae", "output_dir": ")" + dir_.string() +
                       R"(", "task": {"type": "autoencoder", "samples": 2},
    "model": {"encoder": [{"type": "Flatten"}, {"type": "Linear", "out_features": 2}],
              "decoder": [{"type": "Linear", "out_features": 784}, {"type": "Sigmoid"},
                          {"type": "Unflatten", "dim": 1, "unflattened_size": [1, 28, 28]}]},
    "data": {"dataset": "fashion_mnist", "path": ")" +
                       images + R"("}, "epochs": 1, "batch_size": 2})");
  const auto t = strata::testing::run_cli({"train", path("ae.json"), "--quiet"});
  ASSERT_EQ(t.rc, 0) << t.err;
  const std::string ae = path("ae");
  fs::remove(ae + "/model.safetensors");
  const auto s = strata::testing::run_cli({"sample", ae, "--n", "2", "--output", path("pics")});
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_HAS(s.out, "No model.safetensors in " + ae);
  const auto e = strata::testing::run_cli({"embed", ae, "--output", path("codes.csv")});
  ASSERT_EQ(e.rc, 0) << e.err;
  EXPECT_HAS(e.out, "No model.safetensors in " + ae);
  EXPECT_HAS(e.out, "2 x 2 bottleneck features");

  // Without any weights, the commands still say what is missing.
  fs::remove(ae + "/checkpoint.safetensors");
  const auto none = strata::testing::run_cli({"embed", ae});
  EXPECT_EQ(none.rc, 1);
  EXPECT_HAS(none.err, ae + "/model.safetensors");
}
