// The monitors and the doctor's rules on small models that really show each failure, and healthy models
// that must get no finding.
#include "strata/diag/doctor.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "strata/autograd/grad_mode.h"
#include "strata/nn/init.h"
#include "strata/strata.h"
#include "train/train_test_util.h"

namespace strata::diag {
namespace {

// Four Gaussian blobs in 8-D, labels 0..3: easy for any healthy MLP.
data::DatasetPtr blobs(int64_t n, uint64_t seed) {
  Generator fixed(99);  // the same four centres for every split
  Tensor centres = randn({4, 8}, {}, &fixed).mul_(2.0);
  Generator gen(seed);
  Tensor y = randint(0, 4, {n}, kInt64, &gen);
  Tensor x = index_select(centres, 0, y) + randn({n, 8}, {}, &gen).mul_(0.5);
  return std::make_shared<data::TensorDataset>(x, y);
}

std::shared_ptr<nn::Sequential> mlp(int64_t hidden_layers, int64_t width, const std::string& act, uint64_t seed) {
  manual_seed(seed);
  auto m = std::make_shared<nn::Sequential>();
  int64_t in = 8;
  for (int64_t i = 0; i < hidden_layers; ++i) {
    m->push_back(std::make_shared<nn::Linear>(in, width));
    if (act == "relu") m->push_back(std::make_shared<nn::ReLU>());
    if (act == "sigmoid") m->push_back(std::make_shared<nn::Sigmoid>());
    if (act == "tanh") m->push_back(std::make_shared<nn::Tanh>());
    in = width;
  }
  m->push_back(std::make_shared<nn::Linear>(in, 4));
  return m;
}

double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct DocRun {
  std::vector<Finding> findings;
  TrainingRecord record;
  bool has(const std::string& id) const {
    return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
  }
  std::string ids() const {
    std::string s;
    for (const auto& f : findings) s += f.id + " ";
    return s;
  }
};

DocRun train_with_doctor(nn::Module& model, const nn::Loss& loss, optim::Optimizer& opt, int64_t epochs,
                         int64_t n_train = 512, DoctorOptions o = {}, DoctorContext ctx = {}) {
  data::DataLoader train(blobs(n_train, 1), 32, true, 0);
  data::DataLoader val(blobs(256, 2), 256, false);
  o.out = nullptr;
  o.monitor.period = 2;
  auto doctor = std::make_shared<Doctor>(o, ctx);
  train::FitOptions fo;
  fo.epochs = epochs;
  fo.callbacks = {doctor};
  train::fit(model, loss, opt, train, fo, &val);
  return {doctor->findings(), doctor->monitor().record()};
}

TEST(Doctor, HealthyReluMlpHasNoFindings) {
  auto m = mlp(2, 32, "relu", 0);
  optim::Adam opt(m->parameters(), {.lr = 1e-3});
  DocRun r = train_with_doctor(*m, nn::CrossEntropyLoss(), opt, 3);
  EXPECT_TRUE(r.findings.empty()) << format_findings(r.findings);
  EXPECT_NE(healthy_summary(r.record).find("no problems found"), std::string::npos);
  // The record holds what the report needs.
  ASSERT_FALSE(r.record.layers.empty());
  EXPECT_EQ(r.record.layers[0].name, "0");
  EXPECT_GT(r.record.sample_steps.size(), 10u);
  EXPECT_EQ(r.record.steps.size(), 48u);
  for (const LayerRecord& l : r.record.layers) {
    EXPECT_EQ(l.step.size(), r.record.sample_steps.size()) << l.name;
    if (l.kind == LayerKind::Parametric) {
      EXPECT_GT(median_of(l.grad_norm), 0.0) << l.name;
      EXPECT_GT(median_of(l.update_ratio), 1e-5) << l.name;
    }
  }
}

TEST(Doctor, DeepSigmoidHasVanishingGradients) {
  auto m = mlp(10, 32, "sigmoid", 1);
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  DocRun r = train_with_doctor(*m, nn::CrossEntropyLoss(), opt, 2);
  EXPECT_TRUE(r.has("vanishing_gradients")) << r.ids();
}

TEST(Doctor, ZeroInitIsSymmetric) {
  auto m = mlp(2, 16, "relu", 2);
  for (auto& p : m->parameters()) {
    NoGradGuard g;
    nn::init::zeros_(p);
  }
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  DocRun r = train_with_doctor(*m, nn::CrossEntropyLoss(), opt, 2);
  ASSERT_TRUE(r.has("symmetric_init")) << r.ids();
  const auto it =
      std::find_if(r.findings.begin(), r.findings.end(), [](const Finding& f) { return f.id == "symmetric_init"; });
  EXPECT_EQ(it->layers[0], "0");
}

TEST(Doctor, SoftmaxIntoCrossEntropyIsAMismatch) {
  auto m = mlp(1, 16, "relu", 3);
  m->push_back(std::make_shared<nn::Softmax>(1));
  optim::Adam opt(m->parameters(), {.lr = 1e-3});
  DocRun r = train_with_doctor(*m, nn::CrossEntropyLoss(), opt, 1);
  EXPECT_TRUE(r.has("loss_task_mismatch")) << r.ids();
}

TEST(Doctor, HugeLearningRateIsNonFiniteWithTheOp) {
  auto m = mlp(2, 32, "relu", 4);
  optim::SGD opt(m->parameters(), {.lr = 1e6});
  DoctorOptions o;
  o.monitor.anomaly = true;
  DocRun r = train_with_doctor(*m, nn::CrossEntropyLoss(), opt, 2, 512, o);
  ASSERT_TRUE(r.has("non_finite")) << r.ids();
  ASSERT_TRUE(r.record.non_finite.has_value());
  EXPECT_FALSE(r.record.non_finite->op.empty());
  // Training stopped at the first non-finite loss.
  EXPECT_EQ(r.record.steps.back(), r.record.non_finite->step);
}

TEST(Doctor, TinyLearningRateIsTooLow) {
  auto m = mlp(2, 32, "relu", 5);
  optim::SGD opt(m->parameters(), {.lr = 1e-7});
  DocRun r = train_with_doctor(*m, nn::CrossEntropyLoss(), opt, 3);
  EXPECT_TRUE(r.has("lr_too_low")) << r.ids();
}

TEST(Doctor, MseOnClassLabelsIsAMismatch) {
  TrainingRecord empty;
  DoctorContext ctx;
  ctx.task = "classification";
  ctx.loss = "mse";
  auto f = diagnose(empty, ctx);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].id, "loss_task_mismatch");
}

