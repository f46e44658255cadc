// dist::DataParallel: bucketed gradient all-reduce started from the parameters' post-accumulate hooks.
#include "strata/dist/data_parallel.h"

#include <algorithm>
#include <unordered_set>

#include "strata/autograd/grad_mode.h"
#include "strata/autograd/post_accumulate_hook.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/core/profile.h"
#include "strata/ops/indexing.h"

namespace strata::dist {

namespace {

// Every rank must build the same model: compare the count and total size of the tensors first, so that a mismatch
// is an error naming both instead of a broadcast that mixes up tensors.
void check_same_everywhere(const std::vector<Tensor>& tensors, const char* what) {
  double numel = 0;
  for (const Tensor& t : tensors) numel += static_cast<double>(t.numel());
  std::vector<double> mine{static_cast<double>(tensors.size()), numel};
  std::vector<double> lo = mine, hi = mine;
  all_reduce(lo, ReduceOp::Min);
  all_reduce(hi, ReduceOp::Max);
  STRATA_CHECK(lo == hi, "[DataParallel] the ranks' models differ: ", what, " counts range over ", lo[0], "..", hi[0],
               " tensors and ", lo[1], "..", hi[1], " values (rank ", rank(), " has ", mine[0], " and ", mine[1],
               "); every rank must build the same model");
}

}  // namespace

DataParallel::DataParallel(nn::Module& model, DataParallelOptions options)
    : model_(model), options_(options), distributed_(world_size() > 1) {
  STRATA_CHECK(options_.bucket_cap_mb > 0 && options_.first_bucket_mb > 0,
               "[DataParallel] bucket sizes must be > 0 MB, got bucket_cap_mb ", options_.bucket_cap_mb,
               " and first_bucket_mb ", options_.first_bucket_mb);
  if (distributed_) {
    const profile::Scope prof(profile::Kind::Phase, "broadcast parameters");
    check_same_everywhere(model.parameters(), "parameter");
    check_same_everywhere(model.buffers(), "buffer");
    NoGradGuard no_grad;
    for (Tensor p : model.parameters()) broadcast(p, 0);
    broadcast_buffers();
  }
  build_buckets();
}

std::vector<Tensor> DataParallel::trainable_parameters() const {
  std::vector<Tensor> out;
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& [name, p] : model_.named_parameters()) {
    if (!p.requires_grad() || !seen.insert(p.impl()).second) continue;
    STRATA_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, "[DataParallel] parameter '", name, "' is ", p.dtype(),
                 ": data-parallel training averages float32 and float64 parameters");
    STRATA_CHECK(p.is_contiguous(), "[DataParallel] parameter '", name, "' is not contiguous");
    out.push_back(p);
  }
  return out;
}

void DataParallel::build_buckets() {
  remove_hooks();
  params_.clear();
  buckets_.clear();
  const std::vector<Tensor> trainable = trainable_parameters();
  trainable_ids_.clear();
  for (const Tensor& p : trainable) trainable_ids_.push_back(p.impl());
  // Buckets: reverse registration order, one dtype per bucket.
  const auto cap_bytes = [&](size_t bucket_index) {
    return (bucket_index == 0 ? options_.first_bucket_mb : options_.bucket_cap_mb) * 1024.0 * 1024.0;
  };
  for (DType dt : {kFloat32, kFloat64}) {
    double bytes = 0;
    bool open = false;
    for (auto it = trainable.rbegin(); it != trainable.rend(); ++it) {
      if (it->dtype() != dt) continue;
      const double pbytes = static_cast<double>(it->numel()) * static_cast<double>(it->itemsize());
      if (!open || (bytes > 0 && bytes + pbytes > cap_bytes(buckets_.size() - 1))) {
        buckets_.emplace_back();
        bytes = 0;
        open = true;
      }
      Param prm;
      prm.tensor = *it;
      prm.bucket = buckets_.size() - 1;
      prm.numel = it->numel();
      buckets_.back().params.push_back(params_.size());
      params_.push_back(std::move(prm));
      bytes += pbytes;
    }
  }
  for (Bucket& b : buckets_) {
    int64_t n = 0;
    for (size_t i : b.params) {
      params_[i].offset = n;
      n += params_[i].numel;
    }
    for (size_t i : b.params) params_[i].flag = n++;
    b.buffer = Tensor::empty({n}, params_[b.params[0]].tensor.dtype());
  }
  if (!distributed_) return;
  for (size_t i = 0; i < params_.size(); ++i) {
    params_[i].hook =
        autograd::register_post_accumulate_grad_hook(params_[i].tensor, [this, i](const Tensor&) { on_grad_ready(i); });
  }
}

void DataParallel::remove_hooks() {
  for (Param& p : params_) {
    if (p.hook != 0) autograd::remove_post_accumulate_grad_hook(p.tensor, p.hook);
    p.hook = 0;
  }
}

