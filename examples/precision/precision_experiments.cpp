// The mixed-precision measurements of docs/precision.md that the CLI cannot make:
//   flush:  why loss scaling exists. An MLP trained on Fashion-MNIST with the cross-entropy multiplied by
//           2^-k (a loss whose gradients are 2^-k of the usual; SGD's lr is multiplied by 2^k, so float32 trains
//           exactly as without the factor) in float32, fp16 without loss scaling and fp16 with GradScaler. Per
//           layer: the float32 gradients float16 would flush (diag::fp16_flush_by_layer at scale 1 and 2^16) and
//           the gradient entries that are exactly zero in each run; then each run's test accuracy and loss.
//   memory: bytes saved for backward (allocator bytes after forward + loss minus before, graph alive), the
//           allocator's peak over one training step and the process's peak RSS (VmHWM) after a few steps, for
//           one model and precision per process (random inputs of Fashion-MNIST's shape, so the dataset's
//           memory does not count).
//
//   build/examples/precision_experiments flush [--train 10000] [--epochs 2] [--loss-log2 -14] [--threads N]
//   build/examples/precision_experiments memory --model mlp|lenet --precision fp32|bf16|fp16 [--batch 128]
//                                               [--steps 5] [--breakdown] [--cache-mib N] [--threads N]
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../common/char_corpus.h"
#include "strata/autograd/autocast.h"
#include "strata/core/openmp_wait.h"
#include "strata/diag/precision.h"
#include "strata/diag/tradeoff.h"
#include "strata/strata.h"

using namespace strata;

namespace {

// examples/mlp/config.json's MLP: 784-hidden...-10 with ReLU.
std::shared_ptr<nn::Sequential> make_mlp(const std::vector<int64_t>& hidden) {
  std::vector<nn::ModulePtr> layers{std::make_shared<nn::Flatten>()};
  int64_t in = 784;
  for (int64_t h : hidden) {
    layers.push_back(std::make_shared<nn::Linear>(in, h));
    layers.push_back(std::make_shared<nn::ReLU>());
    in = h;
  }
  layers.push_back(std::make_shared<nn::Linear>(in, 10));
  return std::make_shared<nn::Sequential>(layers);
}

// examples/lenet/config.json's LeNet-5 with 16 and 32 filters.
std::shared_ptr<nn::Sequential> make_lenet() {
  return std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(1, 16, 5, 1, 2), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(16, 32, 5), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(32 * 5 * 5, 128), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(128, 84), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(84, 10)});
}

data::Batch first_rows(const data::Dataset& ds, int64_t n) {
  n = n > 0 ? std::min(n, ds.size()) : ds.size();
  return ds.get_batch(arange(0.0, static_cast<double>(n), 1.0, kInt64));
}

// Test accuracy (%) and mean cross-entropy of `model` under the run's precision.
std::pair<double, double> evaluate(nn::Module& model, const data::Batch& test, train::Precision p) {
  NoGradGuard no_grad;
  const bool mixed = p != train::Precision::FP32;
  AutocastGuard autocast(mixed ? train::autocast_dtype(p) : kBFloat16, mixed);
  model.eval();
  const Tensor logits = model(test.input);
  const double loss = cross_entropy(logits, test.target).item<double>();
  const double acc = eq(argmax(logits, 1), test.target).to(kFloat32).mean().item<double>() * 100.0;
  model.train();
  return {acc, loss};
}

struct LayerZeros {
  int64_t numel = 0, zero = 0;
};

