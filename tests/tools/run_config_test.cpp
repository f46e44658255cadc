// tools::parse_run_config and the loss / optimizer / schedule builders: defaults, options and errors naming the key.
#include "strata/tools/run_config.h"

#include <gtest/gtest.h>

#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "test_util.h"

using namespace strata;
using io::Json;

namespace {

const char* kMinimal = R"({"name": "t", "model": {"architecture": "lenet5"}, "data": {"dataset": "fashion_mnist"}})";

// kMinimal with `extra` members added at the top level.
Json config_with(const std::string& extra) {
  std::string s = kMinimal;
  if (!extra.empty()) s = s.substr(0, s.size() - 1) + ", " + extra + "}";
  return io::parse_json(s, "cfg.json");
}

std::string parse_error(const std::string& extra) {
  try {
    tools::parse_run_config(config_with(extra), "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(RunConfig, Defaults) {
  tools::RunConfig c = tools::parse_run_config(config_with(""), "cfg.json");
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.run_dir(), "runs/t");
  EXPECT_EQ(c.epochs, 1);
  EXPECT_EQ(c.batch_size, 64);
  EXPECT_EQ(c.loss.at("type").as_string(), "cross_entropy");
  EXPECT_EQ(c.optimizer.at("type").as_string(), "adam");
  EXPECT_TRUE(c.schedule.is_null());
  EXPECT_EQ(c.metrics, std::vector<std::string>{"accuracy"});
  EXPECT_FALSE(c.early_stopping.enabled);
  EXPECT_EQ(c.data.task, "classification");
  EXPECT_EQ(c.precision, train::Precision::FP32);
  EXPECT_TRUE(c.loss_scaling);
}

TEST(RunConfig, PrecisionAndLossScaling) {
  tools::RunConfig c =
      tools::parse_run_config(config_with(R"("precision": "fp16", "loss_scaling": false)"), "cfg.json");
  EXPECT_EQ(c.precision, train::Precision::FP16);
  EXPECT_FALSE(c.loss_scaling);
  EXPECT_EQ(tools::parse_run_config(config_with(R"("precision": "bf16")"), "cfg.json").precision,
            train::Precision::BF16);
  const std::string e = parse_error(R"("precision": "half")");
  EXPECT_HAS(e, "precision");
  EXPECT_HAS(e, "half");
  EXPECT_HAS(e, "fp32, bf16, fp16");
  EXPECT_HAS(parse_error(R"("loss_scaling": "off")"), "loss_scaling");
}

TEST(RunConfig, Deterministic) {
  EXPECT_FALSE(tools::parse_run_config(config_with(""), "cfg.json").deterministic);
  EXPECT_TRUE(tools::parse_run_config(config_with(R"("deterministic": true)"), "cfg.json").deterministic);
  EXPECT_HAS(parse_error(R"("deterministic": "yes")"), "deterministic");
}

TEST(RunConfig, FullConfig) {
  tools::RunConfig c = tools::parse_run_config(
      config_with(R"("epochs": 3, "batch_size": 32, "seed": 5, "output_dir": "out", "clip_grad_norm": 1.5,
        "loss": {"type": "cross_entropy", "class_weights": "balanced", "label_smoothing": 0.1},
        "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": true},
        "schedule": {"type": "cosine"}, "early_stopping": {"patience": 2, "monitor": "loss"})"),
      "cfg.json");
  EXPECT_EQ(c.epochs, 3);
  EXPECT_EQ(c.batch_size, 32);
  EXPECT_EQ(c.seed, 5u);
  EXPECT_EQ(c.run_dir(), "out/t");
  ASSERT_TRUE(c.clip_grad_norm.has_value());
  EXPECT_DOUBLE_EQ(*c.clip_grad_norm, 1.5);
  EXPECT_TRUE(c.early_stopping.enabled);
  EXPECT_EQ(c.early_stopping.patience, 2);

  Tensor w = zeros({4, 3}).requires_grad_();
  auto opt = tools::build_optimizer(c.optimizer, {w});
  EXPECT_EQ(opt->name(), "SGD");
  EXPECT_DOUBLE_EQ(opt->param_groups()[0].lr(), 0.05);
  EXPECT_DOUBLE_EQ(opt->param_groups()[0].get("momentum"), 0.9);
  EXPECT_DOUBLE_EQ(opt->param_groups()[0].get("nesterov"), 1.0);
  auto sched = tools::build_schedule(c.schedule, *opt, 3, 10);
  EXPECT_NE(sched, nullptr);
}

TEST(RunConfig, OptimizersAndTheirOptions) {
  Tensor w = zeros({2}).requires_grad_();
  auto adamw = tools::build_optimizer(io::parse_json(R"({"type": "adamw", "lr": 0.002, "betas": [0.8, 0.9]})"), {w});
  EXPECT_EQ(adamw->name(), "AdamW");
  EXPECT_DOUBLE_EQ(adamw->param_groups()[0].get("beta1"), 0.8);
  EXPECT_DOUBLE_EQ(adamw->param_groups()[0].get("weight_decay"), 1e-2);
  auto rms = tools::build_optimizer(io::parse_json(R"({"type": "rmsprop", "centered": true})"), {w});
  EXPECT_EQ(rms->name(), "RMSprop");
  EXPECT_DOUBLE_EQ(rms->param_groups()[0].get("centered"), 1.0);
  auto adam = tools::build_optimizer(io::parse_json(R"("adam")"), {w});
  EXPECT_EQ(adam->name(), "Adam");
}

TEST(RunConfig, LossesAndBalancedWeights) {
  Tensor labels = from_vector<int64_t>({0, 0, 0, 1}, {4});
  auto ce = tools::build_loss(io::parse_json(R"({"type": "cross_entropy", "class_weights": "balanced"})"), labels, 2);
  auto* cel = dynamic_cast<nn::CrossEntropyLoss*>(ce.get());
  ASSERT_NE(cel, nullptr);
  // n / (C * count): 4 / (2 * 3) and 4 / (2 * 1).
  EXPECT_NEAR(cel->weight_.data_ptr<float>()[0], 4.0 / 6.0, 1e-6);
  EXPECT_NEAR(cel->weight_.data_ptr<float>()[1], 2.0, 1e-6);
  auto focal =
      tools::build_loss(io::parse_json(R"({"type": "focal", "gamma": 1.5, "alpha": [0.25, 0.75]})"), labels, 2);
  auto* fl = dynamic_cast<nn::FocalLoss*>(focal.get());
  ASSERT_NE(fl, nullptr);
  EXPECT_DOUBLE_EQ(fl->gamma_, 1.5);
  EXPECT_NEAR(fl->alpha_.data_ptr<float>()[1], 0.75, 1e-7);
  EXPECT_EQ(tools::build_loss(io::parse_json(R"("mse")"), Tensor(), 0)->name(), "MSELoss");
  try {
    tools::build_loss(io::parse_json(R"({"type": "cross_entropy", "class_weights": [1, 2, 3]})", "c.json"), labels, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_HAS(e.what(), "class_weights");
    EXPECT_HAS(e.what(), "expected 2 weights");
  }
}

TEST(RunConfig, ErrorsNameTheKey) {
  std::string e = parse_error(R"("epochz": 3)");
  EXPECT_HAS(e, "cfg.json");
  EXPECT_HAS(e, "unknown key \"epochz\"");
  e = parse_error(R"("epochs": 0)");
  EXPECT_HAS(e, "\"epochs\"");
  e = parse_error(R"("batch_size": "big")");
  EXPECT_HAS(e, "\"batch_size\"");
  e = parse_error(R"("optimizer": {"type": "adam", "lr": "fast"})");
  EXPECT_HAS(e, "optimizer.lr");
  e = parse_error(R"("optimizer": {"type": "adam", "lr": -1})");
  EXPECT_HAS(e, "optimizer.lr");
  e = parse_error(R"("optimizer": {"type": "adam", "momentum": 0.9})");
  EXPECT_HAS(e, "optimizer.momentum");
  e = parse_error(R"("optimizer": {"type": "lbfgs"})");
  EXPECT_HAS(e, "optimizer.type");
  EXPECT_HAS(e, "lbfgs");
  e = parse_error(R"("loss": {"type": "hinge"})");
  EXPECT_HAS(e, "loss.type");
  e = parse_error(R"("loss": {"type": "cross_entropy", "class_weights": "even"})");
  EXPECT_HAS(e, "loss.class_weights");
  e = parse_error(R"("loss": {"type": "focal", "label_smoothing": 0.1})");
  EXPECT_HAS(e, "loss.label_smoothing");
  e = parse_error(R"("schedule": {"type": "cosine", "t_max": 0})");
  EXPECT_HAS(e, "schedule.t_max");
  e = parse_error(R"("schedule": {"type": "step", "step_size": 2, "gama": 0.5})");
  EXPECT_HAS(e, "schedule.gama");
  e = parse_error(R"("schedule": {"type": "linear"})");
  EXPECT_HAS(e, "schedule.type");
  e = parse_error(R"("early_stopping": {"patience": 2})");
  EXPECT_HAS(e, "validation_split");
  e = parse_error(R"("early_stopping": {"patients": 2})");
  EXPECT_HAS(e, "early_stopping.patients");
  e = parse_error(R"("name": "a/b")");
  EXPECT_HAS(e, "\"name\"");
  try {
    tools::parse_run_config(io::parse_json(R"({"model": {}, "data": {"dataset": "mnist"}})", "c.json"), "c.json");
    FAIL();
  } catch (const Error& ex) {
    EXPECT_HAS(ex.what(), "data.dataset");
  }
  try {
    tools::parse_run_config(io::parse_json(R"({"model": {}, "data": {"dataset": "csv", "test": "x.csv"}})", "c.json"),
                            "c.json");
    FAIL();
  } catch (const Error& ex) {
    EXPECT_HAS(ex.what(), "data.train");
  }
  try {
    tools::parse_run_config(
        io::parse_json(R"({"model": {}, "data": {"dataset": "fashion_mnist", "validation_split": 1.5}})", "c.json"),
        "c.json");
    FAIL();
  } catch (const Error& ex) {
    EXPECT_HAS(ex.what(), "data.validation_split");
  }
  try {
    Tensor w = zeros({2}).requires_grad_();
    Json opt = io::parse_json(R"({"type": "sgd", "lr": 0.1})", "c.json");
    auto o = tools::build_optimizer(opt, {w});
    tools::build_schedule(io::parse_json(R"({"type": "step"})", "c.json"), *o, 3, 10);
    FAIL();
  } catch (const Error& ex) {
    EXPECT_HAS(ex.what(), "step_size");
  }
}
