// The training doctor's overhead as CPU time per step, robust to a busy machine: two copies of one model train
// side by side in one process, one with a diag::Doctor (default options, silent) and one without, in
// interleaved blocks of 20 steps (the order flipped every block, the first block untimed), each step a
// train::Stepper step with fit's callback points. Inputs are random (the doctor's cost does not depend on
// the values). Run with OMP_NUM_THREADS=1: the process CPU time is then the step's own work.
//
//   OMP_NUM_THREADS=1 build/bench/strata_doctor_overhead mlp|lenet|resnet [blocks = 20]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "strata/diag/doctor.h"
#include "strata/strata.h"

using namespace strata;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

template <class M, class... A>
nn::ModulePtr make(A&&... args) {
  return std::make_shared<M>(std::forward<A>(args)...);
}

// The models of bench/workloads_train.cpp.
std::shared_ptr<nn::Sequential> model(const std::string& w) {
  if (w == "mlp") {
    return std::make_shared<nn::Sequential>(
        std::initializer_list<nn::ModulePtr>{make<nn::Flatten>(), make<nn::Linear>(784, 512), make<nn::ReLU>(),
                                             make<nn::Linear>(512, 256), make<nn::ReLU>(), make<nn::Linear>(256, 10)});
  }
  if (w == "lenet") {
    return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        make<nn::Conv2d>(1, 6, 5, 1, 2), make<nn::ReLU>(), make<nn::MaxPool2d>(2), make<nn::Conv2d>(6, 16, 5),
        make<nn::ReLU>(), make<nn::MaxPool2d>(2), make<nn::Flatten>(), make<nn::Linear>(400, 120), make<nn::ReLU>(),
        make<nn::Linear>(120, 84), make<nn::ReLU>(), make<nn::Linear>(84, 10)});
  }
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      make<nn::Conv2d>(1, 32, 3, 1, 1, 1, 1, false), make<nn::BatchNorm2d>(32), make<nn::ReLU>(),
      make<nn::BasicBlock>(32, 32), make<nn::BasicBlock>(32, 32), make<nn::BasicBlock>(32, 64, 2),
      make<nn::AdaptiveAvgPool2d>(1), make<nn::Flatten>(), make<nn::Linear>(64, 10)});
}

struct Run {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Optimizer> opt;
  train::TrainState state;
  std::vector<train::CallbackPtr> callbacks;
  std::unique_ptr<train::Stepper> stepper;
  double seconds = 0;
  int64_t steps = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: strata_doctor_overhead mlp|lenet|resnet [blocks]\n");
    return 2;
  }
  const std::string w = argv[1];
  const int blocks = argc > 2 ? std::atoi(argv[2]) : 20;
  const int64_t batch = w == "lenet" ? 64 : 128;
  Generator gen(0);
  const Tensor x = randn({batch, 1, 28, 28}, {}, &gen);
  const Tensor y = randint(0, 10, {batch}, TensorOptions(kInt64), &gen);
  Run runs[2];
  for (int k = 0; k < 2; ++k) {
    Run& r = runs[k];
    manual_seed(1);
    r.model = model(w);
    r.opt = std::make_unique<optim::Adam>(r.model->parameters(), optim::AdamOptions{});
    r.state.model = r.model.get();
    r.state.optimizer = r.opt.get();
    r.state.batches_per_epoch = 60000 / batch;
    if (k == 1) {
      diag::DoctorOptions o;
      o.out = nullptr;
      r.callbacks.push_back(std::make_shared<diag::Doctor>(o));
    }
    r.stepper = std::make_unique<train::Stepper>(r.state, train::StepOptions{.callbacks = r.callbacks});
    for (const auto& cb : r.callbacks) cb->on_train_begin(r.state);
  }
  train::Logs logs;
  for (int b = 0; b < blocks; ++b) {
    for (int i = 0; i < 2; ++i) {
      Run& r = runs[(i + b) % 2];
      const double t0 = cpu_seconds();
      for (int s = 0; s < 20; ++s) {
        r.state.optimizer_stepped = false;
        for (const auto& cb : r.callbacks) cb->on_batch_begin(r.state);
        const train::StepResult res = (*r.stepper)([&] { return cross_entropy((*r.model)(x), y); });
        r.state.optimizer_stepped = true;
        logs["batch_loss"] = res.loss;
        logs["lr"] = 1e-3;
        for (const auto& cb : r.callbacks) cb->on_batch_end(r.state, logs);
      }
      if (b > 0) {
        r.seconds += cpu_seconds() - t0;
        r.steps += 20;
      }
    }
  }
  for (const auto& cb : runs[1].callbacks) cb->on_train_end(runs[1].state);
  const double base = 1e3 * runs[0].seconds / static_cast<double>(runs[0].steps);
  const double doc = 1e3 * runs[1].seconds / static_cast<double>(runs[1].steps);
  std::printf("%s: CPU ms/step without the doctor %.3f, with it %.3f: overhead %.1f%% (%lld steps each)\n", w.c_str(),
              base, doc, 100 * (doc / base - 1), static_cast<long long>(runs[0].steps));
  return 0;
}
