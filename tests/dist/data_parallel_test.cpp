// dist::DataParallel through train::fit: N ranks of a global batch B give the weights of one process training on
// batches of B (float64 to 1e-12, float32 to float tolerance), for SGD with momentum and Adam, with an uneven last
// batch, gradient accumulation and an unused parameter. Each rank trains the one-process reference itself, so the
// test needs no files: run under `mpirun -np 2` (ctest does) and alone (a world of one).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "strata/dist/dist.h"
#include "strata/strata.h"

namespace strata::dist {
namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) {
  Tensor d = (a.to(kFloat64) - b.to(kFloat64)).abs();
  return d.numel() == 0 ? 0.0 : d.max().item();
}

data::DatasetPtr blobs(int64_t n, DType dtype, uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn({n, 6}, dtype, &gen);
  Tensor y = randint(0, 3, {n}, kInt64, &gen);
  return std::make_shared<data::TensorDataset>(x, y);
}

// A model with a parameter that no forward uses (its gradient stays undefined on every rank).
class TwoLayer : public nn::Module {
 public:
  explicit TwoLayer(DType dtype) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(6, 16, true, dtype));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(16, 3, true, dtype));
    unused = register_parameter("unused", zeros({4}, dtype));
  }
  Tensor forward(const Tensor& x) override { return (*fc2)(relu((*fc1)(x))); }
  std::string type_name() const override { return "TwoLayer"; }
  std::shared_ptr<nn::Linear> fc1, fc2;
  Tensor unused;
};

struct Run {
  train::History history;
  std::vector<Tensor> params;
  bool unused_has_grad = true;
};

template <class Opt, class OptOptions>
Run train_run(DType dtype, bool distributed, int64_t batch, int64_t accumulation, const OptOptions& oo,
              DataParallelOptions dpo = {}) {
  manual_seed(rank() == 0 ? 5 : 77);  // different on each rank: DataParallel must broadcast rank 0's weights
  auto model = std::make_shared<TwoLayer>(dtype);
  if (!distributed) {  // the reference: rank 0's initial weights, as DataParallel broadcasts them
    manual_seed(5);
    model = std::make_shared<TwoLayer>(dtype);
  }
  Opt opt(model->parameters(), oo);
  data::DataLoaderOptions lo;
  lo.batch_size = batch;
  lo.shuffle = true;
  lo.seed = 3;
  lo.prefetch = false;
  if (distributed) {
    lo.num_shards = world_size();
    lo.shard = rank();
  }
  data::DataLoader train_loader(blobs(54, dtype, 1), lo);  // last batches of 6 or 4: every rank of up to 4 gets one
  data::DataLoaderOptions vo = lo;
  vo.shuffle = false;
  vo.even_shards = false;  // evaluation: every example counts, once
  data::DataLoader val_loader(blobs(21, dtype, 2), vo);
  train::FitOptions fo;
  fo.epochs = 3;
  fo.accumulation_steps = accumulation;
  if (distributed) fo.grad_sync = std::make_shared<DataParallel>(*model, dpo);
  Run r;
  r.history = train::fit(*model, nn::CrossEntropyLoss(), opt, train_loader, fo, &val_loader);
  r.params = model->parameters();
  r.unused_has_grad = model->unused.grad().defined();
  return r;
}

template <class Opt, class OptOptions>
void expect_equivalent(DType dtype, int64_t batch, int64_t accumulation, const OptOptions& oo,
                       DataParallelOptions dpo = {}) {
  const Run ref = train_run<Opt>(dtype, false, batch, accumulation, oo);
  const Run dp = train_run<Opt>(dtype, true, batch, accumulation, oo, dpo);
  const double tol = dtype == kFloat64 ? 1e-12 : 2e-5;
  ASSERT_EQ(ref.params.size(), dp.params.size());
  for (size_t i = 0; i < ref.params.size(); ++i)
    EXPECT_LT(max_abs_diff(ref.params[i], dp.params[i]), tol) << "parameter " << i << " on rank " << rank();
  EXPECT_EQ(ref.history.global_step, dp.history.global_step);
  // The epoch's metrics are summed over the ranks: every rank reports the one-process figures.
  for (const std::string key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
    const auto a = ref.history.values(key), b = dp.history.values(key);
    ASSERT_EQ(a.size(), b.size());
    for (size_t e = 0; e < a.size(); ++e) EXPECT_NEAR(a[e], b[e], dtype == kFloat64 ? 1e-12 : 1e-5) << key << " " << e;
  }
  // The unused parameter has no gradient anywhere and was never moved.
  EXPECT_FALSE(dp.unused_has_grad);
}