int run_flush(const examples::Args& args) {
  const int64_t n_train = args.integer("train", 10000), epochs = args.integer("epochs", 2), batch = 128;
  const int loss_log2 = static_cast<int>(args.integer("loss-log2", -14));
  const double weight = std::ldexp(1.0, loss_log2), lr = 0.05;
  data::FashionMNIST train_set("", true), test_set("", false);
  const data::Batch train_all = first_rows(train_set, n_train), test = first_rows(test_set, 0);
  auto train_ds = std::make_shared<data::TensorDataset>(train_all.input, train_all.target);
  std::printf(
      "flush: MLP 784-256-256-256-10, %lld training images, %lld test, %lld epochs, batch %lld, SGD "
      "momentum 0.9 lr %g x 2^%d, loss = cross-entropy x 2^%d\n",
      static_cast<long long>(train_ds->size()), static_cast<long long>(test.input.size(0)),
      static_cast<long long>(epochs), static_cast<long long>(batch), lr, -loss_log2, loss_log2);

  struct Run {
    const char* name;
    train::Precision precision;
    bool scaling;
  };
  const std::vector<Run> runs{{"fp32", train::Precision::FP32, false},
                              {"fp16 unscaled", train::Precision::FP16, false},
                              {"fp16 + GradScaler", train::Precision::FP16, true}};
  std::vector<std::string> layer_names;
  std::map<std::string, std::pair<diag::FlushCount, diag::FlushCount>> fp32_flush;  // scale 1, scale 2^16
  std::vector<std::map<std::string, LayerZeros>> zeros(runs.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    manual_seed(0);
    auto model = make_mlp({256, 256, 256});
    optim::SGD opt(model->parameters(), {.lr = lr / weight, .momentum = 0.9});
    train::Stepper stepper(*model, opt, {.precision = runs[r].precision, .loss_scaling = runs[r].scaling});
    data::DataLoader loader(train_ds, batch, /*shuffle=*/true, /*seed=*/0);
    double last_loss = 0;
    for (int64_t e = 0; e < epochs; ++e)
      for (const data::Batch& b : loader) {
        last_loss = stepper([&] { return cross_entropy((*model)(b.input), b.target) * weight; }).loss / weight;
        for (const diag::FlushCount& c : diag::fp16_flush_by_layer(*model)) {
          if (r == 0 && !fp32_flush.count(c.name)) layer_names.push_back(c.name);
          zeros[r][c.name].numel += c.numel;
          zeros[r][c.name].zero += c.numel - c.nonzero;
          if (r != 0) continue;
          auto& [s1, s16] = fp32_flush[c.name];
          s1.nonzero += c.nonzero, s1.flushed += c.flushed, s1.subnormal += c.subnormal;
        }
        if (r == 0)
          for (const diag::FlushCount& c : diag::fp16_flush_by_layer(*model, 65536.0)) {
            auto& s16 = fp32_flush[c.name].second;
            s16.nonzero += c.nonzero, s16.flushed += c.flushed, s16.subnormal += c.subnormal;
          }
      }
    const auto [acc, loss] = evaluate(*model, test, runs[r].precision);
    const train::GradScaler* sc = stepper.grad_scaler();
    std::printf("run %-18s test accuracy %.2f%%  test loss %.4f  last train loss %.4f  loss scale %g  skipped %lld\n",
                runs[r].name, acc, loss, last_loss, sc ? sc->scale() : 1.0,
                static_cast<long long>(sc ? sc->skipped_steps() : 0));
    std::fflush(stdout);
  }
  std::printf(
      "\n| layer | float32 grads flushed by fp16 (scale 1) | subnormal (scale 1) | flushed at scale 2^16 | "
      "zero grads fp32 run | zero grads fp16 unscaled | zero grads fp16 + GradScaler |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  auto pct = [](int64_t a, int64_t b) { return b > 0 ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  for (const std::string& name : layer_names) {
    const auto& [s1, s16] = fp32_flush[name];
    std::printf("| %s | %.2f%% | %.2f%% | %.4f%% | %.2f%% | %.2f%% | %.2f%% |\n", name.c_str(),
                pct(s1.flushed, s1.nonzero), pct(s1.subnormal, s1.nonzero), pct(s16.flushed, s16.nonzero),
                pct(zeros[0][name].zero, zeros[0][name].numel), pct(zeros[1][name].zero, zeros[1][name].numel),
                pct(zeros[2][name].zero, zeros[2][name].numel));
  }
  return 0;
}

int64_t vm_hwm_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

