// Exact resume (train/resume.h): a run resumed from any of its checkpoints, at an epoch end or mid-epoch, ends with
// bit-identical weights and epoch logs to the run that never stopped; with dropout, shuffling with prefetch, Adam,
// a per-step schedule, accumulation, clipping, early stopping with best weights, fp16 loss scaling, and a GAN's
// two optimizers and discriminator-step counter. Also DataLoader::begin_at and the errors.
#include <gtest/gtest.h>

#include <memory>

#include "train_test_util.h"

namespace strata::train {
namespace {

using testing::TrainTempDir;

data::DatasetPtr blobs4(int64_t n, uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn({n, 4}, {}, &gen);
  Tensor y = randint(0, 3, {n}, kInt64, &gen);
  x.select(1, 0).add_(y.to(kFloat32));  // learnable
  return std::make_shared<data::TensorDataset>(x, y);
}

// Saves a checkpoint (through a file) at every epoch end and after every `every`-th optimizer step.
class Saver : public Callback {
 public:
  Saver(const TrainTempDir& dir, int64_t every, NamedOptimizers opts) : dir_(dir), every_(every), opts_(opts) {}
  std::vector<CallbackPtr> callbacks;  // whose state is saved
  std::vector<std::string> paths;
  int64_t interrupt_at = -1;  // set TrainState::interrupt after this global step
  void on_batch_end(TrainState& s, const Logs&) override {
    if (!s.optimizer_stepped) return;
    if (s.global_step % every_ == 0 || s.global_step == interrupt_at) save(s, nullptr);
    if (s.global_step == interrupt_at) s.interrupt = true;
  }
  void on_epoch_end(TrainState& s, Logs& logs) override { save(s, &logs); }

 private:
  void save(const TrainState& s, const Logs* logs) {
    io::Checkpoint c;
    capture_training_state(s, callbacks, logs, opts_, c);
    paths.push_back(dir_.file("ckpt" + std::to_string(paths.size()) + ".safetensors"));
    io::save_checkpoint(paths.back(), c);
  }
  const TrainTempDir& dir_;
  int64_t every_;
  NamedOptimizers opts_;
};

// One supervised run, built the same way every time.
struct SupervisedRun {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Adam> opt;
  std::unique_ptr<data::DataLoader> train, val;
  FitOptions fo;
  std::shared_ptr<Saver> saver;

  SupervisedRun(const TrainTempDir& dir, Precision precision) {
    manual_seed(5);
    model = std::make_shared<nn::Sequential>();
    model->push_back(std::make_shared<nn::Linear>(4, 16));
    model->push_back(std::make_shared<nn::ReLU>());
    model->push_back(std::make_shared<nn::Dropout>(0.3));
    model->push_back(std::make_shared<nn::Linear>(16, 3));
    opt = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 0.01});
    data::DataLoaderOptions lo{.batch_size = 10, .shuffle = true, .seed = 11, .prefetch = true};
    train = std::make_unique<data::DataLoader>(blobs4(95, 1), lo);  // 10 batches, the last one of 5
    val = std::make_unique<data::DataLoader>(blobs4(30, 2), 16);
    fo.epochs = 4;
    fo.accumulation_steps = 2;
    fo.clip_grad_norm = 1.0;
    fo.precision = precision;
    if (precision == Precision::FP16)
      fo.grad_scaler = std::make_shared<GradScaler>(GradScalerOptions{.growth_interval = 3});
    auto sched = std::make_shared<LRSchedulerCallback>(std::make_shared<optim::StepLR>(*opt, 4, 0.8),
                                                       LRSchedulerCallback::Interval::Step);
    auto early = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 10, .restore_best_weights = true});
    saver = std::make_shared<Saver>(dir, 3, NamedOptimizers{{"", opt.get()}});
    fo.callbacks = {sched, early, saver};
    saver->callbacks = {sched, early};  // not the saver itself: a shared_ptr cycle
    if (fo.grad_scaler) saver->callbacks.push_back(fo.grad_scaler);
  }
  History run() {
    nn::CrossEntropyLoss ce;
    return fit(*model, ce, *opt, *train, fo, val.get());
  }
};

