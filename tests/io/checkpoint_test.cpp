// Checkpoints: exact round trips, crash safety of the atomic write, and exact resumption of a training run.
#include "strata/io/checkpoint.h"

#include <unistd.h>

#include <filesystem>

#include "io_test_util.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/generator.h"
#include "strata/io/atomic_file.h"
#include "strata/io/safetensors.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/linalg.h"
#include "strata/ops/reduction.h"

namespace strata::io {
namespace {

using test::error_of;
using ::testing::HasSubstr;

std::string raw_bytes(const Tensor& t) {
  Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()), static_cast<size_t>(c.numel()) * c.itemsize());
}

void expect_same_dict(const nn::StateDict& a, const nn::StateDict& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& [ka, ta] = a.items()[i];
    const auto& [kb, tb] = b.items()[i];
    EXPECT_EQ(ka, kb);
    EXPECT_EQ(ta.dtype(), tb.dtype()) << ka;
    EXPECT_EQ(ta.shape(), tb.shape()) << ka;
    EXPECT_EQ(raw_bytes(ta), raw_bytes(tb)) << ka;
  }
}

void expect_same_checkpoint(const Checkpoint& a, const Checkpoint& b) {
  expect_same_dict(a.model, b.model);
  expect_same_dict(a.optimizer_tensors, b.optimizer_tensors);
  EXPECT_EQ(a.optimizer.dump(), b.optimizer.dump());
  EXPECT_EQ(a.scheduler.dump(), b.scheduler.dump());
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.default_rng_state, b.default_rng_state);
  EXPECT_EQ(a.rng_states, b.rng_states);
  EXPECT_EQ(a.user, b.user);
}

Checkpoint sample_checkpoint(double scale) {
  Checkpoint c;
  c.model.insert("fc1.weight", mul(randn({4, 3}), scale));
  c.model.insert("fc1.bias", randn({4}));
  c.model.insert("bn.running_mean", randn({4}, TensorOptions(kFloat64)));
  c.model.insert("bn.num_batches_tracked", scalar_tensor(17, TensorOptions(kInt64)));
  c.model.insert("half", randn({3}).to(kFloat16));
  c.optimizer_tensors.insert("state.0.exp_avg", randn({4, 3}));
  c.optimizer_tensors.insert("state.0.exp_avg_sq", rand({4, 3}));
  c.optimizer = Json::object({{"lr", 0.1 * scale},
                              {"betas", Json::array({0.9, 0.999})},
                              {"eps", 1e-8},
                              {"step", (int64_t{1} << 53) | 1},
                              {"amsgrad", false},
                              {"name", "adam"}});
  c.scheduler = Json::object({{"last_epoch", 3}, {"gamma", 1.0 / 3.0}, {"milestones", Json::array({2, 5})}});
  c.epoch = 3;
  c.step = 1234567890123LL;
  (void)default_generator().normal_double();  // leaves a cached normal: part of the state
  c.capture_default_rng();
  Generator loader(99);
  loader.random();
  c.rng_states["loader"] = loader.get_state();
  c.user = {{"run", "lenet \"fast\" \xE2\x82\xAC"}, {"config", "{\"a\": 1}\n"}};
  return c;
}

TEST(Checkpoint, RoundTripIsExact) {
  test::ScratchDir dir;
  manual_seed(7);
  const Checkpoint c = sample_checkpoint(1.0);
  // What the default generator gives next from the captured state (a cached normal is pending).
  const double want_normal = default_generator().normal_double();
  const uint32_t want_bits = default_generator().random();
  save_checkpoint(dir.file("ckpt.safetensors"), c);
  const Checkpoint back = load_checkpoint(dir.file("ckpt.safetensors"));
  expect_same_checkpoint(c, back);
  EXPECT_EQ(back.optimizer.at("step").as_int(), (int64_t{1} << 53) | 1);
  EXPECT_EQ(back.optimizer.at("lr").as_double(), 0.1);
  EXPECT_EQ(back.scheduler.at("gamma").as_double(), 1.0 / 3.0);

  // Restoring the RNG continues the same stream (including the cached normal).
  manual_seed(12345);
  back.restore_default_rng();
  EXPECT_EQ(default_generator().normal_double(), want_normal);
  EXPECT_EQ(default_generator().random(), want_bits);

  // The file is a plain safetensors file with prefixed names.
  const SafetensorsFile raw = load_safetensors(dir.file("ckpt.safetensors"));
  EXPECT_TRUE(raw.tensors.contains("model.fc1.weight"));
  EXPECT_TRUE(raw.tensors.contains("optimizer.state.0.exp_avg"));
  EXPECT_EQ(raw.metadata.at("format"), "strata.checkpoint");
}

