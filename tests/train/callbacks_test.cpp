// Callbacks: early stopping, checkpoints, CSV / JSON-lines logs, progress bar, LR scheduling, TerminateOnNaN.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "train_test_util.h"

namespace strata::train {
namespace {

using testing::make_linear;
using testing::max_abs_diff;
using testing::ScriptedLogs;

data::DatasetPtr small_set(int64_t n, uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn({n, 4}, kFloat64, &gen);
  Tensor y = randint(0, 3, {n}, kInt64, &gen);
  return std::make_shared<data::TensorDataset>(x, y);
}

struct Rig {
  std::shared_ptr<nn::Linear> model = make_linear(4, 3, 21);
  optim::SGD opt{model->parameters(), {.lr = 0.2}};
  data::DataLoader loader{small_set(16, 3), 4, false, 0, false, false};
  data::DataLoader val{small_set(8, 4), 8, false, 0, false, false};
  nn::CrossEntropyLoss loss;
  History run(FitOptions o, bool with_val = true) {
    return fit(*model, loss, opt, loader, o, with_val ? &val : nullptr);
  }
};

void expect_params(const nn::Module& m, const std::vector<Tensor>& expect, bool equal) {
  auto ps = m.parameters();
  ASSERT_EQ(ps.size(), expect.size());
  double diff = 0;
  for (size_t i = 0; i < ps.size(); ++i) diff = std::max(diff, max_abs_diff(ps[i], expect[i]));
  if (equal) EXPECT_EQ(diff, 0.0);
  else EXPECT_GT(diff, 0.0);
}

TEST(EarlyStopping, StopsAfterPatienceAndRestoresBest) {
  Rig s;
  auto script = std::make_shared<ScriptedLogs>(
      std::map<std::string, std::vector<double>>{{"val_loss", {1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6}}});
  auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 2, .restore_best_weights = true});
  FitOptions o;
  o.epochs = 7;
  o.callbacks = {script, es};
  History h = s.run(o);
  // Best at epoch 1 (0.8); epochs 2 and 3 do not improve -> stop at the end of epoch 3.
  ASSERT_EQ(h.epochs.size(), 4u);
  EXPECT_TRUE(h.stopped_early);
  EXPECT_EQ(es->stopped_epoch(), 3);
  EXPECT_EQ(es->best_epoch(), 1);
  EXPECT_DOUBLE_EQ(es->best(), 0.8);
  EXPECT_NE(h.stop_reason.find("val_loss did not improve for 2 epochs"), std::string::npos) << h.stop_reason;
  expect_params(*s.model, script->weights[1], true);
  expect_params(*s.model, script->weights[3], false);
}

TEST(EarlyStopping, MinDeltaModeAndNoRestore) {
  Rig s;
  // "val_accuracy" is maximised ("auto"); gains of 0.005 are below min_delta 0.01.
  auto script = std::make_shared<ScriptedLogs>(
      std::map<std::string, std::vector<double>>{{"val_accuracy", {0.5, 0.6, 0.605, 0.61, 0.9}}});
  auto es = std::make_shared<EarlyStopping>(
      EarlyStoppingOptions{.monitor = "val_accuracy", .patience = 1, .min_delta = 0.01});
  FitOptions o;
  o.epochs = 5;
  o.callbacks = {script, es};
  History h = s.run(o);
  EXPECT_EQ(h.epochs.size(), 3u);
  EXPECT_EQ(es->best_epoch(), 1);
  expect_params(*s.model, script->weights[2], true);  // no restore: the last weights stay
}

