// Layers: forward values and gradients against PyTorch (tests/golden/nn/layers.bin, written by
// tests/golden/make_golden_nn.py), float64 gradcheck of each layer w.r.t. its input and parameters, and
// layer behaviour (running statistics, eval mode, dropout, errors).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "ops/golden_io.h"
#include "strata/nn/nn.h"
#include "strata/ops/normalization.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

using testing::GoldenRecord;
using ::testing::HasSubstr;

// Max |a - b| - (atol + rtol |b|) over the elements; "" when within tolerance.
std::string compare(const Tensor& got, const Tensor& want, double atol = 1e-5, double rtol = 1e-4) {
  if (got.shape() != want.shape()) return "shape " + got.shape().str() + " vs " + want.shape().str();
  const auto g = got.contiguous().to_vector<double>(), w = want.contiguous().to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (!(std::abs(g[i] - w[i]) <= atol + rtol * std::abs(w[i]))) {
      return "at " + std::to_string(i) + ": " + std::to_string(g[i]) + " vs PyTorch " + std::to_string(w[i]);
    }
  }
  return "";
}

std::map<std::string, GoldenRecord> load_records() {
  std::map<std::string, GoldenRecord> out;
  for (GoldenRecord& r : testing::read_golden_file(std::string(STRATA_TEST_DATA_DIR) + "/golden/nn/layers.bin")) {
    out.emplace(r.name, std::move(r));
  }
  return out;
}

const GoldenRecord& record(const std::string& name) {
  static const std::map<std::string, GoldenRecord> recs = load_records();
  auto it = recs.find(name);
  if (it == recs.end()) throw Error("no golden record " + name);
  return it->second;
}

// Loads the record's parameters (inputs 1..n_params, in module.parameters() order) into m, runs forward
// and backward, and compares the output and the gradients of the input and of every parameter.
void replay(const std::string& name, Module& m, size_t n_params) {
  const GoldenRecord& r = record(name);
  ASSERT_GE(r.inputs.size(), 1 + n_params);
  auto named = m.named_parameters();
  ASSERT_EQ(named.size(), n_params) << name;
  StateDict sd;
  for (size_t i = 0; i < n_params; ++i) sd.insert(named[i].first, r.inputs[1 + i]);
  m.load_state_dict(sd, false);
  Tensor x = r.inputs[0].clone().requires_grad_(true);
  Tensor y = m(x);
  EXPECT_EQ(compare(y, r.output), "") << name << " output";
  y.backward(r.grad_output);
  ASSERT_TRUE(x.grad().defined()) << name;
  EXPECT_EQ(compare(x.grad(), r.input_grads[0]), "") << name << " input gradient";
  for (size_t i = 0; i < n_params; ++i) {
    ASSERT_TRUE(named[i].second.grad().defined()) << name << " " << named[i].first;
    EXPECT_EQ(compare(named[i].second.grad(), r.input_grads[1 + i]), "") << name << " gradient of " << named[i].first;
  }
}

TEST(GoldenLayers, Linear) {
  Linear l(5, 3);
  replay("linear", l, 2);
  Linear nb(5, 3, false);
  replay("linear.no_bias", nb, 1);
}

TEST(GoldenLayers, Sequential) {
  Sequential mlp{std::make_shared<Linear>(5, 4), std::make_shared<ReLU>(), std::make_shared<Linear>(4, 3)};
  replay("sequential.mlp", mlp, 4);
}

TEST(GoldenLayers, LayerNorm) {
  LayerNorm ln({4, 6});
  replay("layernorm", ln, 2);
}

void replay_batchnorm(const std::string& name, BatchNormBase& bn, bool train) {
  const GoldenRecord& r = record(name);
  ASSERT_EQ(r.inputs.size(), 7u);
  {
    NoGradGuard g;
    bn.running_mean.copy_(r.inputs[3]);
    bn.running_var.copy_(r.inputs[4]);
  }
  bn.train(train);
  replay(name, bn, 2);
  EXPECT_EQ(compare(bn.running_mean, r.inputs[5], 1e-6, 1e-5), "") << name << " running_mean";
  EXPECT_EQ(compare(bn.running_var, r.inputs[6], 1e-6, 1e-5), "") << name << " running_var";
  EXPECT_EQ(bn.num_batches_tracked.item(), train ? 1.0 : 0.0);
}

