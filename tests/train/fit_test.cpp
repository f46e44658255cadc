// fit / evaluate / predict: accumulation equivalence, convergence, history and validation keys, modes,
// clipping and argument errors.
#include <gtest/gtest.h>

#include "train_test_util.h"

namespace strata::train {
namespace {

using testing::make_blobs;
using testing::make_linear;
using testing::max_abs_diff;

// A float64 regression-free classification set: 4 features, 3 classes, n rows.
data::DatasetPtr small_set(int64_t n, uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn({n, 4}, kFloat64, &gen);
  Tensor y = randint(0, 3, {n}, kInt64, &gen);
  return std::make_shared<data::TensorDataset>(x, y);
}

data::DataLoader loader(const data::DatasetPtr& ds, int64_t batch, bool shuffle = false) {
  data::DataLoaderOptions o;
  o.batch_size = batch;
  o.shuffle = shuffle;
  o.seed = 7;
  o.prefetch = false;
  return data::DataLoader(ds, o);
}

template <class Opt, class Options>
void check_accumulation(const Options& opt_options) {
  auto ds = small_set(16, 1);
  nn::CrossEntropyLoss ce;
  // (a) 4 micro-batches of 4 with accumulation_steps = 4, for 2 epochs (2 optimizer steps);
  // (b) one batch of 16 per step, 2 epochs.
  auto a = make_linear(4, 3, 11);
  auto b = make_linear(4, 3, 11);
  Opt opt_a(a->parameters(), opt_options);
  Opt opt_b(b->parameters(), opt_options);
  auto la = loader(ds, 4);
  auto lb = loader(ds, 16);
  FitOptions fa;
  fa.epochs = 2;
  fa.accumulation_steps = 4;
  FitOptions fb;
  fb.epochs = 2;
  History ha = fit(*a, ce, opt_a, la, fa);
  History hb = fit(*b, ce, opt_b, lb, fb);
  EXPECT_EQ(ha.global_step, 2);
  EXPECT_EQ(hb.global_step, 2);
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_LT(max_abs_diff(pa[i], pb[i]), 1e-12) << "parameter " << i;
  // The parameters did move.
  auto c = make_linear(4, 3, 11);
  EXPECT_GT(max_abs_diff(pa[0], c->parameters()[0]), 1e-4);
  // The epoch's mean loss is the same whichever way the batches were cut.
  EXPECT_NEAR(ha.epochs[0].at("loss"), hb.epochs[0].at("loss"), 1e-12);
  EXPECT_NEAR(ha.epochs[1].at("loss"), hb.epochs[1].at("loss"), 1e-12);
}

TEST(Fit, AccumulationMatchesLargeBatchSGD) {
  check_accumulation<optim::SGD>(optim::SGDOptions{.lr = 0.5, .momentum = 0.9});
}

TEST(Fit, AccumulationMatchesLargeBatchAdam) { check_accumulation<optim::Adam>(optim::AdamOptions{.lr = 0.05}); }

TEST(Fit, TrailingPartialGroupStepsWithItsOwnCount) {
  // 5 batches of 2 with accumulation_steps = 4: one step on the first 8 rows, one on the last 2.
  auto ds = small_set(10, 2);
  nn::CrossEntropyLoss ce;
  auto a = make_linear(4, 3, 5);
  auto b = make_linear(4, 3, 5);
  optim::SGD opt_a(a->parameters(), {.lr = 0.3});
  optim::SGD opt_b(b->parameters(), {.lr = 0.3});
  auto la = loader(ds, 2);
  FitOptions fa;
  fa.accumulation_steps = 4;
  History h = fit(*a, ce, opt_a, la, fa);
  EXPECT_EQ(h.global_step, 2);

  auto* td = static_cast<const data::TensorDataset*>(ds.get());
  for (auto [start, len] : {std::pair<int64_t, int64_t>{0, 8}, {8, 2}}) {
    opt_b.zero_grad();
    ce((*b)(td->inputs().narrow(0, start, len)), td->targets().narrow(0, start, len)).backward();
    opt_b.step();
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_LT(max_abs_diff(pa[i], pb[i]), 1e-12) << "parameter " << i;
}

TEST(Fit, SeparableProblemConverges) {
  manual_seed(3);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(2, 16), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(16, 3)});
  optim::SGD opt(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  auto train_ds = make_blobs(240, 1), val_ds = make_blobs(90, 2);
  auto tl = loader(train_ds, 16, /*shuffle=*/true);
  auto vl = loader(val_ds, 32);
  FitOptions o;
  o.epochs = 8;
  o.metrics = {"accuracy", "top2"};
  History h = fit(*model, nn::CrossEntropyLoss(), opt, tl, o, &vl);

  ASSERT_EQ(h.epochs.size(), 8u);
  EXPECT_FALSE(h.stopped_early);
  EXPECT_EQ(h.global_step, 8 * 15);
  std::vector<std::string> keys;
  for (const auto& [k, v] : h.epochs.back()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"accuracy", "loss", "lr", "top2", "val_accuracy", "val_loss", "val_top2"}));
  const auto loss = h.values("loss");
  EXPECT_LT(loss.back(), 0.5 * loss.front());
  EXPECT_GT(h.epochs.back().at("accuracy"), 0.95);
  EXPECT_GT(h.epochs.back().at("val_accuracy"), 0.95);
  EXPECT_DOUBLE_EQ(h.epochs.back().at("lr"), 0.05);
  EXPECT_THROW(h.values("val_f1"), Error);

