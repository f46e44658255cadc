// The labs' shared helpers (kit.h).
#include "labs/kit.h"

#include <cmath>
#include <cstdio>
#include <numbers>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/data/dataloader.h"
#include "strata/data/dataset.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/conv.h"
#include "strata/nn/init.h"
#include "strata/nn/linear.h"
#include "strata/nn/normalization.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"

namespace strata::labs::kit {

namespace {

XY from_rows(const std::vector<float>& x, const std::vector<int64_t>& y, int64_t dim) {
  int64_t n = static_cast<int64_t>(y.size());
  return {from_vector(x, {n, dim}), from_vector(y, {n})};
}

}  // namespace

XY spirals(int64_t n, int64_t classes, double noise, uint64_t seed, double turns) {
  STRATA_CHECK(n > 0 && classes >= 2, "[labs::spirals] need n > 0 and classes >= 2, got n=", n, " classes=", classes);
  Generator gen(seed);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = i % classes;
    double t = gen.uniform_double();
    double r = 0.1 + 0.9 * t;
    double angle = 2 * std::numbers::pi * (static_cast<double>(c) / static_cast<double>(classes) + turns * t);
    x.push_back(static_cast<float>(r * std::cos(angle) + noise * gen.normal_double()));
    x.push_back(static_cast<float>(r * std::sin(angle) + noise * gen.normal_double()));
    y.push_back(c);
  }
  return from_rows(x, y, 2);
}

XY circles(int64_t n, double noise, uint64_t seed) {
  STRATA_CHECK(n > 0, "[labs::circles] need n > 0, got ", n);
  Generator gen(seed);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = i % 2;
    double r = c == 0 ? 0.5 : 1.0;
    double angle = 2 * std::numbers::pi * gen.uniform_double();
    x.push_back(static_cast<float>(r * std::cos(angle) + noise * gen.normal_double()));
    x.push_back(static_cast<float>(r * std::sin(angle) + noise * gen.normal_double()));
    y.push_back(c);
  }
  return from_rows(x, y, 2);
}

XY blobs(int64_t n, int64_t classes, int64_t dim, double spread, uint64_t seed) {
  STRATA_CHECK(n > 0 && classes >= 1 && dim >= 1, "[labs::blobs] need n, classes, dim > 0, got ", n, ", ", classes,
               ", ", dim);
  Generator gen(seed);
  std::vector<double> centres(static_cast<size_t>(classes * dim));
  for (double& c : centres) c = gen.normal_double();
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = i % classes;
    for (int64_t d = 0; d < dim; ++d) {
      x.push_back(static_cast<float>(centres[static_cast<size_t>(c * dim + d)] + spread * gen.normal_double()));
    }
    y.push_back(c);
  }
  return from_rows(x, y, dim);
}

XY flip_labels(const XY& d, double flip, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> y = d.y.to_vector<int64_t>();
  for (int64_t& v : y) {
    STRATA_CHECK(v == 0 || v == 1, "[labs::flip_labels] expected labels 0 and 1, got ", v);
    if (gen.uniform_double() < flip) v = 1 - v;
  }
  return {d.x, from_vector(y, {d.size()})};
}

XY rows(const XY& d, int64_t begin, int64_t end) {
  STRATA_CHECK(0 <= begin && begin <= end && end <= d.size(), "[labs::rows] rows [", begin, ", ", end,
               ") out of a set of ", d.size());
  return {d.x.slice(0, begin, end), d.y.slice(0, begin, end)};
}

std::pair<XY, XY> split(const XY& d, int64_t n_train) { return {rows(d, 0, n_train), rows(d, n_train, d.size())}; }

