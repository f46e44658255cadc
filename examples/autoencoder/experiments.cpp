// What a 32-number bottleneck keeps, measured with the C++ API (the model of examples/autoencoder/config.json):
//   1. Linear probe: a single nn::Linear trained with cross-entropy on the autoencoder's bottleneck features,
//      on the raw 784 pixels and on a fixed random 784 -> 32 projection, with all 60000 labels and with 1000.
//   2. Anomaly detection: for each Fashion-MNIST class, an autoencoder trained on the other nine scores every
//      test image by its reconstruction error; ROC AUC with the held-out class as the positive (anomaly).
// The tables and what they mean: examples/autoencoder/README.md.
//
//   build/examples/autoencoder_experiments [--epochs N] [--anomaly-epochs N] [--probe-epochs N]
//                                          [--subset N] [--threads N] [--quick]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/core/threading.h"
#include "strata/data/dataloader.h"
#include "strata/data/fashion_mnist.h"
#include "strata/diag/generative.h"
#include "strata/nn/autoencoder.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/optim/adam.h"
#include "strata/train/fit.h"
#include "strata/train/tasks.h"

using namespace strata;

namespace {

struct Options {
  int64_t ae_epochs = 5;       // the autoencoder of the probe
  int64_t anomaly_epochs = 2;  // each of the ten leave-one-class-out autoencoders
  int64_t probe_epochs = 10;   // linear probe on all labels; the small subset gets as many optimizer steps
  int64_t subset = 1000;       // the small label budget
  int64_t subset_draws = 3;    // small subsets drawn (the table shows their mean)
  int64_t train_limit = 0;     // > 0: only the first N training images (quick mode)
  int threads = 0;             // 0: the default
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// 784-256-32 encoder, 32-256-784 Sigmoid decoder: examples/autoencoder/config.json.
std::shared_ptr<nn::Autoencoder> make_mlp_autoencoder() {
  auto encoder = std::make_shared<nn::Sequential>(
      std::vector<nn::ModulePtr>{std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 256),
                                 std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(256, 32)});
  auto decoder = std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
      std::make_shared<nn::Linear>(32, 256), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(256, 784),
      std::make_shared<nn::Sigmoid>(), std::make_shared<nn::Unflatten>(1, std::vector<int64_t>{1, 28, 28})});
  return std::make_shared<nn::Autoencoder>(encoder, decoder);
}

// Trains a fresh autoencoder (BCE, Adam 1e-3, batch 128) on `train` and returns it in eval mode.
std::shared_ptr<nn::Autoencoder> train_autoencoder(const data::DatasetPtr& train, int64_t epochs, uint64_t seed) {
  manual_seed(seed);  // the weights
  auto ae = make_mlp_autoencoder();
  optim::Adam optimizer(ae->parameters(), {.lr = 1e-3});
  train::AutoencoderTask task(ae, optimizer, {.loss = "bce"});
  data::DataLoader loader(train, /*batch_size=*/128, /*shuffle=*/true, seed);
  train::FitOptions options;
  options.epochs = epochs;
  const auto t0 = Clock::now();
  const train::History h = train::fit_task(task, loader, options);
  std::printf("  autoencoder: %lld images, %lld epochs, final train BCE %.4f (%.0f s)\n",
              static_cast<long long>(train->size()), static_cast<long long>(epochs), h.epochs.back().at("loss"),
              seconds_since(t0));
  std::fflush(stdout);  // progress shows when the output goes to a file
  ae->eval();
  return ae;
}

// fn applied to the inputs of `ds` in batches of 1000 (no gradients), concatenated along dim 0.
template <class Fn>
Tensor map_batches(const data::Dataset& ds, Fn fn) {
  NoGradGuard no_grad;
  std::vector<Tensor> parts;
  for (int64_t start = 0; start < ds.size(); start += 1000) {
    const int64_t len = std::min<int64_t>(1000, ds.size() - start);
    const data::Batch b =
        ds.get_batch(arange(static_cast<double>(start), static_cast<double>(start + len), 1.0, kInt64));
    parts.push_back(fn(b.input).contiguous());
  }
  return cat(parts, 0);
}

// Per-image mean binary cross-entropy (logs clamped at -100 as torch's BCELoss) and mean squared error.
std::pair<Tensor, Tensor> reconstruction_errors(nn::Autoencoder& ae, const data::Dataset& ds) {
  const Tensor err = map_batches(ds, [&](const Tensor& x) {
    const Tensor r = ae(x);
    const Tensor bce =
        -(x * clamp(log(r), -100.0, std::nullopt) + (1.0 - x) * clamp(log(1.0 - r), -100.0, std::nullopt));
    return stack({bce.flatten(1).mean({1}), square(r - x).flatten(1).mean({1})}, 1);
  });
  return {err.select(1, 0).contiguous(), err.select(1, 1).contiguous()};
}

