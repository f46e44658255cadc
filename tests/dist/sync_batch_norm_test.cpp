// dist::convert_sync_batch_norm: N ranks, each with its share of a global batch B (uneven shares included), train
// as one process with batch norm over B (weights and running statistics, float64 to 1e-12, SGD and Adam); without
// the conversion each rank normalises its own share; the synchronised backward gives the slices of the one-process
// input gradient; with one replica the synchronised kernels equal the fused ones bit for bit. Every rank computes
// its one-process reference itself: run alone and under `mpirun -np 2..4`.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "strata/dist/dist.h"
#include "strata/strata.h"

namespace strata::dist {
namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) {
  Tensor d = (a.to(kFloat64) - b.to(kFloat64)).abs();
  return d.numel() == 0 ? 0.0 : d.max().item();
}

// Conv -> BatchNorm2d -> Linear (no biases before batch norm: their gradient is 0 up to rounding, which Adam would
// turn into steps) -> BatchNorm1d (momentum None: the cumulative average) -> Linear.
class BnNet : public nn::Module {
 public:
  explicit BnNet(DType dtype) {
    conv = register_module("conv", std::make_shared<nn::Conv2d>(2, 3, 3, 1, 1, 1, 1, false, dtype));
    bn2 = register_module("bn2", std::make_shared<nn::BatchNorm2d>(3, 1e-5, 0.1, true, true, dtype));
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(3 * 4 * 4, 8, false, dtype));
    bn1 = register_module("bn1", std::make_shared<nn::BatchNorm1d>(8, 1e-5, std::nullopt, true, true, dtype));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(8, 3, true, dtype));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = relu((*bn2)((*conv)(x)));
    h = relu((*bn1)((*fc1)(flatten(h, 1))));
    return (*fc2)(h);
  }
  std::string type_name() const override { return "BnNet"; }
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn2;
  std::shared_ptr<nn::Linear> fc1, fc2;
  std::shared_ptr<nn::BatchNorm1d> bn1;
};

data::DatasetPtr images(int64_t n, uint64_t seed) {
  Generator gen(seed);
  // A mean far from zero: the variance must not come from a sum of squares.
  Tensor x = randn({n, 2, 4, 4}, kFloat64, &gen) * 2.0 + 3.0;
  Tensor y = randint(0, 3, {n}, kInt64, &gen);
  return std::make_shared<data::TensorDataset>(x, y);
}

data::DataLoaderOptions loader_options(int64_t batch, int64_t shards, int64_t shard) {
  data::DataLoaderOptions lo;
  lo.batch_size = batch;
  lo.shuffle = true;
  lo.seed = 4;
  lo.prefetch = false;
  lo.num_shards = shards;
  lo.shard = shard;
  return lo;
}

std::shared_ptr<BnNet> make_model() {
  manual_seed(rank() == 0 ? 11 : 90 + rank());  // DataParallel broadcasts rank 0's weights
  return std::make_shared<BnNet>(kFloat64);
}

std::shared_ptr<BnNet> reference_model() {
  manual_seed(11);
  return std::make_shared<BnNet>(kFloat64);
}

// 27 examples in batches of 10: shares of 10 / N and a last batch of 7 (uneven for N = 2, 3, 4).
constexpr int64_t kExamples = 27, kBatch = 10;

template <class Opt, class OptOptions>
std::vector<Tensor> train_fit(BnNet& model, const OptOptions& oo, bool distributed, bool sync, double bucket_mb) {
  Opt opt(model.parameters(), oo);
  data::DataLoader loader(images(kExamples, 1),
                          distributed ? loader_options(kBatch, world_size(), rank()) : loader_options(kBatch, 1, 0));
  train::FitOptions fo;
  fo.epochs = 2;
  if (distributed) {
    if (sync) {
      EXPECT_EQ(convert_sync_batch_norm(model), 2);
    }
    // Each rank's running statistics must agree without rank 0's being broadcast. Tiny buckets: gradient
    // all-reduces in flight while the batch norms' backward sums run.
    fo.grad_sync = std::make_shared<DataParallel>(
        model,
        DataParallelOptions{.bucket_cap_mb = bucket_mb, .first_bucket_mb = bucket_mb, .broadcast_buffers = false});
  }
  train::fit(model, nn::CrossEntropyLoss(), opt, loader, fo);
  std::vector<Tensor> state = model.parameters();
  for (const Tensor& b : model.buffers()) state.push_back(b);
  return state;
}

template <class Opt, class OptOptions>
void expect_sync_matches_one_process(const OptOptions& oo, double bucket_mb = 25) {
  auto ref_model = reference_model();
  const auto ref = train_fit<Opt>(*ref_model, oo, false, false, bucket_mb);
  auto model = make_model();
  const auto got = train_fit<Opt>(*model, oo, true, true, bucket_mb);
  ASSERT_EQ(ref.size(), got.size());
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_LT(max_abs_diff(ref[i], got[i]), 1e-12) << "tensor " << i << " on rank " << rank();
  // The weights moved, and the running statistics left their initial values.
  EXPECT_GT(max_abs_diff(ref_model->bn1->running_var, ones({8}, kFloat64)), 1e-3);
  EXPECT_EQ(model->bn1->num_batches_tracked.item(), 6);
}