nn::ModulePtr mlp(const std::vector<int64_t>& sizes, const std::string& activation, bool batch_norm,
                  const std::string& init) {
  STRATA_CHECK(sizes.size() >= 2, "[labs::mlp] need at least input and output sizes, got ", sizes.size());
  auto model = std::make_shared<nn::Sequential>();
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    auto linear = std::make_shared<nn::Linear>(sizes[i], sizes[i + 1]);
    if (init == "xavier") {
      nn::init::xavier_normal_(linear->param("weight"));
    } else if (init == "he") {
      nn::init::kaiming_normal_(linear->param("weight"), 0.0, "fan_in", "relu");
    } else if (init == "zero") {
      nn::init::zeros_(linear->param("weight"));
    } else {
      STRATA_CHECK(init == "default", "[labs::mlp] unknown init \"", init, "\" (default, xavier, he, zero)");
    }
    if (init != "default") nn::init::zeros_(linear->param("bias"));
    model->push_back(linear);
    if (i + 2 == sizes.size()) break;  // no activation after the output layer
    if (batch_norm) model->push_back(std::make_shared<nn::BatchNorm1d>(sizes[i + 1]));
    if (activation == "relu") {
      model->push_back(std::make_shared<nn::ReLU>());
    } else if (activation == "leaky_relu") {
      model->push_back(std::make_shared<nn::LeakyReLU>(0.01));
    } else if (activation == "sigmoid") {
      model->push_back(std::make_shared<nn::Sigmoid>());
    } else if (activation == "tanh") {
      model->push_back(std::make_shared<nn::Tanh>());
    } else {
      STRATA_CHECK(activation == "none", "[labs::mlp] unknown activation \"", activation,
                   "\" (relu, leaky_relu, sigmoid, tanh, none)");
    }
  }
  return model;
}

Tensor Residual::forward(const Tensor& x) { return add(x, (*child("inner"))(x)); }

std::vector<std::pair<std::string, nn::ModulePtr>> weight_layers(nn::Module& model) {
  std::vector<std::pair<std::string, nn::ModulePtr>> out;
  for (auto& [name, m] : model.named_modules()) {
    if (m->type_name() == "Linear" || m->type_name() == "Conv2d") out.emplace_back(name, m);
  }
  return out;
}

train::History fit(nn::Module& model, const nn::Loss& loss, optim::Optimizer& optimizer, const XY& train_set,
                   int64_t batch_size, train::FitOptions options, const XY* val_set, uint64_t seed) {
  data::DataLoaderOptions lo;
  lo.batch_size = batch_size;
  lo.shuffle = true;
  lo.seed = seed;
  lo.prefetch = false;  // in-memory rows: a background thread would only add handoffs
  data::DataLoader train_loader(std::make_shared<data::TensorDataset>(train_set.x, train_set.y), lo);
  if (!val_set) return train::fit(model, loss, optimizer, train_loader, options);
  data::DataLoaderOptions vo;
  vo.batch_size = std::max<int64_t>(val_set->size(), 1);
  vo.prefetch = false;
  data::DataLoader val_loader(std::make_shared<data::TensorDataset>(val_set->x, val_set->y), vo);
  return train::fit(model, loss, optimizer, train_loader, options, &val_loader);
}

Tensor predict(nn::Module& model, const Tensor& x) {
  bool was_training = model.is_training();
  model.eval();
  Tensor out;
  {
    NoGradGuard no_grad;
    out = model(x);
  }
  model.train(was_training);
  return out;
}

double accuracy(nn::Module& model, const XY& d) { return train::accuracy(predict(model, d.x), d.y); }

double loss_on(nn::Module& model, const nn::Loss& loss, const XY& d) {
  bool was_training = model.is_training();
  model.eval();
  double v = 0;
  {
    NoGradGuard no_grad;
    v = loss(model(d.x), d.y).item();
  }
  model.train(was_training);
  return v;
}

std::vector<double> weight_grad_norms(nn::Module& model, const nn::Loss& loss, const XY& d) {
  model.zero_grad();
  loss(model(d.x), d.y).backward();
  std::vector<double> out;
  for (auto& [name, layer] : weight_layers(model)) {
    Tensor g = layer->param("weight").grad();
    out.push_back(g.defined() ? g.norm().item() : 0.0);
  }
  return out;
}

std::string fmt(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
  return buf;
}

std::string pct(double fraction, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f%%", decimals, 100.0 * fraction);
  return buf;
}

std::string times(double ratio) {
  char buf[48];
  std::snprintf(buf, sizeof(buf),
                std::isfinite(ratio) && std::fabs(ratio) >= 100 && std::fabs(ratio) < 1e9 ? "%.0fx" : "%.3gx", ratio);
  return buf;
}

std::vector<double> iota(size_t n, double start) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = start + static_cast<double>(i);
  return x;
}

std::vector<double> values(const Tensor& t) { return t.detach().to(kFloat64).contiguous().to_vector<double>(); }

}  // namespace strata::labs::kit
