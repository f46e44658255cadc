#pragma once
// Data-parallel training (PyTorch's DistributedDataParallel): every rank holds the whole model, trains on its
// share of each global batch, and the gradients are averaged over the ranks before every update, so all ranks
// take the same step and keep the same weights.
//
//   dist::init();
//   auto model = build_model();
//   auto ddp = std::make_shared<dist::DataParallel>(*model);   // rank 0's parameters and buffers to every rank
//   train::FitOptions opt;
//   opt.grad_sync = ddp;                                        // the training step synchronises through it
//   data::DataLoaderOptions lo{.batch_size = 256, .shuffle = true, .seed = 0,
//                              .num_shards = dist::world_size(), .shard = dist::rank()};  // 256 is the global batch
//   train::fit(*model, loss, optimizer, loader, opt);
//
// How (train/grad_sync.h is the seam): parameters are packed, in reverse registration order (the order backward
// finishes them), into buckets of at most bucket_cap_mb (the first of first_bucket_mb). A hook on each parameter
// runs when its .grad is complete (autograd/post_accumulate_hook.h); when a bucket's last parameter is ready the
// bucket's all-reduce starts while backward goes on with the layers below. step() waits for the buckets and
// writes the averages back into .grad. With gradient accumulation only the group's last micro-batch communicates.
//
// The average is weighted by examples: rank r's gradient (the mean over its n_r examples) enters with weight n_r,
// so a last batch split unevenly still gives the mean over the global batch. A parameter without a gradient on
// every rank keeps none (as in one process); one that has it on some ranks gets their weighted mean.
// Buffers (batch norm's running statistics) are broadcast from rank 0 after every step when broadcast_buffers.
// A parameter frozen or unfrozen during training (gradual unfreezing) is noticed at the next step: the buckets are
// rebuilt on every rank.
// In one process (world size 1) nothing is packed or sent.
#include <cstdint>
#include <vector>

#include "strata/dist/process_group.h"
#include "strata/nn/module.h"
#include "strata/train/grad_sync.h"

namespace strata::dist {

struct DataParallelOptions {
  double bucket_cap_mb = 25;      // PyTorch DDP's default bucket size
  double first_bucket_mb = 1;     // the first bucket (the last layers') is small, so communication starts early
  bool broadcast_buffers = true;  // rank 0's buffers to every rank after each step
  bool overlap = true;            // start buckets during backward; false: all of them at step()
};

class DataParallel final : public train::GradientSync {
 public:
  // Broadcasts rank 0's parameters and buffers (an error naming both when the ranks' models differ in size) and
  // registers the gradient hooks. Trainable float32 / float64 parameters only; frozen ones are left out.
  explicit DataParallel(nn::Module& model, DataParallelOptions options = {});
  ~DataParallel() override;
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  void before_backward(bool last_micro_batch) override;
  void synchronize() override;
  void add_examples(int64_t n) override;
  void sum(std::vector<double>& values) override;
  bool is_main() const override { return rank() == 0; }

  size_t num_buckets() const { return buckets_.size(); }
  // Gradient bytes each rank sends into the all-reduces of one step (the buckets, with their flags).
  int64_t bytes_per_step() const;
  // Buckets of the last step whose all-reduce started during backward (the rest started at step()).
  int64_t buckets_overlapped() const { return overlapped_; }
  const DataParallelOptions& options() const { return options_; }

 private:
  struct Param {
    Tensor tensor;
    size_t bucket = 0;
    int64_t offset = 0;  // in the bucket's buffer
    int64_t numel = 0;
    int64_t flag = 0;  // its flag in the buffer: the rank's weight when it has a gradient, else 0
    int64_t hook = 0;
    bool ready = false;
  };
  struct Bucket {
    std::vector<size_t> params;
    Tensor buffer;  // gradients * weight, then one flag per parameter
    int64_t ready = 0;
    bool launched = false;
    Work work;
  };

  std::vector<Tensor> trainable_parameters() const;
  void build_buckets();
  void remove_hooks();
  void broadcast_buffers();
  void on_grad_ready(size_t index);
  void launch(Bucket& b);
  void reset_step();

  nn::Module& model_;
  DataParallelOptions options_;
  std::vector<Param> params_;
  std::vector<Bucket> buckets_;
  std::vector<const TensorImpl*> trainable_ids_;  // the parameters the buckets hold, to notice (un)freezing
  bool distributed_ = false;                      // world size > 1
  bool armed_ = false;                            // the group's last backward is running: buckets may start
  double examples_ = 0;
  int64_t micro_batches_ = 0;
  double weight_ = 1;
  int64_t overlapped_ = 0;
  int64_t overlapped_now_ = 0;
};

// Gives every rank its own stream of the default generator (dropout masks, a VAE's or GAN's noise), derived from
// rank 0's: rank 0 keeps its state, rank r > 0 reseeds from rank 0's next draw mixed with r. Without it each rank
// draws the same numbers for its different examples. A collective: every rank calls it (the CLI does at each epoch's
// start, so a run resumed at an epoch boundary gets the same streams as one that never stopped).
void decorrelate_default_generator();

}  // namespace strata::dist