TEST(SyncBatchNorm, SgdMatchesOneProcessOnTheGlobalBatch) {
  expect_sync_matches_one_process<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
}

TEST(SyncBatchNorm, AdamMatchesOneProcessOnTheGlobalBatch) {
  expect_sync_matches_one_process<optim::Adam>(optim::AdamOptions{.lr = 0.01}, 1e-4);
}

// Without the conversion each rank normalises its own share: one process that runs the forward on every share
// separately and weighs the shares' mean losses by their examples takes the same steps. The running statistics
// are rank 0's (DataParallel broadcasts them), so the reference keeps those of share 0.
TEST(SyncBatchNorm, UnconvertedBatchNormUsesEachRanksShare) {
  const optim::SGDOptions oo{.lr = 0.1, .momentum = 0.9};
  // A last batch of 8: every share of up to 4 ranks has 2 examples or more (BatchNorm1d needs 2 per rank here).
  constexpr int64_t kEvenExamples = 28;
  auto model = make_model();
  {
    optim::SGD opt(model->parameters(), oo);
    data::DataLoader loader(images(kEvenExamples, 1), loader_options(kBatch, world_size(), rank()));
    train::FitOptions fo;
    fo.epochs = 2;
    fo.grad_sync = std::make_shared<DataParallel>(*model);
    train::fit(*model, nn::CrossEntropyLoss(), opt, loader, fo);
  }
  auto ref = reference_model();
  optim::SGD opt(ref->parameters(), oo);
  const int64_t shards = world_size();
  std::vector<std::unique_ptr<data::DataLoader>> loaders;  // one per share; each begin() draws the next epoch
  for (int64_t s = 0; s < shards; ++s)
    loaders.push_back(std::make_unique<data::DataLoader>(images(kEvenExamples, 1), loader_options(kBatch, shards, s)));
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<std::vector<data::Batch>> parts(static_cast<size_t>(shards));
    for (int64_t s = 0; s < shards; ++s)
      for (const data::Batch& b : *loaders[static_cast<size_t>(s)]) parts[static_cast<size_t>(s)].push_back(b);
    for (size_t step = 0; step < parts[0].size(); ++step) {
      opt.zero_grad();
      int64_t total = 0;
      for (const auto& p : parts) total += p[step].input.size(0);
      Tensor loss;
      std::vector<Tensor> rank0_stats;
      for (size_t s = 0; s < parts.size(); ++s) {
        const data::Batch& b = parts[s][step];
        Tensor l = nn::functional::cross_entropy((*ref)(b.input), b.target) *
                   (static_cast<double>(b.input.size(0)) / static_cast<double>(total));
        loss = loss.defined() ? loss + l : l;
        if (s == 0)
          for (const Tensor& buf : ref->buffers()) rank0_stats.push_back(buf.clone());
      }
      loss.backward();
      opt.step();
      NoGradGuard no_grad;
      auto bufs = ref->buffers();
      for (size_t i = 0; i < bufs.size(); ++i) bufs[i].copy_(rank0_stats[i]);
    }
  }
  const auto a = ref->parameters(), b = model->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_LT(max_abs_diff(a[i], b[i]), 1e-12) << "parameter " << i;
  const auto ra = ref->buffers(), rb = model->buffers();
  for (size_t i = 0; i < ra.size(); ++i) EXPECT_LT(max_abs_diff(ra[i], rb[i]), 1e-12) << "buffer " << i;
  EXPECT_FALSE(model->bn1->synchronized());
}

