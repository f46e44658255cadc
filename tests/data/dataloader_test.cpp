// DataLoader: batch counts, shuffling (against PyTorch's epochs), prefetch, exceptions and early exits.
#include "strata/data/dataloader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "data/test_files.h"
#include "strata/ops/creation.h"

namespace strata::data {
namespace {

using strata::testing::throws_error;

// inputs (n, 3) = row * 10 + {0, 1, 2}, targets (n) = row.
std::shared_ptr<TensorDataset> make_rows(int64_t n) {
  std::vector<float> x;
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) x.push_back(static_cast<float>(10 * i + k));
  std::vector<int64_t> y(static_cast<size_t>(n));
  std::iota(y.begin(), y.end(), int64_t{0});
  return std::make_shared<TensorDataset>(from_vector(x, {n, 3}), from_vector(y, {n}));
}

// The targets of every batch of one epoch.
std::vector<std::vector<int64_t>> epoch_targets(DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (const Batch& b : loader) out.push_back(b.target.to_vector<int64_t>());
  return out;
}

// Counts live instances and calls, and can fail on a chosen batch or sleep to keep the worker busy.
class Probe : public Dataset {
 public:
  explicit Probe(int64_t n, int64_t fail_at_call = -1, int sleep_ms = 0, bool strata_error = false)
      : rows_(make_rows(n)), fail_at_(fail_at_call), sleep_ms_(sleep_ms), strata_error_(strata_error) {}
  int64_t size() const override { return rows_->size(); }
  Example get(int64_t i) const override {
    ++get_calls_;
    return rows_->get(i);
  }
  Batch get_batch(const Tensor& indices) const override {
    const int64_t call = calls_++;
    if (sleep_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    if (call == fail_at_ && strata_error_) STRATA_FAIL("[Probe] strata failure");
    if (call == fail_at_) throw std::runtime_error("probe failure at batch " + std::to_string(call));
    return rows_->get_batch(indices);
  }
  int64_t calls() const { return calls_; }
  int64_t get_calls() const { return get_calls_; }

 private:
  std::shared_ptr<TensorDataset> rows_;
  int64_t fail_at_;
  int sleep_ms_;
  bool strata_error_;
  mutable std::atomic<int64_t> calls_{0};
  mutable std::atomic<int64_t> get_calls_{0};
};

TEST(DataLoader, SequentialBatchesAndCounts) {
  auto ds = make_rows(10);
  for (bool prefetch : {false, true}) {
    DataLoader loader(ds, 4, /*shuffle=*/false, 0, /*drop_last=*/false, prefetch);
    EXPECT_EQ(loader.size(), 3);
    EXPECT_EQ(loader.num_examples(), 10);
    auto e = epoch_targets(loader);
    EXPECT_EQ(e, (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
    int64_t i = 0;
    for (auto it = loader.begin(); it != loader.end(); ++it, ++i) {
      EXPECT_EQ(it.index(), i);
      EXPECT_EQ(it->input.shape(), Shape({i < 2 ? 4 : 2, 3}));
      EXPECT_EQ(it->input.at({0, 2}), 10.0 * 4 * i + 2);
    }
    EXPECT_EQ(i, 3);
  }
}

TEST(DataLoader, DropLastCounts) {
  auto ds = make_rows(10);
  DataLoader a(ds, 4, false, 0, /*drop_last=*/true);
  EXPECT_EQ(a.size(), 2);
  EXPECT_EQ(a.num_examples(), 8);
  EXPECT_EQ(epoch_targets(a), (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  // Exact multiples: drop_last changes nothing.
  DataLoader b(make_rows(8), 4, false, 0, true);
  DataLoader c(make_rows(8), 4, false, 0, false);
  EXPECT_EQ(b.size(), 2);
  EXPECT_EQ(c.size(), 2);
  // Fewer examples than a batch.
  DataLoader d(make_rows(3), 4, true, 0, true);
  EXPECT_EQ(d.size(), 0);
  EXPECT_TRUE(epoch_targets(d).empty());
  DataLoader e(make_rows(3), 4, true, 0, false);
  EXPECT_EQ(e.size(), 1);
  EXPECT_EQ(epoch_targets(e).at(0).size(), 3u);
  // An empty dataset.
  DataLoader f(std::make_shared<TensorDataset>(zeros({0, 3})), 2);
  EXPECT_EQ(f.size(), 0);
  EXPECT_TRUE(f.begin() == f.end());
}

// Expected orders from torch.utils.data.DataLoader(range(n), batch_size, shuffle=True, drop_last,
// generator=torch.Generator().manual_seed(seed)), three and two epochs, PyTorch 1.13 (/usr/bin/python3).
TEST(DataLoader, ShuffleMatchesPyTorchEpochByEpoch) {
  DataLoader loader(make_rows(10), 4, /*shuffle=*/true, /*seed=*/7);
  EXPECT_EQ(epoch_targets(loader), (std::vector<std::vector<int64_t>>{{1, 3, 5, 7}, {9, 4, 6, 2}, {8, 0}}));
  EXPECT_EQ(epoch_targets(loader), (std::vector<std::vector<int64_t>>{{5, 1, 6, 0}, {9, 7, 8, 4}, {3, 2}}));
  EXPECT_EQ(epoch_targets(loader), (std::vector<std::vector<int64_t>>{{4, 3, 2, 8}, {1, 0, 6, 5}, {9, 7}}));
  EXPECT_EQ(loader.epochs_started(), 3);

  DataLoader dl(make_rows(13), 5, true, 123, /*drop_last=*/true);
  EXPECT_EQ(epoch_targets(dl), (std::vector<std::vector<int64_t>>{{7, 0, 5, 2, 4}, {6, 11, 3, 9, 10}}));
  EXPECT_EQ(epoch_targets(dl), (std::vector<std::vector<int64_t>>{{5, 1, 3, 8, 4}, {2, 12, 11, 9, 7}}));
}

TEST(DataLoader, ShuffleIsReproducibleAndResumable) {
  auto ds = make_rows(50);
  DataLoader a(ds, 8, true, 99), b(ds, 8, true, 99), c(ds, 8, true, 100);
  const auto a1 = epoch_targets(a), a2 = epoch_targets(a);
  EXPECT_EQ(a1, epoch_targets(b));
  EXPECT_EQ(a2, epoch_targets(b));
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, epoch_targets(c));
  // Every example once per epoch, inputs matching targets.
  std::vector<int64_t> seen;
  for (const Batch& batch : a) {
    for (int64_t r = 0; r < batch.target.size(0); ++r)
      EXPECT_EQ(batch.input.at({r, 1}), 10.0 * batch.target.at({r}) + 1);
    const auto t = batch.target.to_vector<int64_t>();
    seen.insert(seen.end(), t.begin(), t.end());
  }
  std::sort(seen.begin(), seen.end());
  std::vector<int64_t> all(50);
  std::iota(all.begin(), all.end(), int64_t{0});
  EXPECT_EQ(seen, all);
  // Restoring the generator state replays an epoch.
  DataLoader d(ds, 8, true, 5);
  const std::string state = d.generator().get_state();
  const auto d1 = epoch_targets(d);
  d.generator().set_state(state);
  EXPECT_EQ(epoch_targets(d), d1);
}

TEST(DataLoader, DefaultSeedFollowsManualSeed) {
  auto ds = make_rows(20);
  manual_seed(3);
  DataLoader a(ds, 5, true);
  manual_seed(3);
  DataLoader b(ds, 5, true);
  EXPECT_EQ(epoch_targets(a), epoch_targets(b));
}

TEST(DataLoader, PrefetchGivesTheSameBatches) {
  auto ds = make_rows(37);
  DataLoaderOptions o;
  o.batch_size = 6;
  o.shuffle = true;
  o.seed = 11;
  o.prefetch = false;
  DataLoader sync(ds, o);
  o.prefetch = true;
  DataLoader async(ds, o);
  o.prefetch_depth = 1;
  DataLoader async1(ds, o);
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<Batch> x, y, z;
    for (const Batch& b : sync) x.push_back(b);
    for (const Batch& b : async) y.push_back(b);
    for (const Batch& b : async1) z.push_back(b);
    ASSERT_EQ(x.size(), 7u);
    ASSERT_EQ(y.size(), x.size());
    ASSERT_EQ(z.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].input.to_vector<float>(), y[i].input.to_vector<float>());
      EXPECT_EQ(x[i].target.to_vector<int64_t>(), y[i].target.to_vector<int64_t>());
      EXPECT_EQ(x[i].input.to_vector<float>(), z[i].input.to_vector<float>());
    }
  }
}

TEST(DataLoader, PrefetchQueueIsBounded) {
  auto probe = std::make_shared<Probe>(40, -1, 0);
  DataLoaderOptions o;
  o.batch_size = 4;
  o.prefetch_depth = 2;
  DataLoader loader(probe, o);
  auto it = loader.begin();  // consumed batch 0; the worker may prepare batches 1 and 2
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(probe->calls(), 1 + 2 + 1);  // at most one more in flight when the slot frees
  EXPECT_EQ(it->target.at({0}), 0.0);
}

TEST(DataLoader, WorkerExceptionIsRethrownInTheConsumer) {
  for (bool prefetch : {true, false}) {
    auto probe = std::make_shared<Probe>(20, /*fail_at_call=*/2);
    DataLoader loader(probe, 4, false, 0, false, prefetch);
    int64_t got = 0;
    try {
      for (const Batch& b : loader) {
        (void)b;
        ++got;
      }
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "probe failure at batch 2");
    }
    EXPECT_EQ(got, 2);  // batches 0 and 1 arrived, then the failure
    // The loader is still usable: the next epoch runs from a fresh state (calls continue past the failure).
    EXPECT_EQ(epoch_targets(loader).size(), 5u);
  }
  // A failure on the first batch surfaces from begin(), as a strata::Error.
  auto probe = std::make_shared<Probe>(8, 0, 0, /*strata_error=*/true);
  DataLoader loader(probe, 4);
  EXPECT_TRUE(throws_error([&] { loader.begin(); }, {"[Probe] strata failure"}));
}

TEST(DataLoader, EarlyBreakStopsTheWorker) {
  auto probe = std::make_shared<Probe>(400, -1, /*sleep_ms=*/2);
  DataLoader loader(probe, 4);
  int64_t n = 0;
  for (const Batch& b : loader) {
    (void)b;
    if (++n == 3) break;
  }
  // The iterator (and its worker) is gone: no batch is prepared any more.
  const int64_t calls = probe->calls();
  EXPECT_LE(calls, 3 + 2 + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(probe->calls(), calls);
  // An iterator dropped without reading anything, and the loader destroyed while an iterator lives on.
  { auto it = loader.begin(); }
  auto it = std::make_unique<DataLoader>(probe, 4)->begin();
  EXPECT_EQ(it->target.at({0}), 0.0);
  ++it;
  EXPECT_EQ(it->target.at({0}), 4.0);
}

TEST(DataLoader, BatchesComeFromOneGatherThroughSubsets) {
  auto probe = std::make_shared<Probe>(30);
  auto parts = random_split(probe, {0.5, 0.5}, 3);
  DataLoader loader(parts[1], 4, true, 1);
  int64_t n = 0;
  for (const Batch& b : loader) {
    for (int64_t r = 0; r < b.target.size(0); ++r) EXPECT_EQ(b.input.at({r, 2}), 10.0 * b.target.at({r}) + 2);
    n += b.target.size(0);
  }
  EXPECT_EQ(n, 15);
  EXPECT_EQ(probe->calls(), 4);  // one get_batch per batch
  EXPECT_EQ(probe->get_calls(), 0);
}

TEST(DataLoader, RejectsBadOptions) {
  auto ds = make_rows(4);
  EXPECT_TRUE(throws_error([&] { DataLoader(ds, 0); }, {"[DataLoader]", "batch_size"}));
  DataLoaderOptions o;
  o.prefetch_depth = 0;
  EXPECT_TRUE(throws_error([&] { DataLoader(ds, o); }, {"prefetch_depth"}));
  EXPECT_THROW(DataLoader(nullptr, 2), Error);
  DataLoader loader(ds, 4);
  auto it = loader.begin();
  ++it;
  EXPECT_TRUE(it == loader.end());
  EXPECT_THROW(++it, Error);
}

// (n + b - 1) / b overflowed for a batch_size near INT64_MAX: size() went negative and no batch came out.
TEST(DataLoader, HugeBatchSizeGivesOneBatch) {
  auto ds = make_rows(5);
  for (int64_t b : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max() - 1}) {
    DataLoader loader(ds, b);
    EXPECT_EQ(loader.size(), 1) << b;
    EXPECT_EQ(loader.num_examples(), 5);
    int64_t batches = 0;
    for (const Batch& batch : loader) {
      EXPECT_EQ(batch.input.size(0), 5);
      ++batches;
    }
    EXPECT_EQ(batches, 1);
  }
}

}  // namespace
}  // namespace strata::data
