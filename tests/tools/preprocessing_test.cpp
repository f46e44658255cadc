// A run folder is self-contained: `strata train` saves the preprocessing (preprocessing.json), `predict --input`
// reproduces training's model inputs bit for bit without the training data, and `eval` needs only its split.
#include "strata/tools/preprocessing.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "strata/data/fashion_mnist.h"
#include "strata/io/json.h"
#include "strata/ops/creation.h"
#include "strata/tools/run_config.h"
#include "tools/cli_test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

std::vector<uint32_t> bits(const Tensor& t) {
  std::vector<uint32_t> b;
  for (float v : t.contiguous().to_vector<float>()) b.push_back(std::bit_cast<uint32_t>(v));
  return b;
}

Tensor all_inputs(const data::Dataset& d) {
  return d.get_batch(arange(0.0, static_cast<double>(d.size()), 1.0, kInt64)).input;
}

class RunFolderPreprocessing : public strata::testing::TempDirTest {
 protected:
  RunFolderPreprocessing() : TempDirTest("strata_preprocessing_test") {}

  std::string fake_fashion(const std::string& name) { return strata::testing::fake_fashion_mnist(path(name)); }
  std::string image_config(const std::string& name, const std::string& folder, const std::string& pixels) {
    return write(name + ".json", R"({"name": ")" + name + R"(", "output_dir": ")" + dir_.string() + R"(",
      "model": {"architecture": "mlp", "hidden": [8]},
      "data": {"dataset": "fashion_mnist", "path": ")" +
                                     folder + R"(", "pixels": ")" + pixels + R"("},
      "optimizer": {"type": "adam", "lr": 0.01}, "epochs": 1, "batch_size": 2})");
  }
  // The blobs data of cli_test_util.h: train.csv, test.csv, and features.csv (train.csv without its label).
  void write_blobs() {
    // 120 rows of the three classes plus 10 more of class 0: "balanced" class weights are not all 1.
    std::istringstream all(strata::testing::blobs_csv(150, 1));
    std::string train;
    int row = -1;
    for (std::string line; std::getline(all, line); ++row) {
      if (row < 120 || row % 3 == 0) train += line + "\n";
    }
    write("train.csv", train);
    write("test.csv", strata::testing::blobs_csv(30, 2));
    std::istringstream in(train);
    std::ostringstream out;
    for (std::string line; std::getline(in, line);) out << line.substr(0, line.rfind(',')) << "\n";
    write("features.csv", out.str());
  }
  std::string csv_config(const std::string& name) {
    return write(name + ".json", R"({"name": ")" + name + R"(", "output_dir": ")" + dir_.string() + R"(", "seed": 3,
      "model": {"architecture": "mlp", "hidden": [8], "num_classes": 3},
      "data": {"dataset": "csv", "train": ")" +
                                     path("train.csv") + R"(", "test": ")" + path("test.csv") +
                                     R"(", "label_column": "y"},
      "loss": {"type": "cross_entropy", "class_weights": "balanced"},
      "optimizer": {"type": "adam", "lr": 0.02}, "epochs": 2, "batch_size": 16})");
  }
};

}  // namespace