TEST(EarlyStopping, NeverStopsWhileImprovingAndNeedsTheKey) {
  Rig s;
  auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "loss", .patience = 0});
  auto script = std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"loss", {3, 2, 1}}});
  FitOptions o;
  o.epochs = 3;
  o.callbacks = {script, es};
  EXPECT_EQ(s.run(o).epochs.size(), 3u);
  EXPECT_EQ(es->stopped_epoch(), -1);

  o.callbacks = {std::make_shared<EarlyStopping>()};  // monitors val_loss
  try {
    s.run(o, /*with_val=*/false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"val_loss\" is not in the epoch logs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(EarlyStopping(EarlyStoppingOptions{.mode = "lowest"}), Error);
}

TEST(ModelCheckpoint, WritesBestAndLastThatLoadBack) {
  testing::TrainTempDir dir;
  Rig s;
  auto script =
      std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"val_loss", {1.0, 0.5, 0.7}}});
  auto ck = std::make_shared<ModelCheckpoint>(dir.file("ckpt"));
  FitOptions o;
  o.epochs = 3;
  o.callbacks = {script, ck};
  s.run(o);
  EXPECT_EQ(ck->best_epoch(), 1);

  io::SafetensorsFile best = io::load_safetensors(dir.file("ckpt/best.safetensors"));
  io::SafetensorsFile last = io::load_safetensors(dir.file("ckpt/last.safetensors"));
  EXPECT_EQ(best.metadata.at("epoch"), "2");
  EXPECT_EQ(best.metadata.at("monitor"), "val_loss");
  EXPECT_EQ(best.metadata.at("value"), "0.5");
  EXPECT_EQ(best.metadata.at("global_step"), "8");
  EXPECT_EQ(last.metadata.at("epoch"), "3");
  ASSERT_TRUE(best.tensors.contains("weight") && best.tensors.contains("bias"));
  EXPECT_EQ(max_abs_diff(best.tensors.at("weight"), script->weights[1][0]), 0.0);
  EXPECT_EQ(max_abs_diff(best.tensors.at("bias"), script->weights[1][1]), 0.0);
  EXPECT_EQ(max_abs_diff(last.tensors.at("weight"), s.model->parameters()[0]), 0.0);

  // The best file loads into a fresh model.
  auto fresh = make_linear(4, 3, 99);
  fresh->load_state_dict(best.tensors);
  expect_params(*fresh, script->weights[1], true);
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("ckpt"))) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2);
}

TEST(ModelCheckpoint, FilePathAndLastOnly) {
  testing::TrainTempDir dir;
  Rig s;
  auto ck = std::make_shared<ModelCheckpoint>(dir.file("sub/model.safetensors"));
  EXPECT_EQ(ck->last_path(), dir.file("sub/model.last.safetensors"));
  FitOptions o;
  o.epochs = 1;
  o.callbacks = {ck};
  s.run(o);
  EXPECT_TRUE(std::filesystem::exists(dir.file("sub/model.safetensors")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("sub/model.last.safetensors")));

  // Without validation, save_best needs its key; save_last alone does not.
  o.callbacks = {std::make_shared<ModelCheckpoint>(dir.file("x"), ModelCheckpointOptions{.save_best = false})};
  s.run(o, false);
  EXPECT_TRUE(std::filesystem::exists(dir.file("x/last.safetensors")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("x/best.safetensors")));
  o.callbacks = {std::make_shared<ModelCheckpoint>(dir.file("y"))};
  EXPECT_THROW(s.run(o, false), Error);
}

TEST(Loggers, CSVRowsMatchHistory) {
  testing::TrainTempDir dir;
  Rig s;
  FitOptions o;
  o.epochs = 2;
  o.callbacks = {std::make_shared<CSVLogger>(dir.file("log.csv"))};
  History h = s.run(o);
  auto lines = testing::split_lines(testing::read_text(dir.file("log.csv")));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "epoch,accuracy,loss,lr,val_accuracy,val_loss");
  for (size_t e = 0; e < 2; ++e) {
    std::stringstream row(lines[e + 1]);
    std::string cell;
    std::vector<std::string> cells;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 6u);
    EXPECT_EQ(cells[0], std::to_string(e + 1));
    EXPECT_EQ(std::stod(cells[2]), h.epochs[e].at("loss"));  // written exactly (shortest round trip)
    EXPECT_EQ(std::stod(cells[5]), h.epochs[e].at("val_loss"));
    EXPECT_EQ(std::stod(cells[3]), 0.2);
  }
  // append = true keeps the header and adds rows; append = false starts over.
  o.callbacks = {std::make_shared<CSVLogger>(dir.file("log.csv"), /*append=*/true)};
  s.run(o);
  lines = testing::split_lines(testing::read_text(dir.file("log.csv")));
  EXPECT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[3].substr(0, 2), "1,");
  o.callbacks = {std::make_shared<CSVLogger>(dir.file("log.csv"), false, ';')};
  s.run(o, false);
  lines = testing::split_lines(testing::read_text(dir.file("log.csv")));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "epoch;accuracy;loss;lr");
}

TEST(Loggers, CSVWritesNonFiniteValuesAsPythonReadsThem) {
  // "nan", "inf", "-inf": what Python's float() (and pandas / csv readers) take; to_chars alone writes a nan with
  // its sign bit set as "-nan", which they refuse. A nan from 0 * inf or inf - inf has the sign bit set on x86.
  testing::TrainTempDir dir;
  Rig s;
  const double neg_nan = std::copysign(std::numeric_limits<double>::quiet_NaN(), -1.0);
  ASSERT_TRUE(std::signbit(neg_nan));
  auto script = std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{
      {"v",
       {neg_nan, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), -0.25}}});
  FitOptions o;
  o.epochs = 5;
  o.callbacks = {script, std::make_shared<CSVLogger>(dir.file("log.csv"))};
  s.run(o, false);
  auto lines = testing::split_lines(testing::read_text(dir.file("log.csv")));
  ASSERT_EQ(lines.size(), 6u);
  ASSERT_EQ(lines[0], "epoch,accuracy,loss,lr,v");
  const std::vector<std::string> expect = {"nan", "nan", "inf", "-inf", "-0.25"};
  for (size_t e = 0; e < expect.size(); ++e) {
    const std::string& row = lines[e + 1];
    EXPECT_EQ(row.substr(row.rfind(',') + 1), expect[e]) << row;
  }
}