  // evaluate() on the validation loader reproduces the last epoch's val_* values.
  Logs ev = evaluate(*model, nn::CrossEntropyLoss(), vl, {"accuracy", "top2"});
  EXPECT_NEAR(ev.at("loss"), h.epochs.back().at("val_loss"), 1e-6);
  EXPECT_DOUBLE_EQ(ev.at("accuracy"), h.epochs.back().at("val_accuracy"));

  // predict(): (90, 3) outputs whose accuracy matches evaluate's.
  Tensor out = predict(*model, vl);
  ASSERT_EQ(out.shape(), Shape({90, 3}));
  EXPECT_FALSE(out.requires_grad());
  auto* td = static_cast<const data::TensorDataset*>(val_ds.get());
  EXPECT_DOUBLE_EQ(accuracy(out, td->targets()), ev.at("accuracy"));
}

// Records the training mode and grad mode of every forward call.
class Probe : public nn::Module {
 public:
  Probe() { lin_ = register_module("lin", make_linear(4, 3, 1)); }
  std::string type_name() const override { return "Probe"; }
  Tensor forward(const Tensor& x) override {
    calls.push_back({is_training(), GradMode::is_enabled()});
    return (*lin_)(x);
  }
  std::vector<std::pair<bool, bool>> calls;

 private:
  std::shared_ptr<nn::Linear> lin_;
};

TEST(Fit, TrainAndEvalModes) {
  Probe model;
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  auto ds = small_set(8, 4);
  auto tl = loader(ds, 4), vl = loader(ds, 8);
  FitOptions o;
  o.epochs = 2;
  fit(model, nn::CrossEntropyLoss(), opt, tl, o, &vl);
  // Per epoch: 2 training calls (train mode, grad on), then 1 validation call (eval mode, no grad).
  const std::vector<std::pair<bool, bool>> expect = {{true, true}, {true, true}, {false, false},
                                                     {true, true}, {true, true}, {false, false}};
  EXPECT_EQ(model.calls, expect);
  EXPECT_TRUE(model.is_training());
  model.calls.clear();
  model.eval();
  predict(model, vl);
  EXPECT_FALSE(model.is_training());  // the previous mode is restored
  model.train();
  evaluate(model, nn::CrossEntropyLoss(), vl);
  EXPECT_TRUE(model.is_training());
  EXPECT_EQ(model.calls, (std::vector<std::pair<bool, bool>>{{false, false}, {false, false}}));
}