TEST(GoldenLayers, BatchNorm) {
  BatchNorm1d a(4), b(3), c(4);
  replay_batchnorm("batchnorm1d.train", a, true);
  replay_batchnorm("batchnorm1d.train_3d", b, true);
  replay_batchnorm("batchnorm1d.eval", c, false);
  BatchNorm2d d(4), e(4);
  replay_batchnorm("batchnorm2d.train", d, true);
  replay_batchnorm("batchnorm2d.eval", e, false);
}

TEST(GoldenLayers, DropoutEvalAndActivations) {
  Dropout d(0.5);
  d.eval();
  replay("dropout.eval", d, 0);
  ReLU relu;
  replay("relu", relu, 0);
  LeakyReLU lrelu(0.2);
  replay("leaky_relu", lrelu, 0);
  Sigmoid sig;
  replay("sigmoid", sig, 0);
  Tanh th;
  replay("tanh", th, 0);
  GELU gelu;
  replay("gelu", gelu, 0);
  GELU gelu_tanh("tanh");
  replay("gelu.tanh", gelu_tanh, 0);
  Softmax sm(1);
  replay("softmax.dim1", sm, 0);
  LogSoftmax lsm(0);
  replay("log_softmax.dim0", lsm, 0);
  Flatten fl;
  replay("flatten", fl, 0);
}

// float64 gradcheck of a module w.r.t. its input and all its parameters (perturbed in place).
void check_module(Module& m, Tensor x, double atol = 1e-6) {
  TensorList inputs{x.requires_grad_(true)};
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  GradcheckReport rep = gradcheck([&](const TensorList& in) { return m.forward(in[0]); }, inputs, 1e-6, atol, 1e-4);
  EXPECT_TRUE(rep.passed) << m.type_name() << ": " << rep.message;
}

TEST(LayerGradcheck, EveryLayer) {
  Generator g(42);
  auto x = [&](const Shape& s) { return randn(s, TensorOptions(kFloat64), &g); };
  Linear lin(4, 3, true, kFloat64, &g);
  check_module(lin, x({2, 4}));
  Linear lin3(4, 2, false, kFloat64, &g);
  check_module(lin3, x({2, 3, 4}));
  BatchNorm1d bn1(3, 1e-5, 0.1, true, true, kFloat64);
  {
    NoGradGuard ng;
    bn1.weight.copy_(x({3}));
    bn1.bias.copy_(x({3}));
  }
  check_module(bn1, x({5, 3}));
  check_module(bn1, x({2, 3, 4}));
  bn1.eval();
  check_module(bn1, x({4, 3}));
  BatchNorm2d bn2(2, 1e-5, 0.1, true, true, kFloat64);
  check_module(bn2, x({3, 2, 2, 3}));
  bn2.eval();
  check_module(bn2, x({2, 2, 2, 2}));
  LayerNorm ln({3, 4}, 1e-5, true, kFloat64);
  {
    NoGradGuard ng;
    ln.weight.copy_(x({3, 4}));
    ln.bias.copy_(x({3, 4}));
  }
  check_module(ln, x({2, 3, 4}));
  LayerNorm ln_plain({5}, 1e-5, false, kFloat64);
  check_module(ln_plain, x({3, 5}));
  Generator dg(7);
  Dropout dr(0.4, &dg);
  // Same mask on every call: reseed inside the function.
  GradcheckReport rep = gradcheck(
      [&](const TensorList& in) {
        dg.manual_seed(7);
        return dr.forward(in[0]);
      },
      {x({3, 4}).requires_grad_(true)});
  EXPECT_TRUE(rep.passed) << rep.message;
  LeakyReLU lr(0.1);
  check_module(lr, x({3, 4}));
  Sigmoid s;
  check_module(s, x({3, 4}));
  Tanh t;
  check_module(t, x({3, 4}));
  GELU ge;
  check_module(ge, x({3, 4}));
  Softmax sm(0);
  check_module(sm, x({3, 4}));
  LogSoftmax lsm(1);
  check_module(lsm, x({3, 4}));
  Flatten fl(0, 1);
  check_module(fl, x({2, 3, 2}));
  Sequential mlp{std::make_shared<Linear>(3, 4, true, kFloat64, &g), std::make_shared<Tanh>(),
                 std::make_shared<LayerNorm>(std::vector<int64_t>{4}, 1e-5, true, kFloat64),
                 std::make_shared<Linear>(4, 2, true, kFloat64, &g)};
  check_module(mlp, x({3, 3}));
}

TEST(LayerGradcheck, ReluAwayFromZero) {
  Tensor x = tensor({{0.5, -0.3, 1.2}, {-2.0, 0.7, -0.1}}, kFloat64);
  ReLU r;
  check_module(r, x);
}

