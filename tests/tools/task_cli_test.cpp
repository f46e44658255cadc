// `strata train` with "task": autoencoder, vae and gan, and `strata sample` / `embed` / `eval` on their runs:
// the run folder, the pictures, the loss terms, the doctor's sample checks and the errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "strata/io/checkpoint.h"
#include "strata/io/image.h"
#include "strata/io/json.h"
#include "strata/io/safetensors.h"
#include "strata/ops/elementwise.h"
#include "strata/tools/run.h"
#include "tools/cli_test_util.h"
#include "tools/doctor_fix.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

class TaskCliTest : public strata::testing::TempDirTest {
 protected:
  TaskCliTest() : TempDirTest("strata_task_cli_test") {}
  strata::testing::CliResult train(const std::string& config) {
    return strata::testing::run_cli({"train", write("config.json", config), "--output-dir", path("runs"), "--quiet"});
  }
};

const char* kAutoencoder = R"({
  "name": "ae", "task": {"type": "autoencoder", "loss": "bce", "samples": 8},
  "model": {"encoder": [{"type": "Flatten"}, {"type": "Linear", "out_features": 8}],
            "decoder": [{"type": "Linear", "out_features": 784}, {"type": "Sigmoid"},
                        {"type": "Unflatten", "dim": 1, "unflattened_size": [1, 28, 28]}]},
  "data": {"dataset": "fashion_mnist", "limit_train": 256, "limit_test": 64, "validation_split": 0.25},
  "early_stopping": {"monitor": "val_loss", "patience": 1},
  "epochs": 2, "batch_size": 64})";