TEST(Loggers, JSONLinesRows) {
  testing::TrainTempDir dir;
  Rig s;
  auto script =
      std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"odd", {1.5, std::nan("")}}});
  FitOptions o;
  o.epochs = 2;
  o.callbacks = {script, std::make_shared<JSONLinesLogger>(dir.file("log.jsonl"))};
  History h = s.run(o);
  auto lines = testing::split_lines(testing::read_text(dir.file("log.jsonl")));
  ASSERT_EQ(lines.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    io::Json row = io::parse_json(lines[e]);
    EXPECT_EQ(row.at("epoch").as_int(), static_cast<int64_t>(e + 1));
    EXPECT_EQ(row.at("loss").as_double(), h.epochs[e].at("loss"));
    EXPECT_EQ(row.at("val_accuracy").as_double(), h.epochs[e].at("val_accuracy"));
  }
  EXPECT_EQ(io::parse_json(lines[0]).at("odd").as_double(), 1.5);
  EXPECT_TRUE(io::parse_json(lines[1]).at("odd").is_null());  // nan is written as null
}

TEST(ProgressBar, PlainLinesWhenNotATerminal) {
  Rig s;
  std::ostringstream out;
  auto bar = std::make_shared<ProgressBar>(out);
  FitOptions o;
  o.epochs = 2;
  o.callbacks = {bar};
  s.run(o);
  EXPECT_FALSE(bar->tty());
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  auto lines = testing::split_lines(text);
  // Per epoch: a title, one line per batch (4 batches -> every batch), a summary.
  ASSERT_EQ(lines.size(), 12u) << text;
  EXPECT_EQ(lines[0], "Epoch 1/2");
  EXPECT_EQ(lines[1].substr(0, 12), "1/4 - loss: ") << lines[1];
  EXPECT_NE(lines[1].find(" - accuracy: "), std::string::npos);
  EXPECT_NE(lines[1].find(" samples/s"), std::string::npos);
  EXPECT_NE(lines[1].find(" - ETA "), std::string::npos);
  EXPECT_EQ(lines[4].find("ETA"), std::string::npos);  // the last batch has none
  EXPECT_EQ(lines[5].substr(0, 18), "Epoch 1/2 done in ");
  EXPECT_NE(lines[5].find(" - val_loss: "), std::string::npos);
  EXPECT_NE(lines[5].find(" - lr: 0.2000"), std::string::npos);
  EXPECT_EQ(lines[6], "Epoch 2/2");

  // print_every = 3: batches 3 and 4 (the last) only.
  std::ostringstream out2;
  o.callbacks = {std::make_shared<ProgressBar>(out2, ProgressBarOptions{.print_every = 3})};
  o.epochs = 1;
  s.run(o);
  lines = testing::split_lines(out2.str());
  ASSERT_EQ(lines.size(), 4u) << out2.str();
  EXPECT_EQ(lines[1].substr(0, 4), "3/4 ");
  EXPECT_EQ(lines[2].substr(0, 4), "4/4 ");
}

TEST(ProgressBar, RedrawsInPlaceOnATerminal) {
  Rig s;
  std::ostringstream out;
  FitOptions o;
  o.callbacks = {std::make_shared<ProgressBar>(out, ProgressBarOptions{.tty = true, .bar_width = 10})};
  s.run(o);
  const std::string text = out.str();
  EXPECT_NE(text.find("\r4/4 [==========] - loss: "), std::string::npos) << text;
  EXPECT_NE(text.find("Epoch 1/1 done in"), std::string::npos);
}

TEST(ProgressBar, CIEnvironmentMeansPlain) {
  const char* old = std::getenv("CI");
  const std::string saved = old ? old : "";
  ::setenv("CI", "true", 1);
  ProgressBar bar(std::cout);
  TrainState st;
  bar.on_train_begin(st);
  EXPECT_FALSE(bar.tty());
  if (old) ::setenv("CI", saved.c_str(), 1);
  else ::unsetenv("CI");
}

// A loss that turns into nan on its `bad`-th call (0-based).
class NaNAfter : public nn::Loss {
 public:
  explicit NaNAfter(int bad) : bad_(bad) {}
  Tensor forward(const Tensor& input, const Tensor& target) const override {
    Tensor l = nn::functional::cross_entropy(input, target);
    return calls_++ == bad_ ? l * std::nan("") : l;
  }
  std::string name() const override { return "NaNAfter"; }

