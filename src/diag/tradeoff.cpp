// The Pareto front, the memory and latency measurements and the variant registry behind `strata tradeoff`.
#include "strata/diag/tradeoff.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

#include "strata/autograd/grad_mode.h"
#include "strata/core/allocator.h"
#include "strata/core/error.h"
#include "strata/optim/sgd.h"
#include "strata/train/step.h"

namespace strata::diag {

std::vector<bool> pareto_front(const std::vector<double>& quality, const std::vector<double>& cost) {
  STRATA_CHECK(quality.size() == cost.size(), "[pareto_front] ", quality.size(), " qualities but ", cost.size(),
               " costs");
  const size_t n = quality.size();
  std::vector<bool> front(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(quality[i]) || !std::isfinite(cost[i])) continue;
    bool dominated = false;
    for (size_t j = 0; j < n && !dominated; ++j) {
      if (j == i || !std::isfinite(quality[j]) || !std::isfinite(cost[j])) continue;
      dominated = quality[j] >= quality[i] && cost[j] <= cost[i] && (quality[j] > quality[i] || cost[j] < cost[i]);
    }
    front[i] = !dominated;
  }
  return front;
}

int64_t peak_allocated_during(const std::function<void()>& fn) {
  const int64_t base = cpu_allocator::stats().allocated_bytes;
  cpu_allocator::reset_peak();
  fn();
  return std::max<int64_t>(0, cpu_allocator::stats().peak_allocated_bytes - base);
}

double inference_latency_ms(nn::Module& model, const Tensor& x, int repeats) {
  STRATA_CHECK(repeats >= 1, "[inference_latency_ms] repeats must be at least 1, got ", repeats);
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  std::vector<double> ms;
  try {
    for (int r = 0; r <= repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      Tensor y = model(x);
      const auto t1 = std::chrono::steady_clock::now();
      if (r > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  return *std::min_element(ms.begin(), ms.end());  // interference on a shared CPU only adds time
}

AccumulationMemory accumulation_memory(nn::Module& model, const nn::Loss& loss, const Tensor& x, const Tensor& y,
                                       int64_t micro_batches) {
  STRATA_CHECK(x.defined() && x.dim() >= 1 && y.defined() && y.size(0) == x.size(0),
               "[accumulation_memory] expected inputs and targets with the same batch size");
  const int64_t batch = x.size(0);
  STRATA_CHECK(micro_batches >= 1 && batch % micro_batches == 0, "[accumulation_memory] ", micro_batches,
               " micro-batches do not divide the batch of ", batch);
  optim::SGD sgd(model.parameters(), {.lr = 0.0});
  train::Stepper stepper(model, sgd);
  auto run = [&](int64_t k) {
    const int64_t m = batch / k;
    for (int64_t i = 0; i < k; ++i) {
      const Tensor xi = x.narrow(0, i * m, m), yi = y.narrow(0, i * m, m);
      stepper.accumulate([&] { return loss(model(xi), yi); }, k);
    }
    stepper.step();
  };
  AccumulationMemory r;
  r.batch = batch;
  r.micro_batches = micro_batches;
  run(1);  // warm-up: the allocator's cache and any lazily made state
  model.zero_grad();
  r.direct_peak_bytes = peak_allocated_during([&] { run(1); });
  model.zero_grad();
  r.accumulated_peak_bytes = peak_allocated_during([&] { run(micro_batches); });
  model.zero_grad();
  return r;
}

namespace {

struct VariantRegistry {
  std::mutex mu;
  std::vector<TradeoffVariant> variants{
      {"float32", "the trained model as it is",
       [](const nn::ModulePtr& trained, const Tensor& /*calibration*/, const ModelCopy& /*copy*/) { return trained; }}};
};

VariantRegistry& variant_registry() {
  static VariantRegistry r;
  return r;
}

}  // namespace

void register_tradeoff_variant(TradeoffVariant variant) {
  STRATA_CHECK(!variant.name.empty() && variant.make, "[register_tradeoff_variant] a variant needs a name and make()");
  VariantRegistry& r = variant_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (TradeoffVariant& v : r.variants) {
    if (v.name == variant.name) {
      v = std::move(variant);
      return;
    }
  }
  r.variants.push_back(std::move(variant));
}

std::vector<TradeoffVariant> tradeoff_variants() {
  VariantRegistry& r = variant_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.variants;
}

TradeoffVariant find_tradeoff_variant(const std::string& name) {
  std::string names;
  for (const TradeoffVariant& v : tradeoff_variants()) {
    if (v.name == name) return v;
    names += (names.empty() ? "" : ", ") + v.name;
  }
  STRATA_FAIL("[tradeoff] unknown variant \"", name, "\" (registered: ", names, ")");
}

}  // namespace strata::diag
