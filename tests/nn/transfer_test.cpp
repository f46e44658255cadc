// nn::load_weights / freeze / replace_module, optim::param_groups_by_pattern and train::GradualUnfreezing.
#include "strata/nn/transfer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/linear.h"
#include "strata/nn/losses.h"
#include "strata/nn/normalization.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/optim/param_groups.h"
#include "strata/optim/sgd.h"
#include "strata/train/unfreezing.h"

using namespace strata;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::shared_ptr<nn::Sequential> mlp(int64_t out) {
  return std::make_shared<nn::Sequential>(
      std::vector<nn::ModulePtr>{std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::BatchNorm1d>(8),
                                 std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(8, out)});
}

bool same(const Tensor& a, const Tensor& b) { return max(abs(sub(a, b))).item() == 0.0; }

}  // namespace

TEST(NameMatches, Globs) {
  struct Row {
    const char* pattern;
    const char* name;
    bool match;
  };
  for (const Row& r : std::vector<Row>{{"fc.*", "fc.weight", true},
                                       {"fc.*", "fc2.weight", false},
                                       {"6.*", "6.bias", true},
                                       {"6.*", "16.bias", false},
                                       {"*.bias", "features.3.bias", true},
                                       {"*.bias", "features.3.weight", false},
                                       {"0.weight", "0.weight", true},
                                       {"0.weight", "0.weight2", false},
                                       {"a*b*c", "aXXbYYc", true},
                                       {"a*b*c", "aXXbYY", false},
                                       {"*", "anything.at.all", true}}) {
    EXPECT_EQ(nn::name_matches(r.pattern, r.name), r.match) << r.pattern << " vs " << r.name;
  }
}

TEST(LoadWeights, ReportsLoadedSkippedMissingUnexpected) {
  manual_seed(1);
  auto src = mlp(5);
  auto dst = mlp(3);
  nn::StateDict sd;
  for (const auto& [k, t] : src->state_dict()) {
    if (k != "0.bias") sd.insert(k, t);
  }
  sd.insert("extra.w", ones({2}));
  const Tensor dst_bias_before = dst->state_dict().at("0.bias").clone();
  const nn::LoadReport r = nn::load_weights(*dst, sd);
  EXPECT_EQ(r.loaded.size(), 6u);  // 0.weight, 1.{weight,bias,running_mean,running_var,num_batches_tracked}
  EXPECT_TRUE(has(r.loaded, "0.weight") && has(r.loaded, "1.running_var"));
  ASSERT_EQ(r.skipped.size(), 2u);  // 3.weight and 3.bias: 5 outputs in the file, 3 in the model
  EXPECT_EQ(r.skipped[0].key, "3.weight");
  EXPECT_NE(r.skipped[0].reason.find("shape (5, 8) in the file, (3, 8) in the model"), std::string::npos)
      << r.skipped[0].reason;
  EXPECT_EQ(r.missing, std::vector<std::string>{"0.bias"});
  EXPECT_EQ(r.unexpected, std::vector<std::string>{"extra.w"});
  EXPECT_TRUE(same(dst->state_dict().at("0.weight"), src->state_dict().at("0.weight")));
  EXPECT_TRUE(same(dst->state_dict().at("0.bias"), dst_bias_before));
  const std::string text = nn::format(r);
  EXPECT_NE(text.find("loaded 6, skipped 2, missing 1, unexpected 1"), std::string::npos) << text;
  EXPECT_NE(text.find("unexpected  extra.w"), std::string::npos) << text;
}

