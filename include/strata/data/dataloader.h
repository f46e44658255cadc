#pragma once
// DataLoader: iterates a Dataset in batches, optionally shuffled, with a background thread that prepares the
// next batches while the model trains on the current one.
//
//   data::DataLoader loader(train_set, /*batch_size=*/64, /*shuffle=*/true, /*seed=*/0);
//   for (int epoch = 0; epoch < 3; ++epoch)
//     for (const data::Batch& b : loader) { ... b.input (64, 1, 28, 28), b.target (64) ... }
//
// Shuffling: the loader owns one Generator seeded with `seed` at construction. Each epoch (each begin())
// draws from it exactly as torch.utils.data.DataLoader(dataset, batch_size, shuffle=True,
// generator=torch.Generator().manual_seed(seed)) does with num_workers=0: a 64-bit base-seed draw, then
// randperm(size) for the order, then a second randperm(size) that RandomSampler computes and discards. So
// epoch e visits the examples in the same order as PyTorch's e-th epoch, and the same seed gives the same
// epochs in every run. To resume mid-training, save and restore generator().get_state() between epochs.
//
// Prefetch: a std::thread gathers up to `prefetch_depth` batches ahead into a bounded queue. Leaving the loop
// early (break, exception) stops and joins the thread when the iterator goes out of scope. An exception thrown
// while preparing a batch (by the dataset, a transform, ...) is rethrown in the consuming thread by the
// begin() or ++ that reaches that batch. Datasets must allow get()/get_batch() from another thread.
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>

#include "strata/core/generator.h"
#include "strata/data/dataset.h"

namespace strata::data {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  // Seed of the shuffling generator; nullopt draws one from the default generator (so manual_seed applies).
  std::optional<uint64_t> seed;
  // Drop the last batch when it would be smaller than batch_size.
  bool drop_last = false;
  // Prepare batches on a background thread; false gathers each batch in the consumer's ++.
  bool prefetch = true;
  // How many prepared batches the background thread may hold ahead of the consumer (>= 1).
  int64_t prefetch_depth = 2;
  // Data-parallel training (dist/data_parallel.h): this loader is shard `shard` of `num_shards` (rank of world
  // size). Every shard draws the same order from the same seed; batch_size stays the global batch, and each shard
  // gets its contiguous slice of every global batch (sizes differing by at most one), so the union over the shards
  // is exactly the epoch one loader would visit, batch for batch. A last batch with fewer examples than shards
  // cannot give every shard one: with even_shards it is left out on every shard, so that all shards have the same
  // number of batches (training: the ranks step together); without (evaluation), the shards it cannot feed just
  // have one batch fewer.
  int64_t num_shards = 1;
  int64_t shard = 0;
  bool even_shards = true;
};

class DataLoader {
 public:
  struct EpochState;

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;

    Iterator() = default;
    const Batch& operator*() const { return current_; }
    const Batch* operator->() const { return &current_; }
    Iterator& operator++();
    bool operator==(std::default_sentinel_t) const { return done_; }
    // Index of the current batch in this epoch.
    int64_t index() const { return index_; }

   private:
    friend class DataLoader;
    explicit Iterator(std::shared_ptr<EpochState> state);
    void fetch();

    std::shared_ptr<EpochState> state_;
    Batch current_;
    int64_t index_ = -1;
    bool done_ = true;
  };

  DataLoader(DatasetPtr dataset, const DataLoaderOptions& options);
  DataLoader(DatasetPtr dataset, int64_t batch_size, bool shuffle = false, std::optional<uint64_t> seed = std::nullopt,
             bool drop_last = false, bool prefetch = true);

  // Starts a new epoch (advancing the shuffling generator) and returns its first batch.
  Iterator begin();
  // begin() that skips the epoch's first `first_batch` batches without gathering them: the same order is drawn,
  // and the iterator's index() starts at first_batch (exact resume in the middle of an epoch). 0 <= first_batch
  // <= size(); at size() the epoch is empty.
  Iterator begin_at(int64_t first_batch);
  std::default_sentinel_t end() const { return {}; }

  // Batches per epoch: ceil(N / batch_size), or floor with drop_last (or when sharded and the last batch is
  // smaller than num_shards).
  int64_t size() const;
  // Examples visited per epoch (by this shard).
  int64_t num_examples() const;
  // Examples of a global batch of `count` that shard `shard` takes, and where its slice starts.
  static int64_t shard_count(int64_t count, int64_t num_shards, int64_t shard);
  static int64_t shard_start(int64_t count, int64_t num_shards, int64_t shard);
  int64_t epochs_started() const { return epochs_started_; }
  const DataLoaderOptions& options() const { return options_; }
  const DatasetPtr& dataset() const { return dataset_; }
  // The shuffling generator (its state decides the next epoch's order).
  Generator& generator() { return generator_; }

 private:
  DatasetPtr dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  int64_t epochs_started_ = 0;
};

}  // namespace strata::data