 private:
  int bad_;
  mutable int calls_ = 0;
};

TEST(TerminateOnNaN, StopsAndNamesTheStep) {
  Rig s;
  std::ostringstream msg;
  auto tn = std::make_shared<TerminateOnNaN>(&msg);
  int batches_after = 0;
  FitOptions o;
  o.epochs = 3;
  o.callbacks = {tn, std::make_shared<testing::OnBatchEnd>([&](TrainState& st, const Logs&) {
                   if (st.stop_training) ++batches_after;
                 })};
  // Call 5 is epoch 2 (1-based), batch 2 of 4, global step 6.
  History h = fit(*s.model, NaNAfter(5), s.opt, s.loader, o);
  EXPECT_TRUE(tn->triggered());
  EXPECT_EQ(tn->global_step(), 6);
  EXPECT_EQ(batches_after, 1);  // the batch that stopped it; no further batch ran
  EXPECT_TRUE(h.stopped_early);
  EXPECT_EQ(h.epochs.size(), 2u);
  EXPECT_TRUE(std::isnan(h.epochs[1].at("loss")));
  EXPECT_EQ(h.stop_reason, "TerminateOnNaN: loss is nan at epoch 2/3, batch 2/4 (global step 6); stopping training");
  EXPECT_EQ(msg.str(), h.stop_reason + "\n");
}

TEST(TerminateOnNaN, DivergingLearningRateWithAccumulation) {
  // Least squares with a far too large rate: the error grows geometrically until it overflows float32.
  Generator gen(5);
  Tensor x = randn({16, 4}, {}, &gen), y = randn({16, 1}, {}, &gen);
  data::DataLoader l(std::make_shared<data::TensorDataset>(x, y), 4, false, 0, false, false);
  auto m = make_linear(4, 1, 1, kFloat32);
  optim::SGD opt(m->parameters(), {.lr = 1e4});
  auto tn = std::make_shared<TerminateOnNaN>(nullptr);
  FitOptions o;
  o.epochs = 50;
  o.accumulation_steps = 2;
  o.metrics = {};
  o.callbacks = {tn};
  History h = fit(*m, nn::MSELoss(), opt, l, o);
  ASSERT_TRUE(tn->triggered());
  EXPECT_TRUE(h.stopped_early);
  EXPECT_LT(h.epochs.size(), 50u);
  EXPECT_GE(tn->global_step(), 2);
  EXPECT_NE(tn->message().find("(global step " + std::to_string(tn->global_step()) + ")"), std::string::npos);
  EXPECT_FALSE(std::isfinite(h.epochs.back().at("loss")));
}

TEST(LRSchedulerCallback, EpochStepAndPlateau) {
  {
    Rig s;
    FitOptions o;
    o.epochs = 3;
    o.callbacks = {std::make_shared<LRSchedulerCallback>(std::make_shared<optim::StepLR>(s.opt, 1, 0.5))};
    History h = s.run(o);
    EXPECT_EQ(h.values("lr"), (std::vector<double>{0.2, 0.1, 0.05}));
  }
  {
    Rig s;
    FitOptions o;
    o.epochs = 2;
    o.accumulation_steps = 2;  // 2 optimizer steps per epoch
    auto sched = std::make_shared<optim::StepLR>(s.opt, 1, 0.5);
    o.callbacks = {std::make_shared<LRSchedulerCallback>(sched, LRSchedulerCallback::Interval::Step)};
    History h = s.run(o);
    EXPECT_EQ(sched->last_epoch(), 4);
    EXPECT_DOUBLE_EQ(s.opt.param_groups()[0].lr(), 0.2 / 16);
    EXPECT_DOUBLE_EQ(h.epochs[1].at("lr"), 0.2 / 8);  // the rate of the epoch's last step
  }
  {
    Rig s;
    auto script =
        std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"val_loss", {1.0, 1.0, 1.0}}});
    auto plateau = std::make_shared<optim::ReduceLROnPlateau>(s.opt, optim::ReduceLROnPlateauOptions{.patience = 0});
    FitOptions o;
    o.epochs = 3;
    o.callbacks = {script, std::make_shared<LRSchedulerCallback>(plateau)};
    History h = s.run(o);
    const auto lr = h.values("lr");
    EXPECT_DOUBLE_EQ(lr[0], 0.2);
    EXPECT_DOUBLE_EQ(lr[1], 0.2);
    EXPECT_NEAR(lr[2], 0.02, 1e-15);
  }
}

}  // namespace
}  // namespace strata::train
