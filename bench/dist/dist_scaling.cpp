// Data-parallel scaling (docs/distributed_scaling.md; bench/dist_scaling.py runs it against PyTorch DDP).
//
//   strata_dist_scaling --model mlp|lenet|resnet_small|gpt [--segments 5] [--segment-time 1] [--no-sync]
//   mpirun -np 2 --bind-to none -x OMP_NUM_THREADS=1 strata_dist_scaling --model mlp
//   mpirun -np 2 --bind-to none strata_dist_scaling --allreduce [--max-mb 64]
//
// --model: the training step of strata_bench's twin workload (bench_models.h; the same optimizer and global
// batch), through train::Stepper, with dist::DataParallel as the step's grad_sync when there are several ranks;
// each rank takes its 1/world share of every global batch. Timed in segments that start and end with a barrier;
// rank 0 prints one JSON line with the global throughput of each segment and the median split of a step into
// forward + backward, the gradient synchronisation (DataParallel::synchronize: the wait for the buckets, the
// averages written back) and the rest (the optimizer update). --no-sync drops DataParallel: every rank trains
// its share alone, the ceiling that communication can only lower.
// --allreduce: dist::all_reduce (MPI_Iallreduce + the process group's wait loop) and, for comparison, blocking
// MPI_Allreduce, on float32 buffers of 4 KiB .. --max-mb MiB: microseconds per call and bytes / time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../bench_models.h"
#include "strata/core/threading.h"
#include "strata/data/fashion_mnist.h"
#include "strata/dist/data_parallel.h"
#include "strata/dist/process_group.h"
#include "strata/io/json.h"
#include "strata/optim/adam.h"
#include "strata/optim/sgd.h"
#include "strata/train/step.h"

#ifdef STRATA_HAVE_MPI
#include <mpi.h>
#endif

namespace {

using strata::Tensor;
namespace dist = strata::dist;
namespace nn = strata::nn;
namespace optim = strata::optim;
namespace train = strata::train;
namespace models = strata::bench::models;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Args {
  std::string model;
  bool allreduce = false;
  bool sync = true;
  int segments = 5;
  double segment_seconds = 1.0;
  double warmup_seconds = 0.5;
  double bucket_cap_mb = 25;
  double max_mb = 64;
};

// The grad_sync of the step, timed: synchronize() is where a rank waits for the others' gradients.
class TimedSync final : public train::GradientSync {
 public:
  explicit TimedSync(std::shared_ptr<dist::DataParallel> inner) : inner_(std::move(inner)) {}
  void before_backward(bool last) override { inner_->before_backward(last); }
  void synchronize() override {
    const auto t0 = Clock::now();
    inner_->synchronize();
    seconds_ += seconds_since(t0);
  }
  void add_examples(int64_t n) override { inner_->add_examples(n); }
  void sum(std::vector<double>& values) override { inner_->sum(values); }
  double take_seconds() { return std::exchange(seconds_, 0.0); }