TEST(BatchNormModule, RunningStatisticsFollowPyTorchsUpdate) {
  BatchNorm1d bn(2, 1e-5, 0.5);
  Tensor x = tensor({{1.0, 10.0}, {3.0, 20.0}, {5.0, 60.0}});
  Tensor y = bn(x);
  // mean (3, 30); biased var (8/3, 1400/3); unbiased (4, 700). running = 0.5 * old + 0.5 * batch.
  EXPECT_EQ(compare(bn.running_mean, tensor({1.5, 15.0})), "");
  EXPECT_EQ(compare(bn.running_var, tensor({0.5 + 2.0, 0.5 + 350.0})), "");
  EXPECT_EQ(bn.num_batches_tracked.item(), 1.0);
  EXPECT_EQ(compare(y.select(1, 0), tensor({-2.0, 0.0, 2.0}) / std::sqrt(8.0 / 3 + 1e-5)), "");
  // Eval uses the running statistics and leaves them alone.
  bn.eval();
  Tensor ye = bn(tensor({{1.5, 15.0}}));
  EXPECT_EQ(compare(ye, tensor({{0.0, 0.0}})), "");
  EXPECT_EQ(bn.num_batches_tracked.item(), 1.0);
  EXPECT_EQ(compare(bn.running_mean, tensor({1.5, 15.0})), "");
}

TEST(BatchNormModule, CumulativeAverageWithoutMomentum) {
  BatchNorm1d bn(1, 1e-5, std::nullopt);
  bn(tensor({1.0, 3.0}).reshape({2, 1}));  // mean 2
  bn(tensor({5.0, 7.0}).reshape({2, 1}));  // mean 6: cumulative average (2 + 6) / 2
  EXPECT_EQ(compare(bn.running_mean, tensor({4.0})), "");
  EXPECT_EQ(bn.num_batches_tracked.item(), 2.0);
}

TEST(BatchNormModule, NoRunningStatsAndErrors) {
  BatchNorm2d bn(2, 1e-5, 0.1, false, false);
  EXPECT_EQ(bn.state_dict().size(), 0u);
  EXPECT_EQ(bn.parameters().size(), 0u);
  bn.eval();
  Tensor x = randn({2, 2, 3, 3});
  // Without running statistics, eval normalises with the batch statistics.
  EXPECT_NEAR(bn(x).mean({0, 2, 3}).abs().max().item(), 0.0, 1e-6);
  BatchNorm2d b2(3);
  try {
    b2(randn({2, 3, 4}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected 4D input"));
    EXPECT_THAT(e.what(), HasSubstr("(2, 3, 4)"));
  }
  EXPECT_THAT(
      [&] {
        try {
          b2(randn({2, 4, 2, 2}));
        } catch (const Error& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("expected 3 channels"));
  BatchNorm1d b1(3);
  EXPECT_THROW(b1(randn({1, 3})), Error);  // one value per channel in training
  b1.eval();
  EXPECT_NO_THROW(b1(randn({1, 3})));
}

TEST(DropoutModule, TrainingScalesAndEvalIsIdentity) {
  Generator g(3);
  Dropout d(0.25, &g);
  Tensor x = full({4000}, 2.0);
  Tensor y = d(x);
  auto v = y.to_vector<float>();
  int64_t zeros = 0;
  for (float e : v) {
    if (e == 0.0f) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(e, 2.0f / 0.75f);
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros) / 4000.0, 0.25, 0.03);
  d.eval();
  EXPECT_TRUE(d(x).is_same(x));
  EXPECT_THROW(Dropout(1.5), Error);
  EXPECT_EQ(dropout(x, 1.0).abs().sum().item(), 0.0);
  // The mask is PyTorch's: torch.manual_seed(7); F.dropout(torch.ones(8), 0.5)
  Generator g7(7);
  EXPECT_EQ(dropout(ones({8}), 0.5, true, &g7).to_vector<float>(),
            (std::vector<float>{2.0f, 2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 2.0f, 0.0f}));
}

TEST(LayerNormOp, FusedKernelMatchesComposedOps) {
  Generator g(5);
  for (const auto& [m, n] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 7}, {64, 129}, {300, 257}}) {
    for (DType dt : {kFloat32, kFloat64}) {
      Tensor x = randn({m, n}, TensorOptions(dt), &g).mul_(3.0).add_(1.0);
      Tensor w = randn({n}, TensorOptions(dt), &g), b = randn({n}, TensorOptions(dt), &g);
      Tensor mu = x.mean({1}, true);
      Tensor ref = (x - mu) * rsqrt(x.var({1}, 0, true) + 1e-5) * w + b;
      const double tol = dt == kFloat32 ? 2e-4 : 1e-10;
      EXPECT_EQ(compare(layer_norm(x, {n}, w, b), ref, tol, tol), "") << m << "x" << n;
    }
  }
  try {
    layer_norm(randn({2, 3}), {4});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("[layer_norm]"));
    EXPECT_THAT(e.what(), HasSubstr("(2, 3)"));
  }
  EXPECT_THROW(layer_norm(randn({2, 3}), {3}, ones({4})), Error);
}

