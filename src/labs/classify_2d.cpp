// The neuron / activation / loss labs' shared helpers (classify_2d.h).
#include "labs/classify_2d.h"

#include <algorithm>
#include <cmath>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/softmax.h"
#include "strata/optim/adam.h"

namespace strata::labs::classify_2d {

std::vector<double> train(nn::Module& model, const nn::Loss& loss, const kit::XY& d, int64_t steps, double lr) {
  optim::Adam opt(model.parameters(), {.lr = lr});
  model.train();
  std::vector<double> curve;
  for (int64_t s = 0; s < steps; ++s) {
    opt.zero_grad();
    Tensor l = loss(model(d.x), d.y);
    curve.push_back(l.item());
    l.backward();
    opt.step();
  }
  return curve;
}

int64_t steps_to_accuracy(nn::Module& model, const nn::Loss& loss, const kit::XY& d, double target, int64_t max_steps,
                          double lr, int64_t every) {
  STRATA_CHECK(every > 0, "[classify_2d::steps_to_accuracy] every must be > 0, got ", every);
  optim::Adam opt(model.parameters(), {.lr = lr});
  for (int64_t s = 0; s < max_steps; s += every) {
    Tensor pred = predicted_class(model, d.x);
    if (eq(pred, d.y).to(kFloat64).mean().item() >= target) return s;
    model.train();
    for (int64_t i = 0; i < every; ++i) {
      opt.zero_grad();
      loss(model(d.x), d.y).backward();
      opt.step();
    }
  }
  Tensor pred = predicted_class(model, d.x);
  return eq(pred, d.y).to(kFloat64).mean().item() >= target ? max_steps : -1;
}

kit::XY xor_data(int64_t n, double noise, uint64_t seed) {
  STRATA_CHECK(n > 0, "[classify_2d::xor_data] need n > 0, got ", n);
  Generator gen(seed);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    double a = (i % 2) ? 1.0 : -1.0, b = ((i / 2) % 2) ? 1.0 : -1.0;
    x.push_back(static_cast<float>(a + noise * gen.normal_double()));
    x.push_back(static_cast<float>(b + noise * gen.normal_double()));
    y.push_back(a * b < 0 ? 1 : 0);
  }
  return {from_vector(x, {n, 2}), from_vector(y, {n})};
}

kit::XY imbalanced(int64_t n, double minority, double gap, uint64_t seed) {
  STRATA_CHECK(n > 0 && minority > 0 && minority < 1, "[classify_2d::imbalanced] need n > 0 and 0 < minority < 1");
  Generator gen(seed);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = gen.uniform_double() < minority ? 1 : 0;
    x.push_back(static_cast<float>(gen.normal_double() + (c ? gap : 0.0)));
    x.push_back(static_cast<float>(gen.normal_double()));
    y.push_back(c);
  }
  return {from_vector(x, {n, 2}), from_vector(y, {n})};
}

Tensor predicted_class(nn::Module& model, const Tensor& x) {
  Tensor out = kit::predict(model, x);
  if (out.dim() == 1 || out.size(1) == 1) return gt(out.reshape({out.size(0)}), 0.0).to(kInt64);
  return out.argmax(1);
}

std::vector<std::vector<double>> decision_map(nn::Module& model, int64_t n, double lim, int64_t prob_of) {
  std::vector<float> pts;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      pts.push_back(static_cast<float>(-lim + 2 * lim * static_cast<double>(c) / static_cast<double>(n - 1)));
      pts.push_back(static_cast<float>(lim - 2 * lim * static_cast<double>(r) / static_cast<double>(n - 1)));
    }
  }
  Tensor grid = from_vector(pts, {n * n, 2});
  std::vector<double> v;
  if (prob_of < 0) {
    v = kit::values(predicted_class(model, grid).to(kFloat64));
  } else {
    Tensor out = kit::predict(model, grid);
    v = out.size(1) == 1 ? kit::values(sigmoid(out.reshape({n * n}))) : kit::values(softmax(out, 1).select(1, prob_of));
  }
  std::vector<std::vector<double>> z(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    z[static_cast<size_t>(r)].assign(v.begin() + r * n, v.begin() + (r + 1) * n);
  }
  return z;
}

PrecisionRecall precision_recall(const Tensor& predicted, const Tensor& y, int64_t c) {
  Tensor pc = eq(predicted, static_cast<double>(c)), yc = eq(y, static_cast<double>(c));
  double tp = logical_and(pc, yc).to(kFloat64).sum().item();
  double predicted_c = pc.to(kFloat64).sum().item(), actual_c = yc.to(kFloat64).sum().item();
  return {predicted_c > 0 ? tp / predicted_c : 0.0, actual_c > 0 ? tp / actual_c : 0.0};
}

}  // namespace strata::labs::classify_2d