void expect_identical(nn::Module& a, nn::Module& b, const std::string& what) {
  const nn::StateDict sa = a.state_dict(), sb = b.state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (const auto& [k, t] : sa) EXPECT_EQ(testing::max_abs_diff(t, sb.at(k)), 0.0) << what << ": " << k;
}

void expect_same_history(const History& a, const History& b, const std::string& what) {
  ASSERT_EQ(a.epochs.size(), b.epochs.size()) << what;
  for (size_t i = 0; i < a.epochs.size(); ++i) EXPECT_EQ(a.epochs[i], b.epochs[i]) << what << ": epoch " << i + 1;
  EXPECT_EQ(a.global_step, b.global_step) << what;
}

class ResumeFit : public ::testing::TestWithParam<Precision> {};

TEST_P(ResumeFit, FromEveryCheckpointBitIdentical) {
  TrainTempDir dir;
  SupervisedRun full(dir, GetParam());
  const History h = full.run();
  const std::vector<std::string> paths = full.saver->paths;
  ASSERT_EQ(h.global_step, 20);  // 4 epochs of 5 steps (10 micro-batches, 2 per step)
  ASSERT_GE(paths.size(), 8U);   // 4 epoch ends and the steps divisible by 3
  for (const std::string& p : paths) {
    SupervisedRun resumed(dir, GetParam());
    const io::Checkpoint c = io::load_checkpoint(p);
    resumed.fo.resume = read_resume_state(c, *resumed.model, {{"", resumed.opt.get()}}, p);
    const History hr = resumed.run();
    expect_identical(*full.model, *resumed.model, p);
    expect_same_history(h, hr, p);
    if (full.fo.grad_scaler) {
      EXPECT_EQ(full.fo.grad_scaler->scale(), resumed.fo.grad_scaler->scale()) << p;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Precisions, ResumeFit, ::testing::Values(Precision::FP32, Precision::FP16));

TEST(Resume, InterruptStopsWithoutClosingTheEpochAndResumes) {
  TrainTempDir dir;
  SupervisedRun full(dir, Precision::FP32);
  const History h = full.run();

  SupervisedRun cut(dir, Precision::FP32);
  cut.saver->interrupt_at = 7;  // mid-epoch 2
  const History hc = cut.run();
  EXPECT_TRUE(hc.interrupted);
  EXPECT_FALSE(hc.stopped_early);
  EXPECT_EQ(hc.epochs.size(), 1U);  // epoch 2 was left unfinished: no validation, no logs
  EXPECT_EQ(hc.global_step, 7);

  SupervisedRun resumed(dir, Precision::FP32);
  const io::Checkpoint c = io::load_checkpoint(cut.saver->paths.back());
  EXPECT_EQ(c.training.at("batch").as_int(), 4);  // steps 6 and 7 of epoch 2: micro-batches 0-3 done
  resumed.fo.resume = read_resume_state(c, *resumed.model, {{"", resumed.opt.get()}});
  const History hr = resumed.run();
  expect_identical(*full.model, *resumed.model, "interrupted");
  expect_same_history(h, hr, "interrupted");
}

TEST(Resume, GANTaskKeepsItsDiscriminatorStepCount) {
  TrainTempDir dir;
  struct GanRun {
    std::shared_ptr<nn::GAN> gan;
    std::unique_ptr<optim::Adam> g, d;
    std::unique_ptr<GANTask> task;
    std::unique_ptr<data::DataLoader> loader;
    FitOptions fo;
    std::shared_ptr<Saver> saver;
    GanRun(const TrainTempDir& dir) {
      manual_seed(3);
      auto mlp = [](int64_t a, int64_t b) {
        auto s = std::make_shared<nn::Sequential>();
        s->push_back(std::make_shared<nn::Linear>(a, 8));
        s->push_back(std::make_shared<nn::ReLU>());
        s->push_back(std::make_shared<nn::Linear>(8, b));
        return s;
      };
      gan = std::make_shared<nn::GAN>(mlp(4, 2), mlp(2, 1), std::vector<int64_t>{4});
      g = std::make_unique<optim::Adam>(gan->generator().parameters(), optim::AdamOptions{.lr = 1e-3});
      d = std::make_unique<optim::Adam>(gan->discriminator().parameters(), optim::AdamOptions{.lr = 1e-3});
      task = std::make_unique<GANTask>(gan, *g, *d, GANOptions{.d_steps = 2});
      Generator gen(9);
      Tensor real = add(mul(randn({56, 2}, {}, &gen), 0.1), 2.0);
      loader = std::make_unique<data::DataLoader>(std::make_shared<data::TensorDataset>(real, zeros({56}, kInt64)), 8,
                                                  true, 0);  // 7 batches: odd, so epochs end mid-pair
      fo.epochs = 3;
      saver = std::make_shared<Saver>(dir, 5, NamedOptimizers{{"", g.get()}, {"discriminator", d.get()}});
      fo.callbacks = {saver};
    }
  };
  GanRun full(dir);
  const History h = fit_task(*full.task, *full.loader, full.fo);
  for (const std::string& p : full.saver->paths) {
    GanRun resumed(dir);
    const io::Checkpoint c = io::load_checkpoint(p);
    resumed.fo.resume =
        read_resume_state(c, *resumed.gan, {{"", resumed.g.get()}, {"discriminator", resumed.d.get()}}, p);
    const History hr = fit_task(*resumed.task, *resumed.loader, resumed.fo);
    expect_identical(*full.gan, *resumed.gan, p);
    expect_same_history(h, hr, p);
  }
}

TEST(Resume, DataLoaderBeginAtSkipsBatchesOfTheSameOrder) {
  for (bool prefetch : {false, true}) {
    data::DataLoaderOptions o{.batch_size = 4, .shuffle = true, .seed = 3, .prefetch = prefetch};
    data::DataLoader a(blobs4(30, 1), o), b(blobs4(30, 1), o);
    std::vector<Tensor> all;
    for (const data::Batch& x : a) all.push_back(x.input);
    int64_t n = 0;
    for (auto it = b.begin_at(5); it != b.end(); ++it, ++n) {
      EXPECT_EQ(it.index(), 5 + n);
      EXPECT_EQ(testing::max_abs_diff(it->input, all[static_cast<size_t>(5 + n)]), 0.0);
    }
    EXPECT_EQ(n, 3);
    int64_t empty = 0;
    for (auto it = b.begin_at(b.size()); it != b.end(); ++it) ++empty;
    EXPECT_EQ(empty, 0);
    EXPECT_THROW(b.begin_at(b.size() + 1), Error);
  }
}

TEST(Resume, Errors) {
  TrainTempDir dir;
  SupervisedRun r(dir, Precision::FP32);
  // A checkpoint with weights only has no position.
  io::Checkpoint plain;
  plain.model = r.model->state_dict();
  EXPECT_THROW(
      {
        try {
          read_resume_state(plain, *r.model, {{"", r.opt.get()}}, "old.safetensors");
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("old.safetensors"), std::string::npos);
          throw;
        }
      },
      Error);
  // Mid-group capture would cut an accumulation group in two.
  TrainState st;
  st.model = r.model.get();
  io::Checkpoint c;
  EXPECT_THROW(capture_training_state(st, {}, nullptr, {{"", r.opt.get()}}, c), Error);
  // Another optimizer type.
  r.run();
  const io::Checkpoint saved = io::load_checkpoint(r.saver->paths.front());
  optim::SGD sgd(r.model->parameters(), {.lr = 0.1});
  EXPECT_THROW(read_resume_state(saved, *r.model, {{"", &sgd}}), Error);
  // Non-finite numbers survive the JSON round trip.
  EXPECT_TRUE(std::isnan(detail::read_exact_number(detail::exact_number(std::nan("")))));
  EXPECT_EQ(detail::read_exact_number(detail::exact_number(-INFINITY)), -INFINITY);
  EXPECT_EQ(detail::read_exact_number(detail::exact_number(0.1)), 0.1);
}

}  // namespace
}  // namespace strata::train