TEST(Checkpoint, EmptyCheckpointRoundTrips) {
  test::ScratchDir dir;
  Checkpoint c;
  save_checkpoint(dir.file("e.safetensors"), c);
  const Checkpoint back = load_checkpoint(dir.file("e.safetensors"));
  expect_same_checkpoint(c, back);
  EXPECT_THAT(error_of([&] { back.restore_default_rng(); }), HasSubstr("no default generator state"));
}

TEST(Checkpoint, FailureMidwayKeepsThePreviousCheckpoint) {
  test::ScratchDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  manual_seed(1);
  const Checkpoint good = sample_checkpoint(1.0);
  save_checkpoint(path, good);
  const std::string good_bytes = test::read_bytes(path);

  // The writer fails after the header and part of the tensors have been written.
  for (int fail_at_write : {0, 1, 3, 6}) {
    int writes = 0;
    detail::set_write_fault_hook([&](uint64_t, size_t) {
      if (writes++ == fail_at_write) throw strata::Error("simulated crash during save");
    });
    const Checkpoint next = sample_checkpoint(2.0);
    EXPECT_THAT(error_of([&] { save_checkpoint(path, next); }), HasSubstr("simulated crash")) << fail_at_write;
    detail::set_write_fault_hook({});
    EXPECT_EQ(test::read_bytes(path), good_bytes);
    expect_same_checkpoint(load_checkpoint(path), good);
    // The failed writer removed its temporary file.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
  }
}

TEST(Checkpoint, StaleTemporaryFilesAreHarmless) {
  test::ScratchDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  manual_seed(2);
  const Checkpoint first = sample_checkpoint(1.0);
  save_checkpoint(path, first);
  // A killed process left half-written temporaries: one with our pid, one with a live process's (our parent's,
  // never removed; dead writers' temporaries are removed, see integrity_test.cpp).
  const std::string ours = path + ".tmp." + std::to_string(::getpid());
  const std::string other = path + ".tmp." + std::to_string(::getppid());
  test::write_bytes(ours, "garbage from a crashed writer, much longer than the header length field");
  test::write_bytes(other, "garbage");
  expect_same_checkpoint(load_checkpoint(path), first);  // readers never look at temporaries

  const Checkpoint second = sample_checkpoint(3.0);
  save_checkpoint(path, second);
  expect_same_checkpoint(load_checkpoint(path), second);
  EXPECT_FALSE(std::filesystem::exists(ours));  // renamed over path
  EXPECT_EQ(test::read_bytes(other), "garbage");
}