TEST(LoadWeights, SkipPatternsAndStrict) {
  auto src = mlp(5);
  auto dst = mlp(3);
  nn::LoadOptions o;
  o.skip = {"3.*"};
  o.strict = true;
  const nn::LoadReport r = nn::load_weights(*dst, src->state_dict(), o);
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[1].reason, "skip pattern '3.*'");
  EXPECT_TRUE(r.missing.empty());  // skipped model keys are not missing
  // Without the skip, strict mode fails on the head's shape and loads nothing.
  auto fresh = mlp(3);
  const Tensor before = fresh->state_dict().at("0.weight").clone();
  o.skip = {};
  try {
    nn::load_weights(*fresh, src->state_dict(), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3.weight"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(same(fresh->state_dict().at("0.weight"), before));
}

TEST(LoadWeights, RenamePrefixes) {
  auto src = mlp(3);
  nn::StateDict sd;
  for (const auto& [k, t] : src->state_dict()) sd.insert("backbone." + k, t);
  auto dst = mlp(3);
  nn::LoadOptions o;
  o.rename = {{"backbone.", ""}, {"backbone.3.", "9."}};  // the longest prefix wins
  const nn::LoadReport r = nn::load_weights(*dst, sd, o);
  EXPECT_EQ(r.loaded.size(), 7u);
  EXPECT_EQ(r.missing, (std::vector<std::string>{"3.weight", "3.bias"}));
  EXPECT_EQ(r.unexpected, (std::vector<std::string>{"9.weight", "9.bias"}));
  EXPECT_EQ(r.renamed.front(), (std::pair<std::string, std::string>{"backbone.0.weight", "0.weight"}));
  sd.insert("0.weight", ones({8, 4}));
  EXPECT_THROW(nn::load_weights(*dst, sd, o), Error);  // "backbone.0.weight" and "0.weight" collide
}

TEST(Freeze, FrozenBatchNormStaysInEvalAndOnlyTheHeadTrains) {
  manual_seed(2);
  auto model = mlp(2);
  const auto frozen = nn::freeze(*model, {"0.*", "1.*"});
  EXPECT_EQ(frozen, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
  model->train();
  EXPECT_TRUE(model->is_training());
  EXPECT_FALSE((*model)[1]->is_training());
  nn::StateDict before;  // state_dict() shares storage with the model: copy it
  for (const auto& [k, t] : model->state_dict()) before.insert(k, t.clone());
  auto groups = optim::param_groups_by_pattern(*model, {});
  optim::SGD opt(groups, {.lr = 0.1});
  for (int i = 0; i < 3; ++i) {
    Tensor x = add(mul(randn({16, 4}), 3.0), 1.0);
    Tensor loss = cross_entropy((*model)(x), randint(0, 2, {16}));
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  const nn::StateDict after = model->state_dict();
  for (const char* k : {"0.weight", "0.bias", "1.weight", "1.running_mean", "1.running_var", "1.num_batches_tracked"})
    EXPECT_TRUE(same(before.at(k), after.at(k))) << k;
  EXPECT_FALSE(same(before.at("3.weight"), after.at("3.weight")));
  nn::unfreeze(*model, {"1.*"});
  EXPECT_TRUE((*model)[1]->is_training());
  EXPECT_FALSE((*model)[1]->frozen_eval());
}

TEST(Freeze, PatternMatchingNothingIsAnError) {
  auto model = mlp(2);
  try {
    nn::freeze(*model, {"fc.*"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'fc.*' matches no parameter"), std::string::npos) << e.what();
  }
}

TEST(ReplaceModule, NewHeadInASequential) {
  auto model = mlp(10);
  auto old = nn::replace_module(*model, "3", std::make_shared<nn::Linear>(8, 5));
  EXPECT_EQ(old->type_name(), "Linear");
  model->eval();
  EXPECT_EQ((*model)(randn({2, 4})).shape(), (Shape{2, 5}));
  EXPECT_EQ(model->state_dict().at("3.weight").shape(), (Shape{5, 8}));
  EXPECT_FALSE((*model)[3]->is_training());  // takes the parent's mode
  auto outer = std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{model});
  nn::replace_module(*outer, "0.3", std::make_shared<nn::Linear>(8, 7));
  EXPECT_EQ((*outer)(randn({2, 4})).shape(), (Shape{2, 7}));
  EXPECT_THROW(nn::replace_module(*outer, "1.3", std::make_shared<nn::Linear>(8, 7)), Error);
  EXPECT_THROW(nn::replace_module(*outer, "0.9", std::make_shared<nn::Linear>(8, 7)), Error);
  // A composite calling its child through a typed member cannot switch it.
  EXPECT_THROW((*model)[1]->replace_child("x", std::make_shared<nn::ReLU>()), Error);
}

TEST(ParamGroups, ByPatternWithLrAndFrozenLeftOut) {
  auto model = mlp(2);
  nn::freeze(*model, {"1.*"});
  auto groups = optim::param_groups_by_pattern(*model, {{{"3.*"}, {{"lr", 0.01}}}, {{"*.bias"}, {{"lr", 0.5}}}});
  optim::SGD opt(groups, {.lr = 0.001});
  ASSERT_EQ(opt.param_groups().size(), 3u);
  EXPECT_EQ(opt.param_groups()[0].params.size(), 1u);  // 0.weight (1.* frozen)
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr(), 0.001);
  EXPECT_EQ(opt.param_groups()[1].params.size(), 2u);  // 3.weight, 3.bias (first matching group wins)
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].lr(), 0.01);
  EXPECT_EQ(opt.param_groups()[2].params.size(), 1u);  // 0.bias
  EXPECT_DOUBLE_EQ(opt.param_groups()[2].lr(), 0.5);
  EXPECT_THROW(optim::param_groups_by_pattern(*model, {{{"head.*"}, {}}}), Error);
}

TEST(GradualUnfreezing, OneMoreStageEveryKEpochsAddedToTheOptimizer) {
  auto model = mlp(2);
  train::GradualUnfreezingOptions o;
  o.groups = {{"3.*"}, {"1.*"}, {"0.*"}};
  o.every_epochs = 2;
  o.param_groups = {{{"0.*"}, {{"lr", 0.001}}}};
  train::GradualUnfreezing cb(*model, o);
  nn::freeze(*model, {"0.*", "1.*"});
  optim::SGD opt(optim::param_groups_by_pattern(*model, {}), {.lr = 0.1});
  train::TrainState st;
  st.optimizer = &opt;
  cb.on_train_begin(st);
  EXPECT_EQ(cb.stages_unfrozen(), 1u);
  EXPECT_EQ(model->num_parameters(true), 8 * 2 + 2);
  std::vector<size_t> groups_per_epoch;
  std::vector<int64_t> trainable_per_epoch;
  for (int64_t e = 0; e < 6; ++e) {
    st.epoch = e;
    cb.on_epoch_begin(st);
    groups_per_epoch.push_back(opt.param_groups().size());
    trainable_per_epoch.push_back(model->num_parameters(true));
  }
  EXPECT_EQ(groups_per_epoch, (std::vector<size_t>{1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(trainable_per_epoch, (std::vector<int64_t>{18, 18, 34, 34, 74, 74}));
  EXPECT_FALSE((*model)[1]->frozen_eval());
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].lr(), 0.1);    // 1.* with the defaults
  EXPECT_DOUBLE_EQ(opt.param_groups()[2].lr(), 0.001);  // 0.* through param_groups
  o.every_epochs = 0;
  EXPECT_THROW(train::GradualUnfreezing(*model, o), Error);
}
