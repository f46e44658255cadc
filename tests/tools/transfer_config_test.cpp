// The run config's transfer keys (init_from, freeze, param_groups, unfreeze) and data.classes / per_class_limit.
#include "tools/transfer_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/core/error.h"
#include "strata/io/safetensors.h"
#include "strata/nn/containers.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/tools/model_builder.h"
#include "test_util.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

std::string golden(const std::string& name) { return std::string(STRATA_TEST_DATA_DIR) + "/golden/" + name; }

// A run config around a layer list for 8 inputs; `extra` adds top-level keys.
io::Json config_with(const std::string& extra) {
  std::string text = R"({"name": "t", "seed": 0, "data": {"dataset": "csv", "train": "x.csv"},
    "model": {"layers": [{"type": "Linear", "out_features": 16}, {"type": "BatchNorm1d"}, {"type": "ReLU"},
                         {"type": "Linear", "out_features": 6}, {"type": "ReLU"},
                         {"type": "Linear", "out_features": 5}]},
    "optimizer": {"type": "sgd", "lr": 0.001})";
  if (!extra.empty()) text += ", " + extra;
  return io::parse_json(text + "}");
}

std::string error_of(const std::string& extra) {
  try {
    (void)tools::parse_run_config(config_with(extra), "t.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(TransferConfig, ParsesEveryKey) {
  const auto c = tools::parse_transfer_config(config_with(R"(
    "init_from": {"path": "p.safetensors", "skip": ["10.*"], "rename": {"backbone.": ""}, "strict": true},
    "freeze": ["0.*", "3.*"], "param_groups": [{"params": ["5.*"], "lr": 0.01, "weight_decay": 0}],
    "unfreeze": {"every_epochs": 2, "groups": [["5.*"], ["3.*"], ["0.*"]]})"));
  ASSERT_TRUE(c.init_from.has_value());
  EXPECT_EQ(c.init_from->path, "p.safetensors");
  EXPECT_EQ(c.init_from->load.skip, std::vector<std::string>{"10.*"});
  EXPECT_EQ(c.init_from->load.rename.at(0), (std::pair<std::string, std::string>{"backbone.", ""}));
  EXPECT_TRUE(c.init_from->load.strict);
  EXPECT_EQ(c.freeze, (std::vector<std::string>{"0.*", "3.*"}));
  ASSERT_EQ(c.param_groups.size(), 1u);
  EXPECT_DOUBLE_EQ(c.param_groups[0].options.at("lr"), 0.01);
  EXPECT_EQ(c.unfreeze_every, 2);
  EXPECT_EQ(c.unfreeze_groups.size(), 3u);
  EXPECT_EQ(tools::parse_transfer_config(config_with(R"("init_from": "a.safetensors")")).init_from->path,
            "a.safetensors");
}

TEST(TransferConfig, Errors) {
  EXPECT_HAS(error_of(R"("init_from": {"path": "p", "skp": ["x"]})"), "skp");
  EXPECT_HAS(error_of(R"("freeze": [1])"), "freeze");
  EXPECT_HAS(error_of(R"("freeze": "0.*")"), "expected a non-empty list of name patterns");
  EXPECT_HAS(error_of(R"("param_groups": [{"params": ["0.*"], "momentum": 0.9}])"), "momentum");
  EXPECT_HAS(error_of(R"("param_groups": [{"params": ["0.*"], "lr": -1}])"), "expected a number > 0");
  EXPECT_HAS(error_of(R"("unfreeze": {"every_epochs": 0, "groups": [["0.*"]]})"), "every_epochs");
  EXPECT_HAS(error_of(R"("unfreeze": {"groups": ["0.*"]})"), "unfreeze.groups");
  EXPECT_HAS(error_of(R"("unfreez": {})"), "unfreez");
}

TEST(TransferConfig, MissingFileIsNamed) {
  const auto c = tools::parse_run_config(config_with(R"("init_from": "no/such/pre.safetensors")"), "t.json");
  auto model = tools::build_model(c.model, {8});
  try {
    tools::apply_transfer(c, *model, nullptr, "");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_HAS(e.what(), "no/such/pre.safetensors");
  }
}

// A backbone trained in PyTorch (tests/golden/make_golden_transfer.py) loads under a different head.
TEST(TransferConfig, TorchBackboneUnderANewHead) {
  const fs::path dir = fs::temp_directory_path() / ("strata_transfer_" + std::to_string(::getpid()));
  const auto c =
      tools::parse_run_config(config_with(R"("init_from": {"path": ")" + golden("transfer_torch.safetensors") +
                                          R"(", "rename": {"backbone.": ""}, "skip": ["head.*", "5.*"], "strict": true},
                  "freeze": ["0.*", "1.*", "3.*"], "param_groups": [{"params": ["5.*"], "lr": 0.01}])"),
                              "t.json");
  auto model = tools::build_model(c.model, {8});
  std::ostringstream out;
  tools::apply_transfer(c, *model, &out, dir.string());
  EXPECT_HAS(out.str(), "loaded 9, skipped 2, missing 0, unexpected 0");
  EXPECT_HAS(out.str(), "skipped     head.weight (skip pattern 'head.*')");
  const io::Json report = io::load_json_file((dir / "init_from.json").string());
  EXPECT_EQ(report.at("loaded").size(), 9u);
  EXPECT_EQ(report.at("renamed").at("backbone.1.running_mean").as_string(), "1.running_mean");

  const io::SafetensorsFile io = io::load_safetensors(golden("transfer_torch_io.safetensors"));
  nn::Sequential backbone({model->child("0"), model->child("1"), model->child("2"), model->child("3")});
  model->eval();
  const Tensor y = backbone(io.tensors.at("x"));
  EXPECT_LT(max(abs(sub(y, io.tensors.at("y")))).item(), 1e-5);

  model->train();
  EXPECT_FALSE(model->child("1")->is_training());  // frozen batch norm
  auto opt = tools::build_transfer_optimizer(c, *model);
  ASSERT_EQ(opt->param_groups().size(), 1u);  // only the head trains, at its own lr
  EXPECT_DOUBLE_EQ(opt->param_groups()[0].lr(), 0.01);
  EXPECT_EQ(opt->param_groups()[0].params.size(), 2u);
  fs::remove_all(dir);
}

TEST(TransferConfig, OptimizerGroupsIncludeLaterStages) {
  const auto c = tools::parse_run_config(config_with(R"("param_groups": [{"params": ["0.*"], "lr": 0.0001}],
      "unfreeze": {"every_epochs": 1, "groups": [["5.*"], ["3.*"], ["0.*"]]})"),
                                         "t.json");
  auto model = tools::build_model(c.model, {8});
  tools::apply_transfer(c, *model, nullptr, "");
  EXPECT_FALSE(model->named_parameters()[0].second.requires_grad());  // 0.weight waits for stage 3
  auto opt = tools::build_transfer_optimizer(c, *model);
  ASSERT_EQ(opt->param_groups().size(), 2u);
  EXPECT_DOUBLE_EQ(opt->param_groups()[0].lr(), 0.001);
  EXPECT_EQ(opt->param_groups()[0].params.size(), 6u);  // 1.* (never frozen), 3.* and 5.*
  EXPECT_DOUBLE_EQ(opt->param_groups()[1].lr(), 0.0001);
  EXPECT_NE(tools::build_unfreezing(c, *model), nullptr);
}

TEST(DataConfig, ClassesRelabelAndPerClassLimit) {
  const fs::path csv = fs::temp_directory_path() / ("strata_classes_" + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream f(csv);
    f << "a,label\n";
    for (int i = 0; i < 20; ++i) f << i << "," << i % 4 << "\n";
  }
  io::Json j = io::parse_json(R"({"model": {"layers": [{"type": "Linear", "out_features": 2}]},
      "data": {"dataset": "csv", "train": ")" +
                              csv.string() + R"(", "test": ")" + csv.string() +
                              R"(", "classes": [3, 1], "per_class_limit": 2}})");
  const auto c = tools::parse_run_config(j, "t.json");
  const tools::Datasets d = tools::load_datasets(c);
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"3", "1"}));
  ASSERT_EQ(d.train->size(), 4);
  const Tensor t = tools::dataset_targets(*d.train);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 1, 0}));  // rows 1, 3, 5, 7: labels 1, 3, 1, 3
  EXPECT_EQ(d.test->size(), 10);
  fs::remove(csv);
}