TEST_F(TaskCliTest, AutoencoderRunFolderSampleEmbedEval) {
  auto r = train(kAutoencoder);
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string run = path("runs/ae");
  for (const char* f : {"model.safetensors", "checkpoint.safetensors", "log.csv", "results.json", "diagnosis.json",
                        "report.html", "reconstructions.png"}) {
    EXPECT_TRUE(fs::exists(run + "/" + f)) << f;
  }
  // Reconstructions: 8 test images over their reconstructions, in one grid of 2 rows.
  Tensor png = io::read_png(run + "/reconstructions.png");
  EXPECT_EQ(png.size(1), 2 * 28 + 3 * 2);
  const io::Json results = io::load_json_file(run + "/results.json");
  EXPECT_EQ(results.at("task").as_string(), "autoencoder");
  EXPECT_GT(results.at("test").at("loss").as_double(), 0.0);
  // The report shows the pictures inline.
  std::ifstream html(run + "/report.html");
  const std::string text((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_HAS(text, "data:image/png;base64,");

  auto e = strata::testing::run_cli({"embed", run, "--limit", "10", "--output", path("codes.csv")});
  ASSERT_EQ(e.rc, 0) << e.err;
  std::ifstream codes(path("codes.csv"));
  std::string header;
  std::getline(codes, header);
  EXPECT_EQ(header, "index,label,f0,f1,f2,f3,f4,f5,f6,f7");
  int lines = 0;
  for (std::string l; std::getline(codes, l);) ++lines;
  EXPECT_EQ(lines, 10);

  auto s = strata::testing::run_cli({"sample", run, "--output", path("pics")});
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_TRUE(fs::exists(path("pics/reconstructions.png")));

  auto ev = strata::testing::run_cli({"eval", run});
  ASSERT_EQ(ev.rc, 0) << ev.err;
  EXPECT_HAS(ev.out, "64 examples:");
  EXPECT_HAS(ev.out, "loss");
}

TEST_F(TaskCliTest, VAELogsItsTermsAndDrawsItsLatentMap) {
  auto r = train(R"({
    "name": "vae", "task": {"type": "vae", "beta": 0.5, "samples": 4},
    "model": {"latent_dim": 2,
              "encoder": [{"type": "Flatten"}, {"type": "Linear", "out_features": 16}, {"type": "ReLU"},
                          {"type": "Linear", "out_features": 4}],
              "decoder": [{"type": "Linear", "out_features": 784}, {"type": "Sigmoid"},
                          {"type": "Unflatten", "dim": 1, "unflattened_size": [1, 28, 28]}]},
    "data": {"dataset": "fashion_mnist", "limit_train": 256, "limit_test": 64},
    "epochs": 1, "batch_size": 64})");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string run = path("runs/vae");
  std::ifstream log(run + "/log.csv");
  std::string header;
  std::getline(log, header);
  for (const char* k : {"loss", "recon", "kl"}) EXPECT_HAS(header, k);
  for (const char* f : {"samples.png", "interpolation.png", "latent_map.png", "latent_scatter.png"})
    EXPECT_TRUE(fs::exists(run + "/" + f)) << f;
  // loss = recon + beta * kl on the test set.
  const io::Json t = io::load_json_file(run + "/results.json").at("test");
  EXPECT_NEAR(t.at("loss").as_double(), t.at("recon").as_double() + 0.5 * t.at("kl").as_double(), 1e-3);
  auto e = strata::testing::run_cli({"embed", run, "--limit", "3", "--output", path("z.csv")});
  ASSERT_EQ(e.rc, 0) << e.err;
  EXPECT_HAS(e.out, "3 x 2 bottleneck features");
}

TEST_F(TaskCliTest, GANOnTheRingIsProbedForModeCoverage) {
  auto r = train(R"({
    "name": "gan", "task": {"type": "gan", "d_steps": 2, "probe_samples": 200,
                            "discriminator_optimizer": {"type": "sgd", "lr": 0.01}},
    "model": {"noise_dim": 4,
              "generator": [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Linear", "out_features": 2}],
              "discriminator": [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "MinibatchStdDev"},
                                {"type": "Linear", "out_features": 1}]},
    "data": {"dataset": "ring", "size": 512},
    "epochs": 2, "batch_size": 64})");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string run = path("runs/gan");
  const io::Json rep = io::load_json_file(run + "/report_data.json");
  ASSERT_EQ(rep.at("sample_checks").size(), 2U);  // one per epoch
  const io::Json& c = rep.at("sample_checks").at(size_t{1});
  EXPECT_EQ(c.at("modes").as_int(), 8);
  EXPECT_GE(c.at("modes_covered").as_int(), 0);
  EXPECT_TRUE(fs::exists(run + "/samples.png"));  // scatter of generated over real points
  // The checkpoint holds both optimizers.
  const io::Checkpoint ck = io::load_checkpoint(run + "/checkpoint.safetensors");
  EXPECT_EQ(ck.optimizer.at("name").as_string(), "Adam");
  EXPECT_EQ(ck.optimizer.at("discriminator").at("name").as_string(), "SGD");
  EXPECT_EQ(ck.epoch, 2);
  std::ifstream log(run + "/log.csv");
  std::string header;
  std::getline(log, header);
  for (const char* k : {"d_loss", "g_loss", "d_real", "d_fake"}) EXPECT_HAS(header, k);
  // The model keeps PyTorch-style keys for both networks.
  auto s = strata::testing::run_cli({"sample", run, "--n", "16", "--output", path("s")});
  ASSERT_EQ(s.rc, 0) << s.err;
  auto e = strata::testing::run_cli({"embed", run});
  EXPECT_EQ(e.rc, 1);
  EXPECT_HAS(e.err, "GAN run, which has no encoder");
}

