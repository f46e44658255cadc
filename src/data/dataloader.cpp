#include "strata/data/dataloader.h"

#include <omp.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"

namespace strata::data {

namespace {

struct SingleThreaded {
  int prev = omp_get_max_threads();
  SingleThreaded() { omp_set_num_threads(1); }
  ~SingleThreaded() { omp_set_num_threads(prev); }
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;
};

}  // namespace

// One epoch: the visiting order, and (with prefetch) the worker thread and its bounded queue.
struct DataLoader::EpochState {
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };

  DatasetPtr dataset;
  std::vector<int64_t> order;
  int64_t batch_size = 1;
  int64_t num_shards = 1;
  int64_t shard = 0;
  int64_t num_batches = 0;
  int64_t first_batch = 0;  // begin_at(): the batches before it are skipped, never gathered
  int64_t next_to_consume = 0;

  // Prefetch only.
  size_t capacity = 2;
  std::thread worker;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Slot> queue;
  bool stop = false;

  ~EpochState() {
    if (worker.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mu);
        stop = true;
      }
      cv.notify_all();
      worker.join();
    }
  }

  // Gathers batch b (consumer thread without prefetch, worker thread with it).
  // Gathers run single-threaded: a batch is small, and on the worker thread a second OpenMP team would spin
  // against the model's for the same cores. Measured on this (loaded, 2-core) machine: a Fashion-MNIST epoch
  // of batch-128 gathers took 3.8-4.6 s with 2-thread index_select on the main thread, 0.11-0.13 s with one.
  // The setting is per thread and restored afterwards, so the consumer's own ops are unaffected.
  Batch make_batch(int64_t b) const {
    NoGradGuard no_grad;
    SingleThreaded single;
    const int64_t global_start = b * batch_size;
    const int64_t global_count = std::min(batch_size, static_cast<int64_t>(order.size()) - global_start);
    const int64_t start = global_start + DataLoader::shard_start(global_count, num_shards, shard);
    const int64_t count = DataLoader::shard_count(global_count, num_shards, shard);
    std::vector<int64_t> idx(order.begin() + start, order.begin() + start + count);
    Batch batch = dataset->get_batch(from_vector(idx, {count}));
    STRATA_CHECK(batch.input.defined() && batch.input.dim() >= 1 && batch.input.size(0) == count,
                 "[DataLoader] the dataset returned a batch whose input is not (", count, ", ...) for ", count,
                 " indices");
    STRATA_CHECK(!batch.target.defined() || (batch.target.dim() >= 1 && batch.target.size(0) == count),
                 "[DataLoader] the dataset returned a batch whose target is not (", count, ", ...), got shape ",
                 batch.target.shape());
    return batch;
  }

  void run_worker() {
    for (int64_t b = first_batch; b < num_batches; ++b) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || queue.size() < capacity; });
        if (stop) return;
      }
      Slot slot;
      try {
        slot.batch = make_batch(b);
      } catch (...) {
        slot.error = std::current_exception();
      }
      const bool failed = slot.error != nullptr;
      {
        std::lock_guard<std::mutex> lock(mu);
        queue.push_back(std::move(slot));
      }
      cv.notify_all();
      if (failed) return;
    }
  }

  void start_worker() {
    worker = std::thread([this] { run_worker(); });
  }

  // The next batch in order; rethrows the worker's exception for the batch that failed.
  Batch next() {
    const int64_t b = next_to_consume++;
    if (!worker.joinable()) return make_batch(b);
    Slot slot;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return !queue.empty(); });
      slot = std::move(queue.front());
      queue.pop_front();
    }
    cv.notify_all();
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.batch);
  }
};

DataLoader::Iterator::Iterator(std::shared_ptr<EpochState> state)
    : state_(std::move(state)), index_(state_->first_batch - 1), done_(false) {
  fetch();
}

void DataLoader::Iterator::fetch() {
  ++index_;
  if (index_ >= state_->num_batches) {
    done_ = true;
    current_ = Batch();
    state_.reset();  // joins the worker
    return;
  }
  try {
    current_ = state_->next();
  } catch (...) {
    done_ = true;
    current_ = Batch();
    state_.reset();
    throw;
  }
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  STRATA_CHECK(!done_, "[DataLoader] ++ on an iterator past the last batch");
  fetch();
  return *this;
}