// Rank 0's buffers to every rank, one broadcast per dtype (a model with batch norm has three buffers per layer).
void DataParallel::broadcast_buffers() {
  NoGradGuard no_grad;
  std::vector<Tensor> bufs;
  for (const Tensor& b : model_.buffers())
    if (b.numel() > 0) bufs.push_back(b);
  std::vector<DType> dtypes;
  for (const Tensor& b : bufs)
    if (std::find(dtypes.begin(), dtypes.end(), b.dtype()) == dtypes.end()) dtypes.push_back(b.dtype());
  for (DType dt : dtypes) {
    TensorList parts;
    for (const Tensor& b : bufs)
      if (b.dtype() == dt) parts.push_back(b.reshape({b.numel()}));
    Tensor flat = parts.size() == 1 ? parts[0].clone() : cat(parts, 0);
    broadcast(flat, 0);
    int64_t offset = 0;
    for (Tensor b : bufs) {
      if (b.dtype() != dt) continue;
      b.copy_(flat.narrow(0, offset, b.numel()).view(b.shape()));
      offset += b.numel();
    }
  }
}

DataParallel::~DataParallel() { remove_hooks(); }

int64_t DataParallel::bytes_per_step() const {
  int64_t bytes = 0;
  for (const Bucket& b : buckets_) bytes += b.buffer.numel() * static_cast<int64_t>(b.buffer.itemsize());
  return bytes;
}

void DataParallel::add_examples(int64_t n) { examples_ += static_cast<double>(n); }

void DataParallel::before_backward(bool last_micro_batch) {
  if (++micro_batches_ == 1) {
    // A parameter unfrozen (or frozen) since the last step (transfer learning's gradual unfreezing): new buckets.
    // Every rank runs the same schedule, so all rebuild at the same step.
    std::vector<const TensorImpl*> now;
    for (const Tensor& p : model_.parameters())
      if (p.requires_grad() && std::find(now.begin(), now.end(), p.impl()) == now.end()) now.push_back(p.impl());
    std::vector<const TensorImpl*> had = trainable_ids_;
    std::sort(now.begin(), now.end());
    std::sort(had.begin(), had.end());
    if (now != had) build_buckets();
  }
  armed_ = distributed_ && options_.overlap && last_micro_batch;
  if (armed_) {
    // The weight of this rank's gradient: its mean micro-batch size in the group (1 when the loop gave none).
    weight_ = examples_ > 0 ? examples_ / static_cast<double>(micro_batches_) : 1.0;
  }
}

void DataParallel::on_grad_ready(size_t index) {
  if (!armed_) return;
  Param& p = params_[index];
  if (p.ready) return;
  p.ready = true;
  Bucket& b = buckets_[p.bucket];
  if (++b.ready == static_cast<int64_t>(b.params.size())) launch(b);
  // Let the buckets in flight progress (MPI advances non-blocking collectives inside its calls).
  for (Bucket& other : buckets_)
    if (other.work.pending()) other.work.test();
}

void DataParallel::launch(Bucket& b) {
  NoGradGuard no_grad;
  const double w = weight_;
  for (size_t i : b.params) {
    const Param& p = params_[i];
    Tensor slot = b.buffer.narrow(0, p.offset, p.numel);
    const Tensor g = p.tensor.grad();
    Tensor flag = b.buffer.narrow(0, p.flag, 1);
    if (g.defined()) {
      slot.copy_(g.reshape({p.numel}));
      if (w != 1.0) slot.mul_(w);
      flag.fill_(w);
    } else {
      slot.zero_();
      flag.zero_();
    }
  }
  b.launched = true;
  if (armed_) ++overlapped_now_;
  b.work = all_reduce_async(b.buffer, ReduceOp::Sum);
}

void DataParallel::synchronize() {
  if (!distributed_) {
    reset_step();
    return;
  }
  if (!armed_) weight_ = examples_ > 0 ? examples_ / static_cast<double>(std::max<int64_t>(1, micro_batches_)) : 1.0;
  armed_ = false;
  NoGradGuard no_grad;
  overlapped_ = overlapped_now_;
  for (Bucket& b : buckets_)
    if (!b.launched) launch(b);
  for (Bucket& b : buckets_) {
    b.work.wait();
    for (size_t i : b.params) {
      Param& p = params_[i];
      // The flag summed the weights of the ranks that had a gradient: the divisor of their weighted mean.
      const double divisor = b.buffer.narrow(0, p.flag, 1).item();
      if (divisor <= 0) continue;  // no rank has a gradient for it
      Tensor avg = b.buffer.narrow(0, p.offset, p.numel).view(p.tensor.shape());
      Tensor g = p.tensor.grad();
      if (g.defined() && g.is_contiguous() && g.dtype() == p.tensor.dtype()) {
        g.copy_(avg);
        g.div_(divisor);
      } else {
        p.tensor.set_grad(avg.clone().div_(divisor));
      }
    }
  }
  if (options_.broadcast_buffers) broadcast_buffers();
  reset_step();
}

void DataParallel::reset_step() {
  for (Param& p : params_) p.ready = false;
  for (Bucket& b : buckets_) {
    b.ready = 0;
    b.launched = false;
  }
  armed_ = false;
  overlapped_now_ = 0;
  examples_ = 0;
  micro_batches_ = 0;
}

void DataParallel::sum(std::vector<double>& values) { all_reduce(values, ReduceOp::Sum); }

void decorrelate_default_generator() {
  if (world_size() <= 1) return;
  std::string state = default_generator().get_state();
  broadcast(state, 0);
  if (rank() == 0) return;
  Generator g;
  g.set_state(state);
  // A different seed per rank (the golden-ratio constant spreads consecutive ranks across the 64 bits).
  default_generator().manual_seed(g.random64() ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(rank())));
}

}  // namespace strata::dist