TEST(Fit, ClipGradNormMatchesManualLoop) {
  auto ds = small_set(8, 6);
  nn::CrossEntropyLoss ce;
  auto a = make_linear(4, 3, 8);
  auto b = make_linear(4, 3, 8);
  // Large weights so the gradients are well above the clipping threshold.
  for (auto* m : {a.get(), b.get()}) {
    NoGradGuard g;
    for (Tensor p : m->parameters()) p.mul_(20.0);
  }
  optim::SGD opt_a(a->parameters(), {.lr = 0.1});
  optim::SGD opt_b(b->parameters(), {.lr = 0.1});
  auto la = loader(ds, 4);
  FitOptions o;
  o.clip_grad_norm = 0.05;
  std::vector<double> norms_before, norms_after;
  o.callbacks = {std::make_shared<testing::OnBatchEnd>([&](TrainState& st, const Logs& logs) {
    norms_before.push_back(logs.at("grad_norm"));
    double sq = 0;
    for (const Tensor& p : st.model->parameters()) sq += p.grad().pow(2).sum().item();
    norms_after.push_back(std::sqrt(sq));
  })};
  fit(*a, ce, opt_a, la, o);
  ASSERT_EQ(norms_before.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GT(norms_before[i], 0.05);
    EXPECT_NEAR(norms_after[i], 0.05, 1e-6);
  }
  auto* td = static_cast<const data::TensorDataset*>(ds.get());
  for (int64_t start : {0, 4}) {
    opt_b.zero_grad();
    ce((*b)(td->inputs().narrow(0, start, 4)), td->targets().narrow(0, start, 4)).backward();
    optim::clip_grad_norm_(b->parameters(), 0.05);
    opt_b.step();
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_LT(max_abs_diff(pa[i], pb[i]), 1e-12);
}

TEST(Fit, ClipGradValue) {
  auto ds = small_set(8, 6);
  auto m = make_linear(4, 3, 8);
  {
    NoGradGuard g;
    for (Tensor p : m->parameters()) p.mul_(20.0);
  }
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  auto l = loader(ds, 8);
  FitOptions o;
  o.clip_grad_value = 0.01;
  double max_grad = 0;
  o.callbacks = {std::make_shared<testing::OnBatchEnd>([&](TrainState& st, const Logs&) {
    for (const Tensor& p : st.model->parameters()) max_grad = std::max(max_grad, p.grad().abs().max().item());
  })};
  fit(*m, nn::CrossEntropyLoss(), opt, l, o);
  EXPECT_DOUBLE_EQ(max_grad, 0.01);  // some gradient was clipped, none is above
}

TEST(Fit, BatchStateAndLogs) {
  auto ds = small_set(10, 9);
  auto m = make_linear(4, 3, 2);
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  auto l = loader(ds, 4);  // batches of 4, 4, 2
  FitOptions o;
  o.epochs = 2;
  o.accumulation_steps = 2;
  std::vector<std::tuple<int64_t, int64_t, int64_t, bool, double>> seen;
  o.callbacks = {std::make_shared<testing::OnBatchEnd>([&](TrainState& st, const Logs& logs) {
    seen.emplace_back(st.epoch, st.batch, st.global_step, st.optimizer_stepped, logs.at("size"));
    EXPECT_EQ(st.batches_per_epoch, 3);
    EXPECT_TRUE(std::isfinite(logs.at("batch_loss")));
  })};
  History h = fit(*m, nn::CrossEntropyLoss(), opt, l, o);
  using T = std::tuple<int64_t, int64_t, int64_t, bool, double>;
  const std::vector<T> expect = {T{0, 0, 0, false, 4}, T{0, 1, 1, true, 4}, T{0, 2, 2, true, 2},
                                 T{1, 0, 2, false, 4}, T{1, 1, 3, true, 4}, T{1, 2, 4, true, 2}};
  EXPECT_EQ(seen, expect);
  EXPECT_EQ(h.global_step, 4);
}

TEST(Fit, BinaryLogitsUseThresholdZero) {
  // Labels y = [x0 > 0]; a BCEWithLogitsLoss model's accuracy thresholds its logits at 0.
  Generator gen(12);
  Tensor x = randn({64, 2}, kFloat64, &gen);
  Tensor y = (x.select(1, 0).reshape({64, 1}) > 0.0).to(kFloat64);
  auto ds = std::make_shared<data::TensorDataset>(x, y);
  auto m = make_linear(2, 1, 3);
  optim::SGD opt(m->parameters(), {.lr = 0.5});
  auto l = loader(ds, 16);
  FitOptions o;
  o.epochs = 10;
  History h = fit(*m, nn::BCEWithLogitsLoss(), opt, l, o, &l);
  EXPECT_GT(h.epochs.back().at("val_accuracy"), 0.9);
  Tensor logits = predict(*m, l);
  EXPECT_DOUBLE_EQ(h.epochs.back().at("val_accuracy"), accuracy(logits, y, 0.0));
  Logs ev = evaluate(*m, nn::BCEWithLogitsLoss(), l);
  EXPECT_DOUBLE_EQ(ev.at("accuracy"), accuracy(logits, y, 0.0));
}

TEST(Fit, Errors) {
  auto ds = small_set(4, 1);
  auto m = make_linear(4, 3, 2);
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  auto l = loader(ds, 4);
  nn::CrossEntropyLoss ce;
  FitOptions o;
  o.accumulation_steps = 0;
  EXPECT_THROW(fit(*m, ce, opt, l, o), Error);
  o = {};
  o.metrics = {"accuracy", "nope"};
  EXPECT_THROW(fit(*m, ce, opt, l, o), Error);
  o = {};
  o.clip_grad_norm = -1.0;
  EXPECT_THROW(fit(*m, ce, opt, l, o), Error);
  o = {};
  o.epochs = 2;
  o.initial_epoch = 3;
  EXPECT_THROW(fit(*m, ce, opt, l, o), Error);
  // A model whose output does not fit the loss: the op's own error comes through.
  auto wrong = make_linear(4, 1, 2);
  optim::SGD opt2(wrong->parameters(), {.lr = 0.1});
  EXPECT_THROW(fit(*wrong, nn::MSELoss(), opt2, l), Error);
}

TEST(Fit, InitialEpochResumes) {
  auto ds = small_set(8, 1);
  auto m = make_linear(4, 3, 2);
  optim::SGD opt(m->parameters(), {.lr = 0.1});
  auto l = loader(ds, 4);
  FitOptions o;
  o.epochs = 5;
  o.initial_epoch = 3;
  o.initial_global_step = 6;
  std::vector<int64_t> epochs;
  o.callbacks = {std::make_shared<testing::OnBatchEnd>([&](TrainState& st, const Logs&) {
    if (st.batch == 0) epochs.push_back(st.epoch);
  })};
  History h = fit(*m, nn::CrossEntropyLoss(), opt, l, o);
  EXPECT_EQ(epochs, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(h.epochs.size(), 2u);
  EXPECT_EQ(h.initial_epoch, 3);
  EXPECT_EQ(h.global_step, 10);
}

}  // namespace
}  // namespace strata::train
