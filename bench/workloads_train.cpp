// Training throughput on Fashion-MNIST (twins in bench/torch_bench.py; the baseline models of
// docs/benchmarks.md). The whole training set is preloaded as float32; a step gathers its batch by
// index from a fixed permutation, then one train::Stepper step (zero_grad, forward, cross-entropy, backward,
// optimizer step). The *.train_doctor twins attach the training doctor (overhead in docs/benchmarks.md).
// The *.train_bf16 / *.train_fp16 twins run the same step with train::StepOptions::precision (forward and loss
// under AutocastGuard; fp16 with the Stepper's default GradScaler); PyTorch's bf16 twins use torch.autocast.
// The *.train_deterministic twins run it under strata::DeterministicGuard (torch.use_deterministic_algorithms).
// Metrics: samples/s and the process's peak RSS (MiB).
#include <memory>
#include <vector>

#include "bench.h"
#include "bench_models.h"
#include "strata/data/fashion_mnist.h"
#include "strata/diag/doctor.h"
#include "strata/nn/nn.h"
#include "strata/optim/adam.h"
#include "strata/optim/sgd.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;
namespace nn = strata::nn;
namespace optim = strata::optim;

// One training set in memory and a cursor over a fixed shuffle of it.
class Batches {
 public:
  explicit Batches(int64_t batch) : batch_(batch) {
    strata::data::FashionMNIST train;
    x_ = train.inputs();
    y_ = train.targets();
    strata::Generator gen(0);
    perm_ = strata::randperm(x_.size(0), &gen);
  }
  std::pair<Tensor, Tensor> next() {
    if (pos_ + batch_ > perm_.size(0)) pos_ = 0;
    Tensor idx = perm_.slice(0, pos_, pos_ + batch_);
    pos_ += batch_;
    return {strata::index_select(x_, 0, idx), strata::index_select(y_, 0, idx)};
  }

 private:
  int64_t batch_;
  int64_t pos_ = 0;
  Tensor x_, y_, perm_;
};

// One train::Stepper step per batch, with the callback points fit() has (on_train_begin once; on_batch_begin,
// the step's on_after_backward / on_before_step, on_batch_end every batch; on_epoch_end every 60,000 samples).
// With `doctor`, a diag::Doctor (default options, silent) is the one callback: the *.train_doctor workloads
// measure its overhead against the same loop without it.
void train_throughput(strata::bench::Context& ctx, nn::Module& model, optim::Optimizer& opt, int64_t batch,
                      bool doctor = false, strata::train::Precision precision = strata::train::Precision::FP32) {
  namespace train = strata::train;
  Batches data(batch);
  model.train();
  std::vector<train::CallbackPtr> callbacks;
  if (doctor) {
    strata::diag::DoctorOptions o;
    o.out = nullptr;
    callbacks.push_back(std::make_shared<strata::diag::Doctor>(o));
  }
  train::TrainState st;
  st.model = &model;
  st.optimizer = &opt;
  st.epochs = 1 << 20;
  st.batches_per_epoch = 60000 / batch;
  train::Stepper stepper(st, {.callbacks = callbacks, .precision = precision});
  for (const auto& cb : callbacks) cb->on_train_begin(st);
  train::Logs logs;
  ctx.throughput("samples/s", static_cast<double>(batch), [&](int64_t steps) {
    for (int64_t i = 0; i < steps; ++i) {
      auto [x, y] = data.next();
      st.optimizer_stepped = false;
      for (const auto& cb : callbacks) cb->on_batch_begin(st);
      const train::StepResult r = stepper([&, &x = x, &y = y] { return strata::cross_entropy(model(x), y); });
      st.optimizer_stepped = true;
      logs["batch_loss"] = r.loss;
      logs["lr"] = opt.param_groups()[0].lr();
      for (const auto& cb : callbacks) cb->on_batch_end(st, logs);
      if (++st.batch == st.batches_per_epoch) {
        train::Logs epoch_logs{{"loss", r.loss}};
        for (const auto& cb : callbacks) cb->on_epoch_end(st, epoch_logs);
        st.batch = 0;
        ++st.epoch;
      }
    }
  });
  for (const auto& cb : callbacks) cb->on_train_end(st);
  ctx.peak_rss();
}

namespace models = strata::bench::models;

void mlp(strata::bench::Context& ctx, bool doctor,
         strata::train::Precision precision = strata::train::Precision::FP32) {
  nn::Sequential model(models::mlp_layers());
  optim::AdamOptions o;
  o.lr = 1e-3;
  optim::Adam opt(model.parameters(), o);
  train_throughput(ctx, model, opt, 128, doctor, precision);
}

void lenet(strata::bench::Context& ctx, bool doctor,
           strata::train::Precision precision = strata::train::Precision::FP32) {
  nn::Sequential model(models::lenet_layers());
  optim::SGDOptions o;
  o.lr = 0.01;
  o.momentum = 0.9;
  optim::SGD opt(model.parameters(), o);
  train_throughput(ctx, model, opt, 64, doctor, precision);
}