 private:
  std::shared_ptr<dist::DataParallel> inner_;
  double seconds_ = 0;
};

// One benchmark model: its module, optimizer, global batch and the loss of this rank's share of a batch.
struct Workload {
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> opt;
  int64_t global_batch = 0;
  double units_per_sample = 1;  // tokens per sequence for the GPT
  std::string unit = "samples/s";
  std::function<train::LossFn()> next;  // the closure of the next local batch
};

// Fashion-MNIST in memory, a fixed shuffle, and this rank's slice of each global batch.
struct ImageData {
  Tensor x, y, perm;
  int64_t pos = 0;
};

Workload make_workload(const std::string& name) {
  Workload w;
  const int64_t ranks = dist::world_size(), r = dist::rank();
  auto local = [&](int64_t global) {
    STRATA_CHECK(global % ranks == 0, "[dist_scaling] the global batch ", global, " does not split over ", ranks,
                 " ranks");
    return global / ranks;
  };
  if (name == "gpt") {
    const int64_t V = 96, T = 128, B = 16, b = local(B);
    auto m = std::make_shared<models::TinyGPT>(V, T, 128, 4, 4);
    w.model = m;
    optim::AdamOptions o;
    o.lr = 3e-4;
    w.opt = std::make_unique<optim::Adam>(m->parameters(), o);
    w.global_batch = B;
    w.units_per_sample = static_cast<double>(T);
    w.unit = "tokens/s";
    strata::Generator gen(0);  // the same global batch on every rank; each takes its rows
    Tensor data = strata::randint(0, V, {B, T + 1}, strata::TensorOptions(strata::kInt64), &gen);
    Tensor x = data.narrow(0, r * b, b).narrow(1, 0, T).contiguous();
    Tensor y = data.narrow(0, r * b, b).narrow(1, 1, T).contiguous().reshape({b * T});
    w.next = [m, x, y, b, V, T] {
      return train::LossFn([m, x, y, b, V, T] { return strata::cross_entropy(m->forward(x).reshape({b * T, V}), y); });
    };
    return w;
  }
  std::vector<nn::ModulePtr> layers;
  if (name == "mlp") {
    layers = models::mlp_layers();
    w.global_batch = 128;
  } else if (name == "lenet") {
    layers = models::lenet_layers();
    w.global_batch = 64;
  } else if (name == "resnet_small") {
    layers = models::resnet_small_layers();
    w.global_batch = 128;
  } else {
    STRATA_FAIL("[dist_scaling] unknown model '", name, "' (mlp, lenet, resnet_small, gpt)");
  }
  auto m = std::make_shared<nn::Sequential>(layers);
  m->train();
  w.model = m;
  if (name == "lenet") {
    optim::SGDOptions o;
    o.lr = 0.01;
    o.momentum = 0.9;
    w.opt = std::make_unique<optim::SGD>(m->parameters(), o);
  } else {
    optim::AdamOptions o;
    o.lr = 1e-3;
    w.opt = std::make_unique<optim::Adam>(m->parameters(), o);
  }
  auto data = std::make_shared<ImageData>();
  {
    strata::data::FashionMNIST set;
    data->x = set.inputs();
    data->y = set.targets();
    strata::Generator gen(0);
    data->perm = strata::randperm(data->x.size(0), &gen);
  }
  const int64_t B = w.global_batch, b = local(B);
  w.next = [m, data, B, b, r] {
    if (data->pos + B > data->perm.size(0)) data->pos = 0;
    Tensor idx = data->perm.slice(0, data->pos + r * b, data->pos + (r + 1) * b);
    data->pos += B;
    Tensor x = strata::index_select(data->x, 0, idx), y = strata::index_select(data->y, 0, idx);
    return train::LossFn([m, x, y] { return strata::cross_entropy(m->forward(x), y); });
  };
  return w;
}

// The same number on every rank (rank 0's decision).
double agree(double v) {
  std::vector<double> x{dist::rank() == 0 ? v : 0.0};
  dist::all_reduce(x, dist::ReduceOp::Max);
  return x[0];
}

void run_model(const Args& a) {
  Workload w = make_workload(a.model);
  std::shared_ptr<dist::DataParallel> ddp;
  std::shared_ptr<TimedSync> sync;
  train::StepOptions so;
  if (dist::world_size() > 1 && a.sync) {
    dist::DataParallelOptions o;
    o.bucket_cap_mb = a.bucket_cap_mb;
    o.first_bucket_mb = std::min(o.first_bucket_mb, a.bucket_cap_mb);
    ddp = std::make_shared<dist::DataParallel>(*w.model, o);
    sync = std::make_shared<TimedSync>(ddp);
    so.grad_sync = sync;
  }
  train::Stepper stepper(*w.model, *w.opt, so);
  const int64_t local_batch = w.global_batch / dist::world_size();
  double fwd_bwd = 0, rest = 0;
  auto one_step = [&] {
    const train::LossFn loss = w.next();
    if (so.grad_sync) so.grad_sync->add_examples(local_batch);
    const auto t0 = Clock::now();
    stepper.accumulate(loss);
    const auto t1 = Clock::now();
    stepper.step();
    fwd_bwd += std::chrono::duration<double>(t1 - t0).count();
    rest += seconds_since(t1);
  };
  // Warm-up, then calibrate the steps of a segment on rank 0.
  dist::barrier();
  const auto w0 = Clock::now();
  int64_t warm = 0;
  for (bool done = false; !done;) {  // rank 0 decides when, so that every rank runs the same steps
    one_step();
    ++warm;
    done = agree(seconds_since(w0) >= a.warmup_seconds && warm >= 3 ? 1.0 : 0.0) > 0;
  }
  const double per_step = seconds_since(w0) / static_cast<double>(warm);
  const auto steps = static_cast<int64_t>(agree(std::max(2.0, std::ceil(a.segment_seconds / per_step))));
  std::vector<double> throughput, fb_ms, sync_ms, rest_ms;
  for (int s = 0; s < a.segments; ++s) {
    fwd_bwd = rest = 0;
    if (sync) sync->take_seconds();
    dist::barrier();
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < steps; ++i) one_step();
    dist::barrier();
    const double t = seconds_since(t0);
    const double n = static_cast<double>(steps);
    throughput.push_back(n * static_cast<double>(w.global_batch) * w.units_per_sample / t);
    const double sy = sync ? sync->take_seconds() : 0.0;
    fb_ms.push_back(1e3 * fwd_bwd / n);
    sync_ms.push_back(1e3 * sy / n);
    rest_ms.push_back(1e3 * (rest - sy) / n);
  }
  if (!dist::is_main()) return;
  strata::io::Json j = strata::io::Json::object();
  j["type"] = "result";
  j["side"] = "strata";
  j["model"] = a.model;
  j["ranks"] = dist::world_size();
  j["threads"] = strata::get_num_threads();
  j["sync"] = a.sync;
  j["global_batch"] = w.global_batch;
  j["local_batch"] = local_batch;
  j["unit"] = w.unit;
  strata::io::Json seg = strata::io::Json::array();
  for (double v : throughput) seg.push_back(v);
  j["throughput"] = seg;
  j["median"] = median(throughput);
  j["steps_per_segment"] = steps;
  j["fwd_bwd_ms"] = median(fb_ms);
  j["sync_ms"] = median(sync_ms);
  j["update_ms"] = median(rest_ms);
  j["bytes_per_step"] = ddp ? ddp->bytes_per_step() : 0;
  j["buckets"] = ddp ? static_cast<int64_t>(ddp->num_buckets()) : 0;
  j["buckets_overlapped"] = ddp ? ddp->buckets_overlapped() : 0;
  int64_t params = 0;
  for (const Tensor& p : w.model->parameters()) params += p.numel();
  j["parameters"] = params;
  std::cout << j.dump() << std::endl;
}