int run_memory(const examples::Args& args) {
  const std::string which = args.str("model", "mlp");
  const train::Precision p = train::parse_precision(args.str("precision", "fp32"), "--precision");
  const int64_t batch = args.integer("batch", 128), steps = args.integer("steps", 5);
  STRATA_CHECK(which == "mlp" || which == "lenet", "--model must be mlp or lenet, got '", which, "'");
  // --cache-mib N: the caching allocator keeps at most N MiB of freed blocks (default 1024). With 0 every freed
  // block goes back to the system, so VmHWM follows what the step needs rather than the cache's size mix.
  const int64_t cache_mib = args.integer("cache-mib", 1024);
  STRATA_CHECK(cache_mib >= 0, "--cache-mib must be >= 0, got ", cache_mib);
  cpu_allocator::set_cache_limit(static_cast<size_t>(cache_mib) << 20);
  manual_seed(0);
  std::shared_ptr<nn::Sequential> model = which == "mlp" ? make_mlp({512, 256}) : make_lenet();
  optim::Adam opt(model->parameters(), {.lr = 1e-3});
  train::Stepper stepper(*model, opt, {.precision = p});
  const Tensor x = randn({batch, 1, 28, 28});
  const Tensor y = randint(0, 10, {batch});
  auto loss_fn = [&] { return cross_entropy((*model)(x), y); };
  stepper(loss_fn);  // Adam's state exists from here on

  // Saved for backward: what the graph of forward + loss holds, the parameters' gradients set to none.
  model->zero_grad();
  int64_t saved = 0;
  {
    const int64_t before = cpu_allocator::stats().allocated_bytes;
    Tensor loss;
    {
      const bool mixed = p != train::Precision::FP32;
      AutocastGuard autocast(mixed ? train::autocast_dtype(p) : kBFloat16, mixed);
      loss = loss_fn();
    }
    saved = cpu_allocator::stats().allocated_bytes - before;
  }
  // The same forward module by module: what each keeps alive (its output, and the graph's saved tensors).
  if (args.str("breakdown", "0") != "0") {
    std::vector<Tensor> keep;
    const bool mixed = p != train::Precision::FP32;
    AutocastGuard autocast(mixed ? train::autocast_dtype(p) : kBFloat16, mixed);
    Tensor h = x;
    for (size_t i = 0; i < model->size(); ++i) {
      const int64_t before = cpu_allocator::stats().allocated_bytes;
      h = (*(*model)[i])(h);
      keep.push_back(h);
      std::printf("  %zu %-10s output %-9s %s: +%lld bytes\n", i, (*model)[i]->type_name().c_str(),
                  dtype_name(h.dtype()), h.shape().str().c_str(),
                  static_cast<long long>(cpu_allocator::stats().allocated_bytes - before));
    }
    const int64_t before = cpu_allocator::stats().allocated_bytes;
    keep.push_back(cross_entropy(h, y));
    std::printf("  cross_entropy: +%lld bytes\n",
                static_cast<long long>(cpu_allocator::stats().allocated_bytes - before));
  }
  const int64_t step_peak = diag::peak_allocated_during([&] { stepper(loss_fn); });
  for (int64_t s = 2; s < steps; ++s) stepper(loss_fn);
  std::printf(
      "memory %s %s batch %lld: saved_for_backward %lld bytes, step_peak %lld bytes, VmHWM %lld KiB after %lld "
      "steps\n",
      which.c_str(), train::precision_name(p), static_cast<long long>(batch), static_cast<long long>(saved),
      static_cast<long long>(step_peak), static_cast<long long>(vm_hwm_kib()), static_cast<long long>(steps));
  return 0;
}

int run(int argc, char** argv) {
  if (argc < 2 || (std::string(argv[1]) != "flush" && std::string(argv[1]) != "memory")) {
    std::cout << "usage: precision_experiments flush [--train 10000] [--epochs 2] [--loss-log2 -14] [--threads N]\n"
                 "       precision_experiments memory --model mlp|lenet --precision fp32|bf16|fp16 [--batch 128]\n"
                 "                                    [--steps 5] [--threads N]\n";
    return 2;
  }
  const std::string mode = argv[1];
  examples::Args args(
      argc - 1, argv + 1,
      {"train", "epochs", "loss-log2", "threads", "model", "precision", "batch", "steps", "breakdown", "cache-mib"});
  if (const int64_t t = args.integer("threads", 0); t > 0) set_num_threads(static_cast<int>(t));
  return mode == "flush" ? run_flush(args) : run_memory(args);
}

}  // namespace

int main(int argc, char** argv) {
  strata::apply_openmp_wait_policy(argv);  // passive OpenMP waiting on a busy machine (docs/performance.md)
  return examples::run_main([&] { return run(argc, argv); });
}