TEST_F(RunFolderPreprocessing, CsvRunFolderPredictsWithoutTheTrainingFile) {
  write_blobs();
  auto r = strata::testing::run_cli({"train", csv_config("k"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string run = path("k");
  ASSERT_TRUE(fs::exists(run + "/preprocessing.json"));
  const auto saved = tools::load_preprocessing(run);
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->input_shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(saved->class_counts, (std::vector<int64_t>{50, 40, 40}));
  EXPECT_EQ(saved->class_labels, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(saved->feature_names, (std::vector<std::string>{"a", "b", "c", "d"}));

  // The saved statistics are training's float32 values exactly, and a raw row through predict's path becomes
  // exactly what training fed the model.
  const tools::Datasets d = tools::load_datasets(tools::load_run_config(run + "/config.json"));
  EXPECT_EQ(bits(saved->feature_mean), bits(d.feature_mean));
  EXPECT_EQ(bits(saved->feature_std), bits(d.feature_std));
  EXPECT_EQ(bits(tools::read_inputs(*saved, path("features.csv"))), bits(all_inputs(*d.train)));

  const auto by_split = strata::testing::run_cli({"predict", run, "--split", "train", "--probabilities"});
  ASSERT_EQ(by_split.rc, 0) << by_split.err;
  const auto by_file = strata::testing::run_cli({"predict", run, "--input", path("features.csv"), "--probabilities"});
  ASSERT_EQ(by_file.rc, 0) << by_file.err;
  EXPECT_EQ(by_file.out, by_split.out);
  const auto eval_before = strata::testing::run_cli({"eval", run});
  ASSERT_EQ(eval_before.rc, 0) << eval_before.err;

  // Without the training file: predict --input and eval on the test split ("balanced" class weights included).
  fs::rename(path("train.csv"), path("moved.csv"));
  const auto by_file_alone =
      strata::testing::run_cli({"predict", run, "--input", path("features.csv"), "--probabilities"});
  ASSERT_EQ(by_file_alone.rc, 0) << by_file_alone.err;
  EXPECT_EQ(by_file_alone.out, by_split.out);
  const auto eval_alone = strata::testing::run_cli({"eval", run});
  ASSERT_EQ(eval_alone.rc, 0) << eval_alone.err;
  EXPECT_EQ(eval_alone.out, eval_before.out);
  const auto summary = strata::testing::run_cli({"summary", run});  // the input shape comes from the run folder
  ASSERT_EQ(summary.rc, 0) << summary.err;
  const auto train_split = strata::testing::run_cli({"predict", run, "--split", "train"});
  EXPECT_EQ(train_split.rc, 1);  // the training split itself still needs the file
  EXPECT_HAS(train_split.err, "train.csv");

  // An older run folder (no preprocessing.json) works as before, recomputing from the training file, with a note.
  fs::rename(path("moved.csv"), path("train.csv"));
  fs::remove(run + "/preprocessing.json");
  const auto eval_old = strata::testing::run_cli({"eval", run});
  ASSERT_EQ(eval_old.rc, 0) << eval_old.err;
  EXPECT_HAS(eval_old.out, "has no preprocessing.json");
  EXPECT_HAS(eval_old.out, eval_before.out);
  ::testing::internal::CaptureStderr();
  const auto by_file_old =
      strata::testing::run_cli({"predict", run, "--input", path("features.csv"), "--probabilities"});
  const std::string note = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(by_file_old.rc, 0) << by_file_old.err;
  EXPECT_EQ(by_file_old.out, by_split.out);
  EXPECT_HAS(note, "has no preprocessing.json");
}

TEST_F(RunFolderPreprocessing, EveryByteValueIsPreprocessedAsInTraining) {
  const std::string folder = fake_fashion("fmnist");
  for (const char* pixels : {"standardized", "unit", "signed"}) {
    SCOPED_TRACE(pixels);
    const tools::RunConfig cfg = tools::load_run_config(image_config(std::string("i_") + pixels, folder, pixels));
    const tools::Datasets d = tools::load_datasets(cfg);
    const Tensor x = tools::read_inputs(tools::pixel_preprocessing(pixels),
                                        data::FashionMNIST::file_path(folder, /*train=*/true, /*images=*/true));
    EXPECT_EQ(bits(x), bits(all_inputs(*d.train)));
  }
  // The CLI's former double-precision formula differs from training's float32 one in 166 of the 256 values.
  const std::array<float, 256> table = tools::pixel_preprocessing("standardized").pixel_table();
  int differ = 0;
  for (int v = 0; v < 256; ++v) {
    const auto old = static_cast<float>((v / 255.0 - data::FashionMNIST::kMean) / data::FashionMNIST::kStd);
    differ += std::bit_cast<uint32_t>(old) != std::bit_cast<uint32_t>(table[static_cast<size_t>(v)]);
  }
  EXPECT_EQ(differ, 166);  // the issue's count

  // The run folder records the constants, and predict --input needs nothing of the data folder.
  auto r = strata::testing::run_cli({"train", image_config("img", folder, "standardized"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto saved = tools::load_preprocessing(path("img"));
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->pixels, "standardized");
  EXPECT_EQ(saved->pixel_mean, static_cast<float>(data::FashionMNIST::kMean));
  EXPECT_EQ(saved->pixel_std, static_cast<float>(data::FashionMNIST::kStd));
  EXPECT_EQ(saved->class_names.at(1), "Trouser");
  const std::string images = path("images.idx");
  fs::copy_file(data::FashionMNIST::file_path(folder, true, true), images);
  const auto by_split = strata::testing::run_cli({"predict", path("img"), "--split", "train", "--probabilities"});
  ASSERT_EQ(by_split.rc, 0) << by_split.err;
  fs::remove_all(folder);
  const auto by_file = strata::testing::run_cli({"predict", path("img"), "--input", images, "--probabilities"});
  ASSERT_EQ(by_file.rc, 0) << by_file.err;
  EXPECT_EQ(by_file.out, by_split.out);
}

TEST_F(RunFolderPreprocessing, PreprocessingJsonRoundTripsAndRefusesOtherFiles) {
  tools::Preprocessing p;
  p.dataset = "csv";
  p.input_shape = {2};
  p.num_classes = 2;
  p.class_names = {"0", "1"};
  p.class_counts = {3, 5};
  p.feature_names = {"a", "b"};
  p.feature_mean = from_vector(std::vector<float>{0.1f, -1e-30f}, {1, 2});
  p.feature_std = from_vector(std::vector<float>{1.0f / 3.0f, 12345.678f}, {1, 2});
  save_preprocessing(path("p.json"), p);
  fs::create_directories(path("run"));
  fs::rename(path("p.json"), path("run/preprocessing.json"));
  const auto q = tools::load_preprocessing(path("run"));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(bits(q->feature_mean), bits(p.feature_mean));
  EXPECT_EQ(bits(q->feature_std), bits(p.feature_std));
  EXPECT_EQ(q->class_counts, p.class_counts);
  EXPECT_EQ(q->class_count_labels().to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_FALSE(tools::load_preprocessing(path("nowhere")).has_value());
  write("run/preprocessing.json", R"({"format": "something else"})");
  EXPECT_THROW(tools::load_preprocessing(path("run")), Error);
}