struct Features {
  Tensor train, test;  // (N, D) float32, standardized with the training set's mean and std
};

Features standardize(const Tensor& train, const Tensor& test) {
  const Tensor mu = train.mean({0}, true);
  const Tensor sd = train.std({0}, 1, true) + 1e-6;  // constant pixels (image borders) stay 0
  return {((train - mu) / sd).contiguous(), ((test - mu) / sd).contiguous()};
}

// Test accuracy of a linear classifier (one nn::Linear, cross-entropy, Adam 1e-3, batch 128) trained on the
// training rows `rows` of `f` for `epochs` epochs.
double linear_probe(const Features& f, const Tensor& train_labels, const Tensor& test_labels, const Tensor& rows,
                    int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::Linear probe(f.train.size(1), 10);
  auto train_set = std::make_shared<data::TensorDataset>(index_select(f.train, 0, rows).contiguous(),
                                                         index_select(train_labels, 0, rows).contiguous());
  auto test_set = std::make_shared<data::TensorDataset>(f.test, test_labels);
  data::DataLoader train_loader(train_set, 128, /*shuffle=*/true, seed);
  data::DataLoader test_loader(test_set, 1000);
  nn::CrossEntropyLoss loss;
  optim::Adam optimizer(probe.parameters(), {.lr = 1e-3});
  train::FitOptions options;
  options.epochs = epochs;
  train::fit(probe, loss, optimizer, train_loader, options);
  return train::evaluate(probe, loss, test_loader).at("accuracy");
}