TEST(Checkpoint, BadFilesAreErrors) {
  test::ScratchDir dir;
  nn::StateDict sd;
  sd.insert("w", zeros({2}));
  save_safetensors(dir.file("plain.safetensors"), sd);
  EXPECT_THAT(error_of([&] { load_checkpoint(dir.file("plain.safetensors")); }), HasSubstr("not a Strata checkpoint"));
  // A checkpoint cut short (what a non-atomic writer could leave) is an error, not a crash.
  manual_seed(3);
  save_checkpoint(dir.file("c.safetensors"), sample_checkpoint(1.0));
  const std::string bytes = test::read_bytes(dir.file("c.safetensors"));
  for (size_t n : {size_t{0}, size_t{7}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    test::write_bytes(dir.file("cut.safetensors"), bytes.substr(0, n));
    EXPECT_THROW(load_checkpoint(dir.file("cut.safetensors")), strata::Error) << n;
  }
  // Metadata that is not valid checkpoint JSON names the file.
  save_safetensors(dir.file("m.safetensors"), sd, {{"format", "strata.checkpoint"}, {"strata.checkpoint", "{"}});
  EXPECT_THAT(error_of([&] { load_checkpoint(dir.file("m.safetensors")); }),
              HasSubstr("m.safetensors (checkpoint metadata):1:2"));
  save_safetensors(dir.file("v.safetensors"), sd,
                   {{"format", "strata.checkpoint"}, {"strata.checkpoint", "{\"version\": 99}"}});
  EXPECT_THAT(error_of([&] { load_checkpoint(dir.file("v.safetensors")); }), HasSubstr("version 99"));
}

// A tiny regression trained with SGD + momentum on random batches drawn from the default generator:
// 3 steps, checkpoint, 3 more steps must equal 6 uninterrupted steps bit for bit, even when the resumed
// process starts from a different seed and different weights.
struct Trainer {
  Tensor w, b, mw, mb;
  double lr = 0.05, momentum = 0.9;
  int64_t step = 0;

  explicit Trainer(uint64_t seed) {
    manual_seed(seed);
    w = randn({3, 1}).requires_grad_();
    b = zeros({1}).requires_grad_();
    mw = zeros({3, 1});
    mb = zeros({1});
  }

  double train_step() {
    const Tensor x = randn({8, 3});
    const Tensor y = add(matmul(x, from_vector<float>({1.5f, -2.0f, 0.5f}, Shape{3, 1})), randn({8, 1}));
    w.zero_grad();
    b.zero_grad();
    const Tensor diff = sub(add(matmul(x, w), b), y);
    const Tensor loss = mean(mul(diff, diff));
    loss.backward();
    NoGradGuard ng;
    mw.mul_(momentum).add_(w.grad());
    mb.mul_(momentum).add_(b.grad());
    w.add_(mw, -lr);
    b.add_(mb, -lr);
    ++step;
    return loss.item();
  }

  Checkpoint checkpoint() const {
    Checkpoint c;
    c.model.insert("w", w.detach());
    c.model.insert("b", b.detach());
    c.optimizer_tensors.insert("w.momentum_buffer", mw);
    c.optimizer_tensors.insert("b.momentum_buffer", mb);
    c.optimizer = Json::object({{"lr", lr}, {"momentum", momentum}});
    c.step = step;
    c.capture_default_rng();
    return c;
  }

  void restore(const Checkpoint& c) {
    NoGradGuard ng;
    w.copy_(c.model.at("w"));
    b.copy_(c.model.at("b"));
    mw.copy_(c.optimizer_tensors.at("w.momentum_buffer"));
    mb.copy_(c.optimizer_tensors.at("b.momentum_buffer"));
    lr = c.optimizer.at("lr").as_double();
    momentum = c.optimizer.at("momentum").as_double();
    step = c.step;
    c.restore_default_rng();
  }
};

TEST(Checkpoint, ResumingReproducesTheUninterruptedRun) {
  test::ScratchDir dir;
  Trainer full(42);
  std::vector<double> want;
  for (int i = 0; i < 6; ++i) want.push_back(full.train_step());

  Trainer first(42);
  std::vector<double> got;
  for (int i = 0; i < 3; ++i) got.push_back(first.train_step());
  save_checkpoint(dir.file("run.safetensors"), first.checkpoint());

  Trainer resumed(7);  // a new process: other seed, other weights
  resumed.train_step();
  resumed.restore(load_checkpoint(dir.file("run.safetensors")));
  EXPECT_EQ(resumed.step, 3);
  for (int i = 0; i < 3; ++i) got.push_back(resumed.train_step());

  EXPECT_EQ(got, want);
  EXPECT_EQ(raw_bytes(resumed.w), raw_bytes(full.w));
  EXPECT_EQ(raw_bytes(resumed.b), raw_bytes(full.b));
  EXPECT_EQ(raw_bytes(resumed.mw), raw_bytes(full.mw));
}

}  // namespace
}  // namespace strata::io