void run_allreduce(const Args& a) {
  const auto max_bytes = static_cast<int64_t>(a.max_mb * 1024 * 1024);
  for (int64_t bytes = 4096; bytes <= max_bytes; bytes *= 4) {
    Tensor t = strata::ones({bytes / 4});
    for (const char* impl : {"dist::all_reduce", "MPI_Allreduce"}) {
#ifndef STRATA_HAVE_MPI
      if (std::strcmp(impl, "MPI_Allreduce") == 0) continue;
#endif
      auto call = [&] {
        if (impl[0] == 'd') {
          dist::all_reduce(t);
          return;
        }
#ifdef STRATA_HAVE_MPI
        MPI_Allreduce(MPI_IN_PLACE, t.raw_data(), static_cast<int>(t.numel()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
#endif
      };
      for (int i = 0; i < 3; ++i) call();
      dist::barrier();
      const auto c0 = Clock::now();
      for (int i = 0; i < 5; ++i) call();
      const auto calls = static_cast<int64_t>(agree(std::max(5.0, 0.2 / (seconds_since(c0) / 5))));
      std::vector<double> us;
      for (int s = 0; s < a.segments; ++s) {
        dist::barrier();
        const auto t0 = Clock::now();
        for (int64_t i = 0; i < calls; ++i) call();
        us.push_back(1e6 * seconds_since(t0) / static_cast<double>(calls));
      }
      t.fill_(1.0);  // sums of ones grow by the world size per call: keep them finite
      if (!dist::is_main()) continue;
      const double u = median(us);
      const double n = dist::world_size();
      strata::io::Json j = strata::io::Json::object();
      j["type"] = "allreduce";
      j["impl"] = impl;
      j["ranks"] = dist::world_size();
      j["bytes"] = bytes;
      j["us"] = u;
      j["algbw_gbs"] = static_cast<double>(bytes) / (u * 1e-6) / 1e9;
      j["busbw_gbs"] = static_cast<double>(bytes) / (u * 1e-6) / 1e9 * 2 * (n - 1) / n;
      j["calls"] = calls;
      std::cout << j.dump() << std::endl;
    }
  }
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      STRATA_CHECK(i + 1 < argc, "[dist_scaling] ", k, " needs a value");
      return argv[++i];
    };
    if (k == "--model") {
      a.model = val();
    } else if (k == "--allreduce") {
      a.allreduce = true;
    } else if (k == "--no-sync") {
      a.sync = false;
    } else if (k == "--segments") {
      a.segments = std::stoi(val());
    } else if (k == "--segment-time") {
      a.segment_seconds = std::stod(val());
    } else if (k == "--warmup") {
      a.warmup_seconds = std::stod(val());
    } else if (k == "--bucket-mb") {
      a.bucket_cap_mb = std::stod(val());
    } else if (k == "--max-mb") {
      a.max_mb = std::stod(val());
    } else {
      STRATA_FAIL("[dist_scaling] unknown argument '", k, "'");
    }
  }
  STRATA_CHECK(a.allreduce || !a.model.empty(), "[dist_scaling] give --model NAME or --allreduce");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  dist::init();
  try {
    const Args a = parse(argc, argv);
    if (a.allreduce) run_allreduce(a);
    else run_model(a);
  } catch (const std::exception& e) {
    dist::abort(e.what());
  }
  dist::finalize();
  return 0;
}