DataLoader::DataLoader(DatasetPtr dataset, const DataLoaderOptions& options)
    : dataset_(std::move(dataset)), options_(options) {
  STRATA_CHECK(dataset_ != nullptr, "[DataLoader] null dataset");
  STRATA_CHECK(options_.batch_size >= 1, "[DataLoader] batch_size must be at least 1, got ", options_.batch_size);
  STRATA_CHECK(options_.num_shards >= 1 && options_.shard >= 0 && options_.shard < options_.num_shards,
               "[DataLoader] shard must be in [0, num_shards), got shard ", options_.shard, " of ",
               options_.num_shards);
  STRATA_CHECK(options_.batch_size >= options_.num_shards, "[DataLoader] batch_size ", options_.batch_size,
               " is the global batch and must be at least the number of shards (", options_.num_shards,
               "): every process needs at least one example per batch");
  STRATA_CHECK(options_.prefetch_depth >= 1, "[DataLoader] prefetch_depth must be at least 1, got ",
               options_.prefetch_depth);
  generator_.manual_seed(options_.seed ? *options_.seed : default_generator().random64());
}

DataLoader::DataLoader(DatasetPtr dataset, int64_t batch_size, bool shuffle, std::optional<uint64_t> seed,
                       bool drop_last, bool prefetch)
    : DataLoader(std::move(dataset), DataLoaderOptions{batch_size, shuffle, seed, drop_last, prefetch, 2}) {}

int64_t DataLoader::size() const {
  const int64_t n = dataset_->size();
  const int64_t b = options_.batch_size;
  // Not (n + b - 1) / b: that overflows for a batch_size near INT64_MAX.
  const int64_t rest = n % b;
  const bool keep_last = !options_.drop_last && rest > 0 &&
                         (rest >= options_.num_shards || (!options_.even_shards && options_.shard < rest));
  return n / b + (keep_last ? 1 : 0);
}

int64_t DataLoader::shard_count(int64_t count, int64_t num_shards, int64_t shard) {
  return count / num_shards + (shard < count % num_shards ? 1 : 0);
}

int64_t DataLoader::shard_start(int64_t count, int64_t num_shards, int64_t shard) {
  return shard * (count / num_shards) + std::min(shard, count % num_shards);
}

int64_t DataLoader::num_examples() const {
  const int64_t n = dataset_->size(), b = options_.batch_size, s = options_.num_shards, r = options_.shard;
  int64_t total = (n / b) * shard_count(b, s, r);
  if (size() > n / b) total += shard_count(n % b, s, r);
  return total;
}

DataLoader::Iterator DataLoader::begin() { return begin_at(0); }

DataLoader::Iterator DataLoader::begin_at(int64_t first_batch) {
  STRATA_CHECK(first_batch >= 0 && first_batch <= size(), "[DataLoader] begin_at(", first_batch,
               "): expected a batch index in [0, ", size(), "]");
  auto state = std::make_shared<EpochState>();
  state->dataset = dataset_;
  state->batch_size = options_.batch_size;
  state->num_shards = options_.num_shards;
  state->shard = options_.shard;
  state->num_batches = size();
  state->capacity = static_cast<size_t>(options_.prefetch_depth);
  state->first_batch = first_batch;
  state->next_to_consume = first_batch;
  const int64_t n = dataset_->size();
  // PyTorch's per-epoch draws (see the header): base seed, then RandomSampler's two randperm calls.
  (void)generator_.random64();
  if (options_.shuffle) {
    state->order = randperm(n, &generator_).to_vector<int64_t>();
    (void)randperm(n, &generator_);
  } else {
    state->order.resize(static_cast<size_t>(n));
    std::iota(state->order.begin(), state->order.end(), int64_t{0});
  }
  ++epochs_started_;
  if (options_.prefetch && state->num_batches > first_batch) state->start_worker();
  return Iterator(std::move(state));
}

}  // namespace strata::data