void resnet(strata::bench::Context& ctx, bool doctor,
            strata::train::Precision precision = strata::train::Precision::FP32) {
  nn::Sequential model(models::resnet_small_layers());
  optim::AdamOptions o;
  o.lr = 1e-3;
  optim::Adam opt(model.parameters(), o);
  train_throughput(ctx, model, opt, 128, doctor, precision);
}

#define MLP_DESC "MLP 784-512-256-10 ReLU, Adam lr 1e-3, batch 128, Fashion-MNIST in memory: one training step"
#define LENET_DESC                                                                                  \
  "LeNet-5 (conv5x5 1-6 pad 2, pool, conv5x5 6-16, pool, fc 120-84-10), SGD lr 0.01 momentum 0.9, " \
  "batch 64, Fashion-MNIST in memory: one training step"
#define RESNET_DESC                                                                                 \
  "small ResNet (conv3x3 1-32 + BN + ReLU, 2 BasicBlocks of 32, BasicBlock 32-64 stride 2, global " \
  "average pool, fc 10), Adam lr 1e-3, batch 128, Fashion-MNIST in memory: one training step"
#define BF16_DESC ", under bf16 autocast (StepOptions::precision = BF16)"
#define FP16_DESC ", under fp16 autocast with loss scaling (StepOptions::precision = FP16)"
#define DETERMINISTIC_DESC ", in deterministic mode (strata::set_deterministic)"
#define DOCTOR_DESC ", with a diag::Doctor attached (default options: samples every 10 steps)"

STRATA_BENCHMARK(mlp_train, "mlp.train", MLP_DESC) { mlp(ctx, false); }
STRATA_BENCHMARK(mlp_train_doctor, "mlp.train_doctor", MLP_DESC DOCTOR_DESC) { mlp(ctx, true); }
STRATA_BENCHMARK(lenet_train, "lenet.train", LENET_DESC) { lenet(ctx, false); }
STRATA_BENCHMARK(lenet_train_doctor, "lenet.train_doctor", LENET_DESC DOCTOR_DESC) { lenet(ctx, true); }
STRATA_BENCHMARK(resnet_train, "resnet.train", RESNET_DESC) { resnet(ctx, false); }
STRATA_BENCHMARK(resnet_train_doctor, "resnet.train_doctor", RESNET_DESC DOCTOR_DESC) { resnet(ctx, true); }
STRATA_BENCHMARK(mlp_train_deterministic, "mlp.train_deterministic", MLP_DESC DETERMINISTIC_DESC) {
  const strata::DeterministicGuard on(true);
  mlp(ctx, false);
}
STRATA_BENCHMARK(lenet_train_deterministic, "lenet.train_deterministic", LENET_DESC DETERMINISTIC_DESC) {
  const strata::DeterministicGuard on(true);
  lenet(ctx, false);
}
STRATA_BENCHMARK(resnet_train_deterministic, "resnet.train_deterministic", RESNET_DESC DETERMINISTIC_DESC) {
  const strata::DeterministicGuard on(true);
  resnet(ctx, false);
}

// Batch-1 inference latency of the same LeNet in eval mode (the twin runs under inference_mode when tuned).
STRATA_BENCHMARK(lenet_infer_b1, "lenet.infer_b1",
                 "LeNet-5 forward on one (1, 1, 28, 28) image, eval, under NoGradGuard (PyTorch: inference_mode)") {
  nn::Sequential model(models::lenet_layers());
  model.eval();
  const Tensor x = strata::randn({1, 1, 28, 28});
  strata::NoGradGuard no_grad;
  ctx.latency("us/forward", 1e6, [&](int64_t calls) {
    for (int64_t i = 0; i < calls; ++i) Tensor y = model(x);
  });
}

STRATA_BENCHMARK(mlp_train_bf16, "mlp.train_bf16", MLP_DESC BF16_DESC) {
  mlp(ctx, false, strata::train::Precision::BF16);
}
STRATA_BENCHMARK(mlp_train_fp16, "mlp.train_fp16", MLP_DESC FP16_DESC) {
  mlp(ctx, false, strata::train::Precision::FP16);
}
STRATA_BENCHMARK(lenet_train_bf16, "lenet.train_bf16", LENET_DESC BF16_DESC) {
  lenet(ctx, false, strata::train::Precision::BF16);
}
STRATA_BENCHMARK(lenet_train_fp16, "lenet.train_fp16", LENET_DESC FP16_DESC) {
  lenet(ctx, false, strata::train::Precision::FP16);
}
STRATA_BENCHMARK(resnet_train_bf16, "resnet.train_bf16", RESNET_DESC BF16_DESC) {
  resnet(ctx, false, strata::train::Precision::BF16);
}
STRATA_BENCHMARK(resnet_train_fp16, "resnet.train_fp16", RESNET_DESC FP16_DESC) {
  resnet(ctx, false, strata::train::Precision::FP16);
}

}  // namespace
