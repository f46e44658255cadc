// diag::Profiler: the rows of a small MLP's training steps, the warm-up / step window, and that profiling
// off records nothing.
#include "strata/diag/profiler.h"

#include <gtest/gtest.h>

#include "strata/core/profile.h"
#include "strata/strata.h"

namespace strata::diag {
namespace {

const ProfileRow* find_row(const Profile& p, const std::string& kind, const std::string& name) {
  for (const ProfileRow& r : p.rows) {
    if (r.kind == kind && r.name == name) return &r;
  }
  for (const ProfileRow& r : p.phases) {
    if (r.kind == kind && r.name == name) return &r;
  }
  return nullptr;
}

struct Mlp {
  nn::Sequential model;
  Mlp() {
    manual_seed(3);
    model.push_back(std::make_shared<nn::Linear>(6, 16));
    model.push_back(std::make_shared<nn::ReLU>());
    model.push_back(std::make_shared<nn::Linear>(16, 16));
    model.push_back(std::make_shared<nn::ReLU>());
    model.push_back(std::make_shared<nn::Linear>(16, 3));
  }
};

// `steps` Stepper steps of a 3-Linear MLP with Adam.
void train_steps(Mlp& m, optim::Adam& opt, int64_t steps) {
  Generator gen(5);
  const Tensor x = randn({32, 6}, {}, &gen);
  const Tensor y = randint(0, 3, {32}, TensorOptions(kInt64), &gen);
  train::Stepper stepper(m.model, opt);
  for (int64_t i = 0; i < steps; ++i) stepper([&] { return cross_entropy(m.model(x), y); });
}

TEST(Profiler, MlpStepsHaveOneRowPerOpWithCallsStepsTimesLayers) {
  Mlp m;
  optim::Adam opt(m.model.parameters(), {.lr = 1e-3});
  const int64_t warmup = 2, steps = 4, layers = 3;
  Profile p;
  {
    Profiler prof({.warmup_steps = warmup, .max_steps = steps});
    EXPECT_TRUE(profiler_active());
    train_steps(m, opt, warmup + steps + 3);  // the 3 steps after the window are not counted
    p = prof.result();
  }
  EXPECT_FALSE(profiler_active());
  EXPECT_EQ(p.steps, steps);
  EXPECT_GT(p.wall_ms, 0.0);

  const ProfileRow* fwd = find_row(p, "forward", "linear");
  const ProfileRow* bwd = find_row(p, "backward", "linear");
  const ProfileRow* adam = find_row(p, "optimizer", "Adam.step");
  const ProfileRow* relu = find_row(p, "forward", "relu");
  const ProfileRow* ce = find_row(p, "forward", "cross_entropy");
  const ProfileRow* acc = find_row(p, "backward", "AccumulateGrad");
  ASSERT_NE(fwd, nullptr) << p.table();
  ASSERT_NE(bwd, nullptr) << p.table();
  ASSERT_NE(adam, nullptr) << p.table();
  ASSERT_NE(relu, nullptr) << p.table();
  ASSERT_NE(ce, nullptr) << p.table();
  ASSERT_NE(acc, nullptr) << p.table();
  EXPECT_EQ(fwd->calls, steps * layers);
  EXPECT_EQ(bwd->calls, steps * layers);
  EXPECT_EQ(relu->calls, steps * 2);
  EXPECT_EQ(ce->calls, steps);
  EXPECT_EQ(adam->calls, steps);
  EXPECT_EQ(acc->calls, steps * 2 * layers);  // a weight and a bias per layer
  EXPECT_GT(fwd->total_ms, 0.0);
  EXPECT_NEAR(fwd->ms_per_call(), fwd->total_ms / static_cast<double>(fwd->calls), 1e-12);
  // The forward rows are self time: the backward rule's ops (mm, sum, ...) are inside the backward rows.
  EXPECT_EQ(find_row(p, "forward", "mm"), nullptr) << p.table();

  // Rows are disjoint slices of the window: with "(outside any row)" they sum to 100%.
  double sum = 0;
  for (const ProfileRow& r : p.rows) {
    EXPECT_GE(r.total_ms, 0.0) << r.name;
    sum += r.percent;
  }
  EXPECT_NEAR(sum, 100.0, 1e-6);
  for (size_t i = 1; i < p.rows.size(); ++i) EXPECT_GE(p.rows[i - 1].total_ms, p.rows[i].total_ms);

  // Phases of the Stepper, once per step.
  for (const char* phase : {"zero_grad", "forward+loss", "backward", "clip+callbacks"}) {
    const ProfileRow* r = find_row(p, "phase", phase);
    ASSERT_NE(r, nullptr) << phase << "\n" << p.table();
    EXPECT_EQ(r->calls, steps) << phase;
    EXPECT_LE(r->percent, 100.0) << phase;
  }

  const std::string t = p.table();
  EXPECT_NE(t.find("Adam.step"), std::string::npos) << t;
  EXPECT_NE(t.find("% time"), std::string::npos) << t;
  const io::Json j = p.to_json();
  EXPECT_EQ(j.at("steps").as_int(), steps);
  EXPECT_EQ(static_cast<size_t>(j.at("rows").size()), p.rows.size());
}

TEST(Profiler, OffRecordsNothingAndProfilersDoNotNest) {
  EXPECT_EQ(profile::active(), nullptr);
  {
    Profiler prof;
    EXPECT_THROW(Profiler second, Error);
    Mlp m;
    optim::Adam opt(m.model.parameters(), {.lr = 1e-3});
    train_steps(m, opt, 2);
    const Profile p = prof.result();
    EXPECT_EQ(p.steps, 2);
    ASSERT_NE(find_row(p, "optimizer", "Adam.step"), nullptr);
    prof.reset();
    const Profile empty = prof.result();
    EXPECT_EQ(empty.steps, 0);
    EXPECT_EQ(find_row(empty, "optimizer", "Adam.step"), nullptr);
  }
  EXPECT_EQ(profile::active(), nullptr);
  EXPECT_THROW(Profiler({.warmup_steps = -1}), Error);
}

TEST(Profiler, NestedScopesCountSelfTimeAndSameNameOnce) {
  Profiler prof;
  {
    const profile::Scope outer(profile::Kind::Forward, "outer");
    const profile::Scope same(profile::Kind::Forward, "outer");  // merged into the outer call
    const profile::Scope inner(profile::Kind::Forward, "inner");
    volatile double s = 0;
    for (int i = 0; i < 100000; ++i) s = s + i;
  }
  {
    const profile::Scope node(profile::Kind::Backward, "node");
    const profile::Scope hidden(profile::Kind::Forward, "hidden");  // inside an opaque scope: not a row
  }
  const Profile p = prof.result();
  const ProfileRow* outer = find_row(p, "forward", "outer");
  const ProfileRow* inner = find_row(p, "forward", "inner");
  ASSERT_NE(outer, nullptr);
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(outer->calls, 1);
  EXPECT_EQ(inner->calls, 1);
  EXPECT_NE(find_row(p, "backward", "node"), nullptr);
  EXPECT_EQ(find_row(p, "forward", "hidden"), nullptr);
}

}  // namespace
}  // namespace strata::diag
