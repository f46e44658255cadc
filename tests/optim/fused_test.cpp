// The fused optimizer kernels (src/kernels/cpu/optim.h) against the tensor-op reference path: sizes around
// the vector widths and the threading threshold, float32 and float64, and strided parameters (which take
// the reference path and must give the same result as contiguous ones).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "kernels/cpu/loops.h"
#include "strata/optim/adam.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"
#include "strata/strata.h"

using namespace strata;
using namespace strata::optim;

namespace {

using Factory = std::function<std::unique_ptr<Optimizer>(const TensorList&)>;

std::vector<std::pair<std::string, Factory>> configs() {
  return {
      {"sgd",
       [](const TensorList& p) { return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1, .weight_decay = 0.01}); }},
      {"sgd.momentum",
       [](const TensorList& p) {
         return std::make_unique<SGD>(p,
                                      SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.2, .weight_decay = 0.01});
       }},
      {"sgd.nesterov",
       [](const TensorList& p) {
         return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
       }},
      {"rmsprop",
       [](const TensorList& p) {
         return std::make_unique<RMSprop>(p, RMSpropOptions{.lr = 0.01, .weight_decay = 0.01});
       }},
      {"rmsprop.centered.momentum",
       [](const TensorList& p) {
         return std::make_unique<RMSprop>(p, RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true});
       }},
      {"adam",
       [](const TensorList& p) { return std::make_unique<Adam>(p, AdamOptions{.lr = 0.01, .weight_decay = 0.1}); }},
      {"adam.amsgrad",
       [](const TensorList& p) { return std::make_unique<Adam>(p, AdamOptions{.lr = 0.01, .amsgrad = true}); }},
      {"adamw", [](const TensorList& p) { return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.01}); }},
      {"adamw.amsgrad",
       [](const TensorList& p) { return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.01, .amsgrad = true}); }},
  };
}

// Runs 3 steps with fixed random gradients; `fused` selects the path.
Tensor run(const Factory& make, const Tensor& init, const std::vector<Tensor>& grads, bool fused) {
  Tensor p = init.clone().requires_grad_();
  auto opt = make({p});
  opt->set_fused(fused);
  for (const Tensor& g : grads) {
    p.set_grad(g.clone());
    opt->step();
  }
  return p.detach();
}

// Largest |a - b| / (1 + |b|): relative for large values, absolute near zero (where p - lr d cancels).
double max_err(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]) / (1 + std::abs(y[i])));
  return worst;
}

}  // namespace

TEST(FusedOptim, MatchesReferenceAcrossSizesAndDtypes) {
  const int64_t grain = 4 * kernels::cpu::kParallelGrain;  // the fused loops split across threads from here
  Generator gen(1234);
  for (DType dt : {kFloat32, kFloat64}) {
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{15}, int64_t{16}, int64_t{17}, int64_t{33},
                      int64_t{1000}, grain - 1, grain + 5}) {
      if (dt == kFloat64 && n > 1000) continue;  // the threaded sizes once, in float32
      Tensor init = randn({n}, TensorOptions(dt), &gen);
      std::vector<Tensor> grads;
      for (int k = 0; k < 3; ++k) grads.push_back(mul(randn({n}, TensorOptions(dt), &gen), 1.0 + k));
      for (const auto& [name, make] : configs()) {
        Tensor fused = run(make, init, grads, true), ref = run(make, init, grads, false);
        const double tol = dt == kFloat32 ? 2e-6 : 1e-13;
        EXPECT_LE(max_err(fused, ref), tol) << name << " n=" << n << " " << dt;
        EXPECT_GT(max_err(fused, init), 1e-3) << name << ": the parameters did not move";
      }
    }
  }
}

TEST(FusedOptim, StridedParametersTakeTheReferencePathWithTheSameResult) {
  Generator gen(99);
  Tensor base = randn({5, 6}, {}, &gen);
  std::vector<Tensor> grads;
  for (int k = 0; k < 3; ++k) grads.push_back(randn({6, 5}, {}, &gen));
  for (const auto& [name, make] : configs()) {
    Tensor contiguous = run(make, base.t().contiguous(), grads, true);
    // A transposed leaf (not contiguous): the optimizer must update it in place through its strides.
    Tensor p = base.clone().t().requires_grad_();
    ASSERT_FALSE(p.is_contiguous());
    auto opt = make({p});
    for (const Tensor& g : grads) {
      p.set_grad(g.clone());
      opt->step();
    }
    EXPECT_LE(max_err(p.detach(), contiguous), 2e-6) << name;
  }
}