int64_t parse_count(int argc, char** argv, int& i) {
  STRATA_CHECK(i + 1 < argc, "autoencoder_experiments: ", argv[i], " needs a value");
  const std::string v = argv[++i];
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  STRATA_CHECK(*end == '\0' && n >= 1, "autoencoder_experiments: ", argv[i - 1], " must be a positive integer, got \"",
               v, "\"");
  return n;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--epochs") {
      o.ae_epochs = parse_count(argc, argv, i);
    } else if (a == "--anomaly-epochs") {
      o.anomaly_epochs = parse_count(argc, argv, i);
    } else if (a == "--probe-epochs") {
      o.probe_epochs = parse_count(argc, argv, i);
    } else if (a == "--subset") {
      o.subset = parse_count(argc, argv, i);
    } else if (a == "--threads") {
      o.threads = static_cast<int>(parse_count(argc, argv, i));
    } else if (a == "--quick") {  // a smoke run: 6000 training images, one epoch each
      o.ae_epochs = o.anomaly_epochs = o.probe_epochs = 1;
      o.train_limit = 6000;
      o.subset_draws = 1;
    } else {
      STRATA_FAIL("autoencoder_experiments: unknown option \"", a,
                  "\" (--epochs N, --anomaly-epochs N, --probe-epochs N, --subset N, --threads N, --quick)");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse_options(argc, argv);
  if (opt.threads > 0) set_num_threads(opt.threads);
  const auto t0 = Clock::now();
  std::printf("threads: %d\n", get_num_threads());

  // Pixels in [0, 1] (the decoder ends in a sigmoid and the loss is BCE).
  std::shared_ptr<const data::TensorDataset> train_full =
      std::make_shared<data::FashionMNIST>("", /*train=*/true, /*normalize=*/false);
  auto test = std::make_shared<data::FashionMNIST>("", /*train=*/false, /*normalize=*/false);
  std::shared_ptr<const data::TensorDataset> train_set = train_full;
  if (opt.train_limit > 0) {
    train_set = std::make_shared<data::TensorDataset>(train_full->inputs().narrow(0, 0, opt.train_limit).contiguous(),
                                                      train_full->targets().narrow(0, 0, opt.train_limit).contiguous());
  }
  const int64_t n_train = train_set->size();
  const Tensor train_labels = train_set->targets();
  const Tensor test_labels = test->targets();

  // 1. Linear probe.
  std::printf("\n== 1. Linear probe ==\n");
  auto ae = train_autoencoder(train_set, opt.ae_epochs, /*seed=*/0);
  const auto [ae_bce, ae_mse] = reconstruction_errors(*ae, *test);
  std::printf("  test reconstruction: BCE %.4f, MSE %.5f per pixel\n", ae_bce.mean().item(), ae_mse.mean().item());

  manual_seed(1);
  nn::Linear random_projection(784, 32);  // fixed: never trained
  auto flat = [](const Tensor& x) { return x.flatten(1); };
  auto encode = [&](const Tensor& x) { return ae->encode(x); };
  auto project = [&](const Tensor& x) { return random_projection(x.flatten(1)); };
  struct Row {
    std::string name;
    Features f;
  };
  std::vector<Row> rows;
  rows.push_back(
      {"Autoencoder bottleneck (32)", standardize(map_batches(*train_set, encode), map_batches(*test, encode))});
  rows.push_back(
      {"Random projection (32)", standardize(map_batches(*train_set, project), map_batches(*test, project))});
  rows.push_back({"Raw pixels (784)", standardize(map_batches(*train_set, flat), map_batches(*test, flat))});

  // The small budget gets the optimizer steps of the full one (so both probes are trained about as long).
  const int64_t subset = std::min(opt.subset, n_train);
  const int64_t full_steps = opt.probe_epochs * ((n_train + 127) / 128);
  const int64_t subset_epochs = std::max<int64_t>(1, full_steps / ((subset + 127) / 128));
  const Tensor all_rows = arange(static_cast<double>(n_train), kInt64);
  std::vector<Tensor> subsets;
  for (int64_t d = 0; d < opt.subset_draws; ++d) {
    Generator g(100 + static_cast<uint64_t>(d));
    subsets.push_back(randperm(n_train, &g).narrow(0, 0, subset).contiguous());
  }
  std::printf("  probe: %lld epochs on %lld labels; %lld epochs on %lld labels (mean of %lld random draws)\n\n",
              static_cast<long long>(opt.probe_epochs), static_cast<long long>(n_train),
              static_cast<long long>(subset_epochs), static_cast<long long>(subset),
              static_cast<long long>(opt.subset_draws));
  std::printf("| Features | %lld labels | %lld labels |\n|---|---:|---:|\n", static_cast<long long>(n_train),
              static_cast<long long>(subset));
  for (const Row& r : rows) {
    const double full = linear_probe(r.f, train_labels, test_labels, all_rows, opt.probe_epochs, 0);
    double small = 0, lo = 1, hi = 0;
    for (size_t d = 0; d < subsets.size(); ++d) {
      const double a = linear_probe(r.f, train_labels, test_labels, subsets[d], subset_epochs, d);
      small += a / static_cast<double>(subsets.size());
      lo = std::min(lo, a);
      hi = std::max(hi, a);
    }
    std::printf("| %s | %.2f%% | %.2f%% (%.2f-%.2f) |\n", r.name.c_str(), 100 * full, 100 * small, 100 * lo, 100 * hi);
    std::fflush(stdout);
  }
  std::printf("  (%.0f s so far)\n", seconds_since(t0));

  // 2. Anomaly detection: leave one class out of training, score the test set by reconstruction error.
  std::printf("\n== 2. Anomaly detection (%lld epochs per autoencoder) ==\n",
              static_cast<long long>(opt.anomaly_epochs));
  const std::vector<int64_t> labels = train_labels.contiguous().to_vector<int64_t>();
  std::vector<std::string> table;
  double mean_bce = 0, mean_mse = 0;
  for (int64_t c = 0; c < 10; ++c) {
    std::vector<int64_t> normal;
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] != c) normal.push_back(static_cast<int64_t>(i));
    auto normal_set = std::make_shared<data::Subset>(train_set, normal);
    std::printf("  held out %lld (%s):", static_cast<long long>(c), data::FashionMNIST::kClasses[c]);
    auto model = train_autoencoder(normal_set, opt.anomaly_epochs, /*seed=*/0);
    const auto [bce, mse] = reconstruction_errors(*model, *test);
    const Tensor is_anomaly = eq(test_labels, static_cast<double>(c));
    const double auc_bce = diag::roc_auc(bce, is_anomaly), auc_mse = diag::roc_auc(mse, is_anomaly);
    const Tensor anomalous = is_anomaly.to(kFloat32);
    const double n_anom = anomalous.sum().item();
    const double err_anom = (bce * anomalous).sum().item() / n_anom;
    const double err_norm = (bce * (1.0 - anomalous)).sum().item() / (static_cast<double>(bce.numel()) - n_anom);
    mean_bce += auc_bce / 10;
    mean_mse += auc_mse / 10;
    char line[256];
    std::snprintf(line, sizeof line, "| %lld | %s | %.3f | %.3f | %.4f | %.4f |", static_cast<long long>(c),
                  data::FashionMNIST::kClasses[c], auc_bce, auc_mse, err_norm, err_anom);
    table.push_back(line);
  }
  std::printf("\n| Held-out class | Name | ROC AUC (BCE) | ROC AUC (MSE) | BCE, other classes | BCE, held-out |\n");
  std::printf("|---:|---|---:|---:|---:|---:|\n");
  for (const std::string& l : table) std::printf("%s\n", l.c_str());
  std::printf("| | **Mean** | **%.3f** | **%.3f** | | |\n", mean_bce, mean_mse);
  std::printf("\nwall time: %.0f s\n", seconds_since(t0));
  return 0;
} catch (const std::exception& e) {
  std::cerr << "autoencoder_experiments: " << e.what() << "\n";
  return 1;
}