TEST_F(TaskCliTest, ConfigMistakesNameTheKey) {
  auto bad_task =
      train(R"({"task": {"type": "vae", "beta": -1}, "model": {"latent_dim": 2, "encoder": [], "decoder": []},
                            "data": {"dataset": "ring"}})");
  EXPECT_EQ(bad_task.rc, 1);
  EXPECT_HAS(bad_task.err, "task.beta");
  auto loss = train(R"({"task": "autoencoder", "loss": "mse", "model": {"encoder": [], "decoder": []},
                        "data": {"dataset": "ring"}})");
  EXPECT_EQ(loss.rc, 1);
  EXPECT_HAS(loss.err, "sets its own loss");
  auto enc = train(R"({"task": "vae", "model": {"latent_dim": 3, "encoder": [{"type": "Linear", "out_features": 5}],
                       "decoder": [{"type": "Linear", "out_features": 2}]}, "data": {"dataset": "ring", "size": 64}})");
  EXPECT_EQ(enc.rc, 1);
  EXPECT_HAS(enc.err, "2 * latent_dim = 6");
  auto disc = train(R"({"task": "gan", "model": {"noise_dim": 2, "generator": [{"type": "Linear", "out_features": 2}],
                        "discriminator": [{"type": "Linear", "out_features": 3}]}, "data": {"dataset": "ring", "size": 64}})");
  EXPECT_EQ(disc.rc, 1);
  EXPECT_HAS(disc.err, "one logit per example");
  auto unknown = train(R"({"task": {"type": "gan", "k": 3}, "model": {}, "data": {"dataset": "ring"}})");
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_HAS(unknown.err, "task.k");
  auto sup = strata::testing::run_cli({"sample", path("nowhere")});
  EXPECT_EQ(sup.rc, 1);
  EXPECT_HAS(sup.err, "is not a run folder");
}

}  // namespace

namespace {

TEST(DoctorFix, ModeCollapseAddsMinibatchStdDevAndLabelSmoothing) {
  const fs::path cfg_path = fs::path(STRATA_TEST_DATA_DIR) / ".." / "examples" / "gan" / "ring_plain.json";
  io::Json cfg = io::load_json_file(cfg_path.string());
  const std::vector<std::string> changes = tools::apply_fixes(cfg, {"mode_collapse"});
  ASSERT_EQ(changes.size(), 2U);
  const io::Json& d = cfg.at("model").at("discriminator");
  EXPECT_EQ(d.at(d.size() - 2).at("type").as_string(), "MinibatchStdDev");
  EXPECT_EQ(d.at(d.size() - 1).at("type").as_string(), "Linear");
  EXPECT_DOUBLE_EQ(cfg.at("task").at("label_smoothing").as_double(), 0.1);
  // The fixed config is valid and builds; a second pass changes nothing.
  const tools::RunConfig rc = tools::parse_run_config(cfg, "fixed");
  EXPECT_GT(tools::build_task_model(rc.task, rc.model, {2})->num_parameters(), 0);
  EXPECT_TRUE(tools::apply_fixes(cfg, {"mode_collapse"}).empty());
}

}  // namespace

namespace {

TEST_F(TaskCliTest, AutoencoderTakesTransferKeys) {
  // Train once, then start a second autoencoder from its weights with the encoder frozen: the encoder's weights
  // stay those of the file while the decoder trains.
  ASSERT_EQ(train(kAutoencoder).rc, 0);
  io::Json cfg = io::parse_json(kAutoencoder);
  cfg.set("name", "ae2");
  cfg.set("init_from", io::Json(path("runs/ae/model.safetensors")));
  cfg.set("freeze", io::Json::array({io::Json(std::string("encoder.*"))}));
  auto r = train(cfg.dump());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto first = io::load_safetensors(path("runs/ae/model.safetensors")).tensors;
  const auto second = io::load_safetensors(path("runs/ae2/model.safetensors")).tensors;
  EXPECT_TRUE(allclose(first.at("encoder.1.weight"), second.at("encoder.1.weight"), 0, 0));
  EXPECT_FALSE(allclose(first.at("decoder.0.weight"), second.at("decoder.0.weight"), 0, 0));
  EXPECT_TRUE(fs::exists(path("runs/ae2/init_from.json")));
  // A GAN has two optimizers: param_groups is an error naming the key.
  auto gan = train(R"({"task": "gan", "param_groups": [{"params": ["generator.*"], "lr": 0.1}],
    "model": {"noise_dim": 2, "generator": [{"type": "Linear", "out_features": 2}],
              "discriminator": [{"type": "Linear", "out_features": 1}]},
    "data": {"dataset": "ring", "size": 64}})");
  EXPECT_EQ(gan.rc, 1);
  EXPECT_HAS(gan.err, "param_groups");
}

}  // namespace