TEST(Doctor, LossTrend) {
  auto trend = [](std::vector<double> loss) {
    TrainingRecord r;
    r.loss = std::move(loss);
    return loss_trend(r).kind;
  };
  std::vector<double> falling, flat, rising, zigzag;
  for (int i = 0; i < 60; ++i) {
    falling.push_back(2.0 * std::exp(-0.05 * i));
    flat.push_back(2.0 + 1e-4 * (i % 2));
    rising.push_back(2.0 + 0.1 * i);
    zigzag.push_back((i / 6) % 2 ? 3.0 : 1.0);
  }
  EXPECT_EQ(trend(falling), "decreasing");
  EXPECT_EQ(trend(flat), "plateau");
  EXPECT_EQ(trend(rising), "diverging");
  zigzag[0] = 2.9;  // starts high: not diverging
  EXPECT_EQ(trend(zigzag), "oscillating");
  EXPECT_EQ(trend({1.0, 2.0}), "");
}

TEST(Doctor, FindingsAsJson) {
  Finding f;
  f.id = "dead_relu";
  f.severity = "warning";
  f.layers = {"3"};
  f.evidence = "e";
  f.cause = "c";
  f.remedy = "r";
  f.step = 7;
  f.numbers = io::Json::object();
  io::Json j = to_json({f});
  ASSERT_EQ(j.size(), 1u);
  const io::Json& o = j.at(size_t{0});
  for (const char* k : {"id", "severity", "layers", "evidence", "cause", "remedy", "step"})
    EXPECT_TRUE(o.contains(k)) << k;
  EXPECT_EQ(o.at("step").as_int(), 7);
}

}  // namespace
}  // namespace strata::diag
