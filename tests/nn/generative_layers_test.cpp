// conv_transpose2d / ConvTranspose2d, upsample_* / Upsample, Unflatten and MinibatchStdDev: hand values, float64
// gradchecks, errors, and forward/backward against PyTorch (tests/golden/nn/generative.bin, from
// tests/golden/make_golden_generative.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "nn/golden_layers.h"
#include "ops/golden_io.h"
#include "strata/nn/nn.h"
#include "strata/strata.h"
#include "test_util.h"

namespace strata::nn {
namespace {

using testing::GoldenRecord;
using ::testing::HasSubstr;

void replay(const std::string& name, Module& m) { testing::replay_golden_layer("generative.bin", name, m); }
const GoldenRecord& record(const std::string& name) { return testing::golden_layer_record("generative.bin", name); }

void check_module(Module& m, Tensor x) {
  TensorList inputs{x.requires_grad_(true)};
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  GradcheckReport rep = gradcheck([&](const TensorList& in) { return m.forward(in[0]); }, inputs, 1e-6, 1e-6, 1e-4);
  EXPECT_TRUE(rep.passed) << m.type_name() << ": " << rep.message;
}

std::vector<double> values(const Tensor& t) { return contiguous(t.to(kFloat64)).to_vector<double>(); }

TEST(ConvTranspose2dOp, HandValues) {
  const Tensor x = tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  const Tensor w = ones({1, 1, 2, 2});
  // Stride 2: every input pixel becomes a 2x2 block.
  EXPECT_THAT(values(conv_transpose2d(x, w, Tensor(), {2, 2})),
              ::testing::ElementsAre(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4));
  // Stride 1: overlapping blocks add up; bias adds to every pixel; padding 1 crops one ring.
  EXPECT_THAT(values(conv_transpose2d(x, w, tensor({0.5}))),
              ::testing::ElementsAre(1.5, 3.5, 2.5, 4.5, 10.5, 6.5, 3.5, 7.5, 4.5));
  EXPECT_THAT(values(conv_transpose2d(x, w, Tensor(), {1, 1}, {1, 1})), ::testing::ElementsAre(10));
  // output_padding adds a zero row/column (bias only) at the bottom/right.
  const Tensor y = conv_transpose2d(x, w, tensor({0.5}), {2, 2}, {0, 0}, {1, 0});
  EXPECT_EQ(y.shape(), Shape({1, 1, 5, 4}));
  EXPECT_THAT(values(select(select(select(y, 0, 0), 0, 0), 0, 4)), ::testing::ElementsAre(0.5, 0.5, 0.5, 0.5));
  // Unbatched (C, H, W), and a strided (transposed) input.
  EXPECT_EQ(conv_transpose2d(select(x, 0, 0), w).shape(), Shape({1, 3, 3}));
  const Tensor xt = transpose(x, 2, 3);
  EXPECT_THAT(values(conv_transpose2d(xt, w, Tensor(), {2, 2})),
              ::testing::ElementsAre(1, 1, 3, 3, 1, 1, 3, 3, 2, 2, 4, 4, 2, 2, 4, 4));
}

TEST(ConvTranspose2dOp, DcganShapes) {
  const Tensor x = randn({2, 8, 7, 7});
  const Tensor w = randn({8, 4, 4, 4});
  EXPECT_EQ(conv_transpose2d(x, w, Tensor(), {2, 2}, {1, 1}).shape(), Shape({2, 4, 14, 14}));
  EXPECT_EQ(conv_transpose2d(randn({2, 8, 14, 14}), w, Tensor(), {2, 2}, {1, 1}).shape(), Shape({2, 4, 28, 28}));
  // Is the adjoint of conv2d: <conv_transpose2d(x, w), z> == <x, conv2d(z, w)>.
  const Tensor z = randn({2, 4, 14, 14});
  const double lhs = (conv_transpose2d(x, w, Tensor(), {2, 2}, {1, 1}) * z).sum().item();
  const double rhs = (x * conv2d(z, w, Tensor(), {2, 2}, {1, 1})).sum().item();
  EXPECT_NEAR(lhs, rhs, 1e-3 * std::abs(rhs) + 1e-3);
}

TEST(ConvTranspose2dOp, Errors) {
  const Tensor x = randn({1, 4, 3, 3});
  const auto msg = [](auto f) { return testing::error_of(f); };
  EXPECT_THAT(msg([&] {
                conv_transpose2d(x, randn({3, 2, 3, 3}));
              }),
              HasSubstr("[conv_transpose2d] input has 4 channels but weight expects 3"));
  EXPECT_THAT(msg([&] {
                conv_transpose2d(x, randn({4, 2, 3, 3}), Tensor(), {1, 1}, {0, 0}, {1, 0});
              }),
              HasSubstr("output_padding must be smaller than either stride or dilation"));
  EXPECT_THAT(msg([&] {
                conv_transpose2d(x, randn({4, 2, 3, 3}), Tensor(), {2, 2}, {0, 0}, {2, 0});
              }),
              HasSubstr("output_padding (2, 0), stride (2, 2)"));
  EXPECT_THAT(msg([&] {
                conv_transpose2d(x, randn({4, 2, 3, 3}), Tensor(), {1, 1}, {0, 0}, {0, 0}, 3);
              }),
              HasSubstr("groups (3) must divide"));
  EXPECT_THAT(msg([&] {
                conv_transpose2d(x, randn({4, 2, 3, 3}), randn({3}));
              }),
              HasSubstr("bias of shape (3,) does not match"));
  EXPECT_THAT(msg([&] {
                conv_transpose2d(x, randn({4, 2, 1, 1}), Tensor(), {1, 1}, {2, 2});
              }),
              HasSubstr("is not positive"));
  EXPECT_THAT(msg([&] { conv_transpose2d(randn({4, 3}), randn({4, 2, 3, 3})); }), HasSubstr("got shape (4, 3)"));
  EXPECT_THAT(msg([&] { ConvTranspose2d(4, 2, 3, 1, 0, 1); }), HasSubstr("[ConvTranspose2d] output_padding"));
  ConvTranspose2d m(4, 2, 3);
  EXPECT_THAT(msg([&] { m(randn({1, 3, 3, 3})); }), HasSubstr("[ConvTranspose2d] expected input (N, 4, H, W)"));
}

TEST(ConvTranspose2dOp, Gradcheck) {
  Generator g(11);
  auto r = [&](const Shape& s) { return randn(s, TensorOptions(kFloat64), &g).requires_grad_(true); };
  struct Case {
    Shape x, w;
    Size2 stride, padding, output_padding;
    int64_t groups;
    Size2 dilation;
    bool bias;
  };
  const std::vector<Case> cases = {
      {{2, 2, 3, 3}, {2, 3, 4, 4}, {2, 2}, {1, 1}, {0, 0}, 1, {1, 1}, true},   // DCGAN-like
      {{1, 4, 3, 2}, {4, 1, 3, 2}, {2, 3}, {1, 0}, {1, 2}, 2, {1, 2}, true},   // groups, output_padding
      {{1, 2, 3, 4}, {2, 2, 3, 3}, {1, 1}, {0, 1}, {1, 1}, 1, {2, 2}, false},  // output_padding < dilation
      {{2, 3, 2, 3}, {3, 2, 1, 1}, {1, 1}, {0, 0}, {0, 0}, 1, {1, 1}, true},   // pointwise
  };
  for (const Case& c : cases) {
    TensorList in{r(c.x), r(c.w)};
    if (c.bias) in.push_back(r({c.w[1] * c.groups}));
    GradcheckReport rep = gradcheck(
        [&](const TensorList& t) {
          return conv_transpose2d(t[0], t[1], c.bias ? t[2] : Tensor(), c.stride, c.padding, c.output_padding, c.groups,
                                  c.dilation);
        },
        in, 1e-6, 1e-6, 1e-4);
    EXPECT_TRUE(rep.passed) << c.x << " " << c.w << ": " << rep.message;
  }
}

TEST(GoldenGenerative, ConvTranspose2d) {
  ConvTranspose2d a(4, 3, 4, 2, 1);
  replay("convt.dcgan", a);
  ConvTranspose2d b(4, 6, {3, 2}, {2, 3}, {1, 0}, {1, 2}, 2, true, {1, 2});
  replay("convt.groups_op", b);
  ConvTranspose2d c(2, 3, 3, 1, 0, 1, 1, true, 2);
  replay("convt.dilation_op", c);
  ConvTranspose2d d(3, 2, {2, 3}, {1, 2}, {0, 1}, 0, 1, false);
  replay("convt.nonsquare_nobias", d);
  ConvTranspose2d e(3, 5, 1);
  replay("convt.pointwise", e);
  EXPECT_EQ(
      b.extra_repr(),
      "4, 6, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2), groups=2");
  EXPECT_EQ(a.extra_repr(), "4, 3, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)");
}

TEST(GoldenGenerative, ConvTranspose2dInitMatchesTorch) {
  // torch.manual_seed(7); torch.nn.ConvTranspose2d(4, 6, (3, 2), groups=2): fan_in = 3 * 3 * 2.
  const GoldenRecord& r = record("convt.init");
  manual_seed(7);
  ConvTranspose2d m(4, 6, {3, 2}, 1, 0, 0, 2);
  EXPECT_EQ(m.weight.shape(), Shape({4, 3, 3, 2}));
  EXPECT_EQ(testing::golden_mismatch(m.weight, r.inputs[0], 1e-7, 0), "");
  EXPECT_EQ(testing::golden_mismatch(m.bias, r.inputs[1], 1e-7, 0), "");
}

TEST(UpsampleOp, HandValues) {
  const Tensor x = tensor({1, 2, 3, 4}).reshape({1, 1, 2, 2});
  EXPECT_THAT(values(upsample_nearest2d(x, 2.0, 2.0)),
              ::testing::ElementsAre(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4));
  EXPECT_THAT(values(upsample_bilinear2d(x, Size2{3, 3}, true)),
              ::testing::ElementsAre(1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4));
  // Half-pixel centres: output 0 of a x2 upsample reads source -0.25, clamped to 0; output 1 reads 0.25.
  EXPECT_THAT(values(select(select(select(upsample_bilinear2d(x, 2.0, 2.0), 0, 0), 0, 0), 0, 0)),
              ::testing::ElementsAre(1, 1.25, 1.75, 2));
  EXPECT_EQ(upsample_nearest2d(select(x, 0, 0), Size2{3, 5}).shape(), Shape({1, 3, 5}));
  EXPECT_THROW(upsample_nearest2d(x, Size2{0, 3}), Error);
  EXPECT_THROW(upsample_bilinear2d(tensor({1, 2}), 2.0, 2.0), Error);
  EXPECT_THROW(Upsample(UpsampleOptions{}), Error);  // neither size nor scale_factor
  UpsampleOptions bad;
  bad.scale_factor = std::array<double, 2>{2, 2};
  bad.align_corners = true;  // nearest
  EXPECT_THROW({ Upsample u(bad); }, Error);
}

TEST(UpsampleOp, Gradcheck) {
  Generator g(5);
  const Tensor x = randn({2, 2, 3, 4}, TensorOptions(kFloat64), &g).requires_grad_(true);
  auto check = [&](const std::function<Tensor(const Tensor&)>& f, const char* what) {
    GradcheckReport rep = gradcheck([&](const TensorList& in) { return f(in[0]); }, {x}, 1e-6, 1e-6, 1e-4);
    EXPECT_TRUE(rep.passed) << what << ": " << rep.message;
  };
  check([](const Tensor& t) { return upsample_nearest2d(t, 2.0, 2.0); }, "nearest x2");
  check([](const Tensor& t) { return upsample_nearest2d(t, Size2{2, 7}); }, "nearest size");
  check([](const Tensor& t) { return upsample_bilinear2d(t, 2.0, 1.5, false); }, "bilinear x2");
  check([](const Tensor& t) { return upsample_bilinear2d(t, Size2{5, 3}, true); }, "bilinear align_corners");
  check([](const Tensor& t) { return upsample_bilinear2d(t, Size2{2, 7}, false); }, "bilinear size");
}

TEST(GoldenGenerative, Upsample) {
  auto make = [](std::optional<Size2> size, std::optional<double> scale, const char* mode, bool ac) {
    UpsampleOptions o;
    o.size = size;
    if (scale) o.scale_factor = std::array<double, 2>{*scale, *scale};
    o.mode = mode;
    o.align_corners = ac;
    return Upsample(o);
  };
  struct Case {
    const char* name;
    std::optional<Size2> size;
    std::optional<double> scale;
    const char* mode;
    bool ac;
  };
  const std::vector<Case> cases = {
      {"upsample.nearest_x2", std::nullopt, 2.0, "nearest", false},
      {"upsample.nearest_size", Size2{5, 7}, std::nullopt, "nearest", false},
      {"upsample.nearest_down", Size2{2, 3}, std::nullopt, "nearest", false},
      {"upsample.bilinear_x2", std::nullopt, 2.0, "bilinear", false},
      {"upsample.bilinear_x1.5", std::nullopt, 1.5, "bilinear", false},
      {"upsample.bilinear_size", Size2{5, 7}, std::nullopt, "bilinear", false},
      {"upsample.bilinear_down", Size2{2, 3}, std::nullopt, "bilinear", false},
      {"upsample.bilinear_ac_x2", std::nullopt, 2.0, "bilinear", true},
      {"upsample.bilinear_ac_size", Size2{5, 7}, std::nullopt, "bilinear", true},
      {"upsample.bilinear_ac_down", Size2{2, 3}, std::nullopt, "bilinear", true},
  };
  for (const Case& c : cases) {
    Upsample u = make(c.size, c.scale, c.mode, c.ac);
    replay(c.name, u);
  }
  EXPECT_EQ(make(std::nullopt, 2.0, "nearest", false).extra_repr(), "scale_factor=2.0, mode='nearest'");
  EXPECT_EQ(make(Size2{5, 7}, std::nullopt, "bilinear", true).extra_repr(),
            "size=(5, 7), mode='bilinear', align_corners=True");
}

TEST(Unflatten, ReshapesOneDim) {
  Unflatten u(1, {32, 7, 7});
  EXPECT_EQ(u(randn({3, 1568})).shape(), Shape({3, 32, 7, 7}));
  Unflatten v(-1, {2, -1});
  const Tensor x = arange(12.0).reshape({2, 6});
  const Tensor y = v(x);
  EXPECT_EQ(y.shape(), Shape({2, 2, 3}));
  EXPECT_THAT(values(y), ::testing::ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
  EXPECT_EQ(u.extra_repr(), "dim=1, unflattened_size=(32, 7, 7)");
  try {
    u(randn({3, 100}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("[Unflatten] sizes (32, 7, 7) do not multiply to dim 1 of input shape (3, 100)"));
  }
  EXPECT_THROW(Unflatten(1, {-1, -1}), Error);
  Generator g(2);
  check_module(u, randn({2, 1568}, TensorOptions(kFloat64), &g));
}

TEST(MinibatchStdDev, HandValuesAndGradcheck) {
  MinibatchStdDev m;
  // Feature 0: values 0, 2 -> std sqrt(1 + 1e-8); feature 1: 1, 1 -> std sqrt(1e-8) = 1e-4; their mean.
  const Tensor y = m(tensor({{0, 1}, {2, 1}}, TensorOptions(kFloat64)));
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  const std::vector<double> v = values(y);
  EXPECT_DOUBLE_EQ(v[2], (std::sqrt(1 + 1e-8) + 1e-4) / 2);
  EXPECT_DOUBLE_EQ(v[5], v[2]);
  EXPECT_DOUBLE_EQ(v[3], 2);
  EXPECT_EQ(m(randn({3, 2, 4, 5})).shape(), Shape({3, 3, 4, 5}));
  EXPECT_THROW(m(randn({3, 2, 4})), Error);
  Generator g(3);
  check_module(m, randn({4, 3}, TensorOptions(kFloat64), &g));
  check_module(m, randn({3, 2, 2, 3}, TensorOptions(kFloat64), &g));
  replay("mbstd.2d", m);
  replay("mbstd.4d", m);
}

}  // namespace
}  // namespace strata::nn
