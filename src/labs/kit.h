#pragma once
// What many labs share: small synthetic data sets, MLP building, training on in-memory tensors through
// train::fit, accuracy and per-layer gradient norms, and number formatting for the printed tables. A helper
// only one lab needs stays in that lab's file.
#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/tensor.h"
#include "strata/nn/losses.h"
#include "strata/nn/module.h"
#include "strata/optim/optimizer.h"
#include "strata/train/fit.h"

namespace strata::labs::kit {

// A labelled data set held in memory: x (N, ...) float32; y (N) int64 class ids, or (N, k) float32 targets.
struct XY {
  Tensor x;
  Tensor y;
  int64_t size() const { return x.size(0); }
};

// Interleaved spirals in 2-D, `classes` arms of `turns` turns each, class ids 0..classes-1; noise is the std of
// Gaussian jitter.
XY spirals(int64_t n, int64_t classes, double noise, uint64_t seed, double turns = 1.5);
// Two concentric rings in 2-D (inner: class 0, outer: class 1): no straight line separates them.
XY circles(int64_t n, double noise, uint64_t seed);
// `classes` Gaussian blobs in `dim` dimensions, centres drawn from N(0, 1), each of std `spread`.
XY blobs(int64_t n, int64_t classes, int64_t dim, double spread, uint64_t seed);
// Two-class data with a share `flip` of the labels flipped (label noise a model can only memorise).
XY flip_labels(const XY& d, double flip, uint64_t seed);
// Rows [begin, end) of a data set (views).
XY rows(const XY& d, int64_t begin, int64_t end);
// The first n_train rows and the rest: a train / test split of a generated set (views).
std::pair<XY, XY> split(const XY& d, int64_t n_train);

// Linear layers of sizes[0] -> sizes[1] -> ... -> sizes.back(), with `activation` ("relu", "leaky_relu",
// "sigmoid", "tanh", "none") after every hidden layer and optional BatchNorm1d before it. PyTorch's default
// initialisation; `init` "xavier" / "he" / "zero" re-initialises every Linear (weights; biases zeroed).
nn::ModulePtr mlp(const std::vector<int64_t>& sizes, const std::string& activation, bool batch_norm = false,
                  const std::string& init = "default");
// y = x + inner(x): a residual (skip) connection around any shape-preserving module.
class Residual : public nn::Module {
 public:
  explicit Residual(nn::ModulePtr inner) { add_child("inner", std::move(inner)); }
  std::string type_name() const override { return "Residual"; }
  Tensor forward(const Tensor& x) override;
};

// The model's Linear / Conv2d layers (the ones with a weight matrix), in registration order, with their names.
std::vector<std::pair<std::string, nn::ModulePtr>> weight_layers(nn::Module& model);

// train::fit over in-memory tensors: shuffled mini-batches of `batch_size` (seeded), no progress output.
// `options.metrics` defaults to accuracy; pass {} for regression.
train::History fit(nn::Module& model, const nn::Loss& loss, optim::Optimizer& optimizer, const XY& train_set,
                   int64_t batch_size, train::FitOptions options, const XY* val_set = nullptr, uint64_t seed = 0);
// Outputs for x in eval mode without gradients (the training mode is restored).
Tensor predict(nn::Module& model, const Tensor& x);
// Fraction classified right (argmax over classes; one output column: > 0 is class 1).
double accuracy(nn::Module& model, const XY& d);
// The loss over the whole set, in eval mode without gradients.
double loss_on(nn::Module& model, const nn::Loss& loss, const XY& d);
// One forward + backward of `loss` on `d` (gradients left in the parameters), then the 2-norm of each weight
// layer's weight gradient, in layer order.
std::vector<double> weight_grad_norms(nn::Module& model, const nn::Loss& loss, const XY& d);

// Number text for tables: `digits` significant digits ("0.000123", "1.23e+06").
std::string fmt(double v, int digits = 3);
// A fraction as a percentage with `decimals` decimals ("93.4%").
std::string pct(double fraction, int decimals = 1);
// A ratio as "123x".
std::string times(double ratio);
// 0, 1, ..., n - 1 (plot x values).
std::vector<double> iota(size_t n, double start = 0);
// A 1-D tensor's values as doubles (any float dtype).
std::vector<double> values(const Tensor& t);

}  // namespace strata::labs::kit