// The fused backward kernel against autograd through the composed ops, on sizes that take the parallel
// paths (M * N above kParallelGrain) and on a transposed (non-contiguous) input.
TEST(LayerNormOp, FusedBackwardMatchesComposedOps) {
  Generator g(8);
  for (const auto& [m, n] : std::vector<std::pair<int64_t, int64_t>>{{2, 3}, {17, 33}, {260, 140}}) {
    for (bool transposed : {false, true}) {
      Tensor base = randn(transposed ? Shape{n, m} : Shape{m, n}, TensorOptions(kFloat64), &g);
      Tensor w0 = randn({n}, TensorOptions(kFloat64), &g), b0 = randn({n}, TensorOptions(kFloat64), &g);
      Tensor gy = randn({m, n}, TensorOptions(kFloat64), &g);
      auto run = [&](bool fused) {
        Tensor xb = base.clone().requires_grad_(true), w = w0.clone().requires_grad_(true),
               b = b0.clone().requires_grad_(true);
        Tensor x = transposed ? xb.t() : xb;
        Tensor y =
            fused ? layer_norm(x, {n}, w, b) : (x - x.mean({1}, true)) * rsqrt(x.var({1}, 0, true) + 1e-5) * w + b;
        y.backward(gy);
        return TensorList{xb.grad(), w.grad(), b.grad()};
      };
      TensorList f = run(true), r = run(false);
      for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(compare(f[i], r[i], 1e-9, 1e-9), "")
            << m << "x" << n << " transposed " << transposed << " grad " << i;
      }
    }
  }
}

TEST(LinearModule, ForwardAndErrors) {
  Linear l(3, 2);
  {
    NoGradGuard g;
    l.weight.copy_(tensor({{1.0, 2.0, 3.0}, {-1.0, 0.5, 0.0}}));
    l.bias.copy_(tensor({0.5, -0.5}));
  }
  EXPECT_EQ(l(tensor({{1.0, 1.0, 1.0}})).to_vector<float>(), (std::vector<float>{6.5f, -1.0f}));
  try {
    l(randn({2, 4}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("[Linear]"));
    EXPECT_THAT(e.what(), HasSubstr("(2, 4)"));
  }
  EXPECT_EQ(l.in_features(), 3);
  EXPECT_EQ(l.out_features(), 2);
}

TEST(ConvModule, ConstructionParametersAndErrors) {
  Conv2d c(4, 6, {3, 5}, {2, 1}, {1, 2}, 1, 2, false);
  EXPECT_EQ(c.weight.shape(), Shape({6, 2, 3, 5}));
  EXPECT_FALSE(c.bias.defined());
  EXPECT_EQ(c.state_dict().size(), 1u);
  const double bound = 1 / std::sqrt(2.0 * 15);  // kaiming_uniform(a = sqrt(5)) bound = 1 / sqrt(fan_in)
  EXPECT_LE(c.weight.abs().max().item(), bound);
  EXPECT_THROW(Conv2d(3, 4, 3, 1, 0, 1, 2), Error);  // in not divisible by groups
  EXPECT_THROW(Conv2d(4, 3, 3, 1, 0, 1, 2), Error);  // out not divisible by groups
  EXPECT_THROW(Conv2d(4, 4, 3, 2, "same"), Error);   // same with stride
  EXPECT_THROW(Conv2d(4, 4, 0), Error);
  EXPECT_THROW(Conv2dPadding(std::string("full")), Error);
  Conv2d v(2, 2, 3, 1, "valid");
  EXPECT_THAT(v.to_string(), HasSubstr("padding=valid"));
  MaxPool2d mp(3, 2, 1);
  EXPECT_EQ(mp.to_string(), "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)");
  EXPECT_THROW(MaxPool2d(2, 2, 2), Error);
  AdaptiveAvgPool2d ap({2, 3});
  EXPECT_EQ(ap.to_string(), "AdaptiveAvgPool2d(output_size=(2, 3))");
}

}  // namespace
}  // namespace strata::nn