// The synchronised backward: this rank's slice of a global batch (shares differing by one) gives, scaled by its share,
// the slice of the one-process input gradient, and the example-weighted mean of the parameter gradients is the
// one-process one. BatchNorm1d on (N, C, L) input, with and without affine parameters.
TEST(SyncBatchNorm, BackwardGivesTheSliceOfTheOneProcessGradient) {
  constexpr int64_t B = 7;
  Generator gen(3);
  const Tensor x_all = randn({B, 3, 5}, kFloat64, &gen) + 1.0;
  const Tensor u_all = randn({B, 3, 4}, kFloat64, &gen);  // weights of the loss, per element
  auto build = [] {
    manual_seed(8);
    auto seq = std::make_shared<nn::Sequential>();
    seq->push_back(std::make_shared<nn::BatchNorm1d>(3, 1e-5, 0.1, true, true, kFloat64));
    seq->push_back(std::make_shared<nn::Linear>(5, 4, true, kFloat64));
    seq->push_back(std::make_shared<nn::BatchNorm1d>(3, 1e-5, 0.1, false, true, kFloat64));
    return seq;
  };
  // loss = mean over the examples of sum u * y^2 (a sum of y alone would have no gradient through batch norm).
  auto loss_of = [](const Tensor& y, const Tensor& u) { return (u * y * y).sum() / static_cast<double>(y.size(0)); };
  auto ref = build();
  Tensor xr = x_all.clone().requires_grad_(true);
  loss_of((*ref)(xr), u_all).backward();

  const int64_t n = world_size(), r = rank();
  const int64_t share = B / n + (r < B % n ? 1 : 0), start = r * (B / n) + std::min<int64_t>(r, B % n);
  auto model = build();
  EXPECT_EQ(convert_sync_batch_norm(*model), 2);
  Tensor x = x_all.narrow(0, start, share).clone().requires_grad_(true);
  Tensor y = (*model)(x);
  loss_of(y, u_all.narrow(0, start, share)).backward();
  // This rank's loss is the mean over its share: its gradients are B / share times its part of the global ones.
  const double scale = static_cast<double>(share) / static_cast<double>(B);
  EXPECT_LT(max_abs_diff(x.grad() * scale, xr.grad().narrow(0, start, share)), 1e-12) << "rank " << r;
  const auto ps = model->parameters(), pr = ref->parameters();
  for (size_t i = 0; i < ps.size(); ++i) {
    Tensor g = (ps[i].grad() * scale).contiguous();
    all_reduce(g);
    EXPECT_LT(max_abs_diff(g, pr[i].grad()), 1e-12) << "parameter " << i;
  }
  const auto bs = model->buffers(), br = ref->buffers();
  for (size_t i = 0; i < bs.size(); ++i) EXPECT_LT(max_abs_diff(bs[i], br[i]), 1e-12) << "buffer " << i;
  // Evaluation uses the running statistics, with no collective.
  model->eval();
  ref->eval();
  EXPECT_LT(max_abs_diff((*model)(x), (*ref)(x)), 1e-12);
}

// With one replica (an identity sum) the phased kernels give the fused kernels' results bit for bit.
TEST(SyncBatchNorm, OneReplicaEqualsTheFusedKernelsExactly) {
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Shape& shape : {Shape{6, 5}, Shape{4, 3, 7}, Shape{3, 4, 5, 6}}) {
      Generator gen(21);
      const Tensor x0 = randn(shape, dt, &gen) * 3.0 + 2.0;
      const Tensor dy = randn(shape, dt, &gen);
      const int64_t c = shape[1];
      const Tensor w = randn({c}, dt, &gen), b = randn({c}, dt, &gen);
      auto run = [&](bool sync) {
        auto bn = std::make_shared<nn::BatchNorm1d>(c, 1e-5, 0.1, true, true, dt);
        if (shape.size() == 4) bn = nullptr;
        std::shared_ptr<nn::BatchNormBase> m = bn ? std::static_pointer_cast<nn::BatchNormBase>(bn)
                                                  : std::make_shared<nn::BatchNorm2d>(c, 1e-5, 0.1, true, true, dt);
        {
          NoGradGuard g;
          m->weight.copy_(w);
          m->bias.copy_(b);
        }
        if (sync) m->set_replica_sum([](std::vector<double>&) {});
        EXPECT_EQ(m->synchronized(), sync);
        Tensor x = x0.clone().requires_grad_(true);
        Tensor y = (*m)(x);
        y.backward(dy);
        return std::vector<Tensor>{y, x.grad(), m->weight.grad(), m->bias.grad(), m->running_mean, m->running_var};
      };
      const auto fused = run(false), phased = run(true);
      for (size_t i = 0; i < fused.size(); ++i) {
        EXPECT_EQ(max_abs_diff(fused[i], phased[i]), 0.0) << "tensor " << i << " " << dt << " " << shape;
      }
    }
  }
}

TEST(SyncBatchNorm, ConversionCountsAndChecks) {
  auto model = make_model();
  EXPECT_EQ(convert_sync_batch_norm(*model), 2);
  // Only a distributed world needs sums; one process keeps the fused path.
  EXPECT_EQ(model->bn2->synchronized(), world_size() > 1);
  nn::Linear plain(3, 2);
  EXPECT_EQ(convert_sync_batch_norm(plain), 0);
  // A global batch with one value per channel has no variance: an error on every rank (none waits for the others).
  nn::BatchNorm1d bn(4, 1e-5, 0.1, true, true, kFloat64);
  bn.set_replica_sum([](std::vector<double>&) {});
  EXPECT_THROW(bn(randn({1, 4}, kFloat64)), Error);
  // Yet one example on this rank is fine when the global batch has more.
  bn.set_replica_sum([](std::vector<double>& v) {
    for (double& e : v) e *= 2;  // as if a second rank held the same example
  });
  EXPECT_NO_THROW(bn(randn({1, 4}, kFloat64)));
}

}  // namespace
}  // namespace strata::dist