TEST(DataParallel, SgdMomentumFloat64MatchesOneProcess) {
  expect_equivalent<optim::SGD>(kFloat64, 16, 1, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
}

TEST(DataParallel, AdamFloat64MatchesOneProcess) {
  expect_equivalent<optim::Adam>(kFloat64, 10, 1, optim::AdamOptions{.lr = 0.01});
}

TEST(DataParallel, AdamFloat32MatchesOneProcess) {
  expect_equivalent<optim::Adam>(kFloat32, 16, 1, optim::AdamOptions{.lr = 0.01});
}

TEST(DataParallel, AccumulationMatchesOneProcess) {
  expect_equivalent<optim::SGD>(kFloat64, 8, 2, optim::SGDOptions{.lr = 0.1, .momentum = 0.5});
}

TEST(DataParallel, TinyBucketsAndNoOverlapGiveTheSameWeights) {
  expect_equivalent<optim::SGD>(kFloat64, 16, 1, optim::SGDOptions{.lr = 0.1},
                                DataParallelOptions{.bucket_cap_mb = 1e-4, .first_bucket_mb = 1e-4});
  expect_equivalent<optim::SGD>(kFloat64, 16, 1, optim::SGDOptions{.lr = 0.1}, DataParallelOptions{.overlap = false});
}

TEST(DataParallel, BucketsStartDuringBackward) {
  manual_seed(1);
  TwoLayer model(kFloat32);
  auto dp = std::make_shared<DataParallel>(model, DataParallelOptions{.bucket_cap_mb = 1e-4, .first_bucket_mb = 1e-4});
  EXPECT_EQ(dp->num_buckets(), 5u);  // one per parameter at this cap
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  train::Stepper stepper(model, opt, {.grad_sync = dp});
  Tensor x = randn({4, 6});
  Tensor y = randint(0, 3, {4}, kInt64);
  stepper([&] { return nn::functional::cross_entropy(model(x), y); });
  // fc2.bias, fc2.weight, fc1.bias, fc1.weight reach their hooks during backward; "unused" never does.
  EXPECT_EQ(dp->buckets_overlapped(), world_size() > 1 ? 4 : 0);
}

// Gradual unfreezing: a layer frozen when DataParallel was made and unfrozen later must be averaged from then on.
TEST(DataParallel, ParametersUnfrozenLaterAreAveragedToo) {
  const auto train = [](bool distributed) {
    manual_seed(rank() == 0 || !distributed ? 5 : 6);
    auto model = std::make_shared<TwoLayer>(kFloat64);
    model->fc1->weight.requires_grad_(false);
    model->fc1->bias.requires_grad_(false);
    optim::SGD opt(model->parameters(), {.lr = 0.1});
    std::shared_ptr<DataParallel> dp;
    if (distributed) dp = std::make_shared<DataParallel>(*model);
    train::Stepper stepper(*model, opt, {.grad_sync = dp});
    Generator gen(3);
    const Tensor x = randn({12, 6}, kFloat64, &gen);
    const Tensor y = randint(0, 3, {12}, kInt64, &gen);
    const int64_t n = distributed ? data::DataLoader::shard_count(12, world_size(), rank()) : 12;
    const int64_t at = distributed ? data::DataLoader::shard_start(12, world_size(), rank()) : 0;
    for (int step = 0; step < 4; ++step) {
      if (step == 2) {
        model->fc1->weight.requires_grad_(true);
        model->fc1->bias.requires_grad_(true);
      }
      if (dp) dp->add_examples(n);
      stepper([&] { return nn::functional::cross_entropy((*model)(x.narrow(0, at, n)), y.narrow(0, at, n)); });
    }
    return model->parameters();
  };
  const auto ref = train(false), dp = train(true);
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_LT(max_abs_diff(ref[i], dp[i]), 1e-12) << "parameter " << i;
}

TEST(ProcessGroup, CollectivesAgree) {
  std::vector<double> v{static_cast<double>(rank()), 1.0};
  all_reduce(v);
  const double n = world_size();
  EXPECT_EQ(v[0], n * (n - 1) / 2);
  EXPECT_EQ(v[1], n);
  std::vector<double> mx{static_cast<double>(rank())};
  all_reduce(mx, ReduceOp::Max);
  EXPECT_EQ(mx[0], n - 1);
  Tensor t = full({3}, static_cast<double>(rank() + 1), kInt64);
  all_reduce(t);
  EXPECT_EQ(t.to_vector<int64_t>(), std::vector<int64_t>(3, static_cast<int64_t>(n * (n + 1) / 2)));
  std::string s = rank() == 0 ? "from rank 0" : "";
  broadcast(s);
  EXPECT_EQ(s, "from rank 0");
  const auto g = all_gather(rank() * 10.0);
  ASSERT_EQ(g.size(), static_cast<size_t>(world_size()));
  for (int r = 0; r < world_size(); ++r) EXPECT_EQ(g[r], r * 10.0);
  barrier();
}

TEST(DataParallel, DecorrelatedStreamsDifferPerRankAndKeepRankZeros) {
  manual_seed(11);
  const std::string before = default_generator().get_state();
  decorrelate_default_generator();
  if (rank() == 0) {
    EXPECT_EQ(default_generator().get_state(), before);
  }
  const auto draws = all_gather(static_cast<double>(default_generator().random64() >> 11));
  for (size_t a = 0; a < draws.size(); ++a)
    for (size_t b = a + 1; b < draws.size(); ++b) EXPECT_NE(draws[a], draws[b]) << "ranks " << a << " and " << b;
}

TEST(ProcessGroup, BadArgumentsAreErrors) {
  Tensor t = randn({4, 4}).transpose(0, 1);
  EXPECT_THROW(all_reduce(t), Error);
  Tensor u = randn({3});
  EXPECT_THROW(broadcast(u, world_size()), Error);
  EXPECT_THROW(set_timeout_seconds(0), Error);
}

TEST(DistributedSampler, ShardsCoverEachGlobalBatchExactlyOnce) {
  // Every shard of every world size: the union of the shards' batches is the one-loader batch, in order.
  auto ds = std::make_shared<data::TensorDataset>(arange(0, 23, 1, kInt64), arange(0, 23, 1, kInt64));
  for (int64_t shards : {1, 2, 3, 4}) {
    data::DataLoaderOptions o;
    o.batch_size = 8;
    o.shuffle = true;
    o.seed = 9;
    o.prefetch = false;
    data::DataLoader whole(ds, o);
    std::vector<std::vector<int64_t>> expected;
    for (const data::Batch& b : whole) expected.push_back(b.input.to_vector<int64_t>());
    std::vector<std::vector<int64_t>> joined(expected.size());
    int64_t examples = 0;
    for (int64_t s = 0; s < shards; ++s) {
      o.num_shards = shards;
      o.shard = s;
      data::DataLoader part(ds, o);
      EXPECT_EQ(part.size(), static_cast<int64_t>(expected.size()));
      size_t i = 0;
      for (const data::Batch& b : part) {
        const auto v = b.input.to_vector<int64_t>();
        joined[i].insert(joined[i].end(), v.begin(), v.end());
        ++i;
      }
      examples += part.num_examples();
    }
    EXPECT_EQ(joined, expected) << shards << " shards";
    EXPECT_EQ(examples, 23);
  }
  // A last batch with fewer examples than shards is left out on every shard.
  data::DataLoaderOptions o;
  o.batch_size = 8;
  o.num_shards = 4;
  o.shard = 1;
  EXPECT_EQ(data::DataLoader(std::make_shared<data::TensorDataset>(zeros({18, 1})), o).size(), 2);
  o.even_shards = false;  // evaluation: the two examples go to shards 0 and 1, the others have a batch fewer
  EXPECT_EQ(data::DataLoader(std::make_shared<data::TensorDataset>(zeros({18, 1})), o).size(), 3);
  o.shard = 2;
  EXPECT_EQ(data::DataLoader(std::make_shared<data::TensorDataset>(zeros({18, 1})), o).size(), 2);
  o.num_shards = 9;
  EXPECT_THROW(data::DataLoader(ds, o), Error);  // a global batch of 8 cannot feed 9 ranks
}

}  // namespace
}  // namespace strata::dist

namespace strata::dist {
namespace {

// A rank that stops taking part (stuck, or gone while its process lives on): the other's collective throws after
// the timeout instead of hanging, and abort() ends the job, the stuck rank included. Run only by ctest
// dist.stuck_rank_np2 (STRATA_DIST_TIMEOUT=2), which expects the abort's message: the job ends in failure by design.
TEST(ProcessGroup, DISABLED_StuckRankTimesOut) {
  if (world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  std::vector<double> v{1.0};
  if (rank() != 0) {
    std::this_thread::sleep_for(std::chrono::seconds(100));  // far beyond ctest's limit: only the abort ends it
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    all_reduce(v);
    ADD_FAILURE() << "the all-reduce returned although rank 1 never joined";
  } catch (const Error& e) {
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(waited, 1.9);
    EXPECT_LT(waited, 3.5);
    EXPECT_THROW(barrier(), Error);  // the group is unusable now
    abort(std::string(e.what()) + (::testing::Test::HasFailure() ? " [test failed]" : " [as expected]"));
  }
}

}  // namespace
}  // namespace strata::dist
