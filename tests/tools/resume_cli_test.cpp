// `strata train --resume` / `--resume-from`: a run resumed from any checkpoint it wrote (epoch ends, and mid-epoch
// with "checkpoint_every_steps") ends with the same model.safetensors, log.csv and log.jsonl bytes as the run that
// never stopped; SIGINT writes a checkpoint, exits 130 and says how to resume; and the mistakes are errors.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "strata/io/checkpoint.h"
#include "tools/cli_test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ResumeCli : public strata::testing::TempDirTest {
 protected:
  ResumeCli() : TempDirTest("strata_resume_cli_test") {}
  void SetUp() override {
    TempDirTest::SetUp();
    write("train.csv", strata::testing::blobs_csv(150, 1, 1.0));
    write("test.csv", strata::testing::blobs_csv(30, 2, 1.0));
  }
  // Dropout, shuffling, validation, Adam with a per-step schedule, accumulation and early stopping with best weights.
  std::string config(const std::string& name, int epochs, const std::string& extra = "") {
    return write(name + ".json", R"({"name": ")" + name + R"(", "output_dir": ")" + dir_.string() + R"(", "seed": 4,
      "model": {"architecture": "mlp", "hidden": [12], "dropout": 0.25, "num_classes": 3},
      "data": {"dataset": "csv", "train": ")" +
                                     path("train.csv") + R"(", "test": ")" + path("test.csv") +
                                     R"(", "label_column": "y", "validation_split": 0.2},
      "optimizer": {"type": "adam", "lr": 0.01},
      "schedule": {"type": "step", "step_size": 3, "gamma": 0.9, "interval": "step"},
      "early_stopping": {"patience": 50, "restore_best_weights": true},
      "accumulation_steps": 2, "epochs": )" +
                                     std::to_string(epochs) + R"(, "batch_size": 16)" + extra + "}");
  }
};

TEST_F(ResumeCli, FromEveryCheckpointGivesTheSameFiles) {
  const std::string cfg = config("r", 3, R"(, "checkpoint_every_steps": 2, "keep_checkpoints": 100)");
  auto full = strata::testing::run_cli({"train", cfg, "--quiet"});
  ASSERT_EQ(full.rc, 0) << full.err;
  const std::string run = path("r");
  const std::string model = slurp(run + "/model.safetensors"), csv = slurp(run + "/log.csv"),
                    jsonl = slurp(run + "/log.jsonl");
  fs::create_directories(path("saved"));
  std::vector<std::string> saved;
  for (const auto& e : fs::directory_iterator(run)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("checkpoint-e", 0) == 0) {
      saved.push_back(path("saved/" + n));
      fs::copy_file(e.path(), saved.back());
    }
  }
  // 8 micro-batches of 16 per epoch -> 4 steps; every 2nd step and every epoch end, minus the newest (checkpoint).
  ASSERT_GE(saved.size(), 8U);
  EXPECT_TRUE(fs::exists(run + "/checkpoint-e0002-b000000.safetensors"));
  EXPECT_TRUE(fs::exists(run + "/checkpoint-e0002-b000004.safetensors"));  // mid-epoch: 4 micro-batches = 2 steps
  for (const std::string& ck : saved) {
    auto r = strata::testing::run_cli({"train", cfg, "--quiet", "--resume-from", ck});
    ASSERT_EQ(r.rc, 0) << ck << ": " << r.err;
    EXPECT_EQ(slurp(run + "/model.safetensors"), model) << ck;
    EXPECT_EQ(slurp(run + "/log.csv"), csv) << ck;
    EXPECT_EQ(slurp(run + "/log.jsonl"), jsonl) << ck;
  }
  // The newest checkpoint (--resume) is the end of training: nothing is left unless epochs grows.
  auto done = strata::testing::run_cli({"train", cfg, "--resume"});
  EXPECT_EQ(done.rc, 1);
  EXPECT_HAS(done.err, "already finished its 3 epochs");
  auto more = strata::testing::run_cli({"train", cfg, "--resume", "--epochs", "4", "--quiet"});
  ASSERT_EQ(more.rc, 0) << more.err;
  EXPECT_EQ(io::load_json_file(run + "/results.json").at("epochs").as_int(), 4);
}

TEST_F(ResumeCli, SigintWritesACheckpointAndTheResumeMatches) {
  const std::string cfg = config("s", 30);
  auto full = strata::testing::run_cli({"train", cfg, "--quiet"});
  ASSERT_EQ(full.rc, 0) << full.err;
  const std::string run = path("s");
  const std::string model = slurp(run + "/model.safetensors"), csv = slurp(run + "/log.csv");
  fs::remove_all(run);

  // A SIGINT from another thread once the first epoch is logged (the handlers are installed by then). Should it come
  // after training, the ignored-signal disposition restored by the run absorbs it instead of ending the test.
  auto previous = std::signal(SIGINT, SIG_IGN);
  std::atomic<bool> stop{false};
  std::thread killer([&] {
    while (!stop && slurp(run + "/log.csv").find("\n1,") == std::string::npos)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!stop) std::raise(SIGINT);
  });
  auto cut = strata::testing::run_cli({"train", cfg});
  stop = true;
  killer.join();
  std::signal(SIGINT, previous);
  ASSERT_EQ(cut.rc, 130) << cut.out << cut.err;
  EXPECT_HAS(cut.out, "Interrupted by SIGINT");
  EXPECT_HAS(cut.out, "Resume with: strata train " + cfg + " --resume");
  EXPECT_FALSE(fs::exists(run + "/model.safetensors"));  // no final files for an unfinished run
  EXPECT_FALSE(fs::exists(run + "/results.json"));

  auto resumed = strata::testing::run_cli({"train", cfg, "--resume"});
  ASSERT_EQ(resumed.rc, 0) << resumed.err;
  EXPECT_HAS(resumed.out, "Resuming from " + run + "/checkpoint.safetensors");
  EXPECT_EQ(slurp(run + "/model.safetensors"), model);
  EXPECT_EQ(slurp(run + "/log.csv"), csv);
}

TEST_F(ResumeCli, Mistakes) {
  const std::string cfg = config("m", 2);
  auto none = strata::testing::run_cli({"train", cfg, "--resume"});
  EXPECT_EQ(none.rc, 1);
  EXPECT_HAS(none.err, "no valid checkpoint in " + path("m"));
  auto both = strata::testing::run_cli({"train", cfg, "--resume", "--resume-from", "x"});
  EXPECT_EQ(both.rc, 2);
  ASSERT_EQ(strata::testing::run_cli({"train", cfg, "--quiet", "--epochs", "3"}).rc, 0);
  // Another learning rate is another run.
  std::string text = slurp(cfg);
  text.replace(text.find("0.01"), 4, "0.02");
  const std::string other = write("m2.json", text);
  auto diff = strata::testing::run_cli({"train", other, "--resume-from", path("m/checkpoint.safetensors")});
  EXPECT_EQ(diff.rc, 1);
  EXPECT_HAS(diff.err, "written by a different config: \"optimizer\" differ");
  // A checkpoint from before exact resume: weights and optimizer only.
  io::Checkpoint old = io::load_checkpoint(path("m/checkpoint.safetensors"));
  old.training = io::Json::object();
  io::save_checkpoint(path("old.safetensors"), old);
  auto o = strata::testing::run_cli({"train", cfg, "--resume-from", path("old.safetensors")});
  EXPECT_EQ(o.rc, 1);
  EXPECT_HAS(o.err, "no training position");
}

}  // namespace
