// diag::loss_along_line / loss_surface: exact endpoints and centre, filter normalisation, restored weights;
// the summaries on hand-made lines and surfaces; JSON with null for non-finite losses.
#include "strata/diag/landscape.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/losses.h"
#include "strata/nn/nn.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/optim.h"

using namespace strata;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A small classifier with batch norm (buffers) on fixed data, trained a few steps to get a second weight vector.
struct Net {
  std::shared_ptr<nn::Sequential> model;
  Tensor x, y;
  nn::CrossEntropyLoss ce;
  nn::StateDict init, trained;

  Net() {
    Generator g(11);
    model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::Linear>(4, 8, true, kFloat32, &g), std::make_shared<nn::BatchNorm1d>(8),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(8, 3, true, kFloat32, &g)});
    x = randn({48, 4}, {}, &g);
    y = x.narrow(1, 0, 3).argmax(1, false);
    init = copy(model->state_dict());
    optim::SGD opt(model->parameters(), {.lr = 0.2});
    for (int i = 0; i < 5; ++i) {
      opt.zero_grad();
      ce(model->forward(x), y).backward();
      opt.step();
    }
    trained = copy(model->state_dict());
  }
  static nn::StateDict copy(const nn::StateDict& s) {
    nn::StateDict out;
    for (const auto& [k, t] : s) out.insert(k, t.clone());
    return out;
  }
  double eval_loss() const { return ce(model->forward(x), y).item(); }
  // The loss in eval mode with `weights` loaded (restores nothing).
  double loss_at(const nn::StateDict& weights) const {
    model->load_state_dict(weights);
    model->eval();
    NoGradGuard ng;
    return eval_loss();
  }
};

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

void expect_bit_equal(const nn::StateDict& a, const nn::StateDict& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, t] : a) EXPECT_EQ(values(t), values(b.at(k))) << k;
}

double norm_of(const std::vector<double>& v, size_t lo, size_t hi) {
  double s = 0;
  for (size_t i = lo; i < hi; ++i) s += v[i] * v[i];
  return std::sqrt(s);
}

}  // namespace

TEST(Landscape, LineEndpointsAreTheTwoWeightVectorsExactly) {
  Net n;
  // theta(0): init's parameters with the trained buffers; theta(1): the trained weights.
  nn::StateDict start = Net::copy(n.init);
  for (const auto& [k, t] : n.model->named_buffers()) start.insert(k, n.trained.at(k));
  const double l0 = n.loss_at(start), l1 = n.loss_at(n.trained);
  n.model->load_state_dict(n.trained);
  n.model->train();
  const nn::StateDict before = Net::copy(n.model->state_dict());
  diag::LineOptions o;
  o.points = 5;
  o.from = 0;
  o.to = 1;
  const diag::Line line = diag::loss_along_line(
      *n.model, n.init, n.trained, [&] { return n.eval_loss(); }, o);
  ASSERT_EQ(line.alpha, (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(line.loss.front(), l0);
  EXPECT_EQ(line.loss.back(), l1);
  EXPECT_NE(l0, l1);
  EXPECT_LT(l1, l0);  // training lowered the loss
  expect_bit_equal(n.model->state_dict(), before);
  EXPECT_TRUE(n.model->is_training());

  // The default grid (-0.25 .. 1.25, 25 points) passes through 0, 0.5 and 1 exactly.
  const diag::Line full = diag::loss_along_line(*n.model, n.init, n.trained, [&] { return n.eval_loss(); });
  ASSERT_EQ(full.alpha.size(), 25u);
  EXPECT_EQ(full.alpha[4], 0.0);
  EXPECT_EQ(full.alpha[12], 0.5);
  EXPECT_EQ(full.alpha[20], 1.0);
  EXPECT_EQ(full.loss[4], l0);
  EXPECT_EQ(full.loss[20], l1);
  const diag::LineSummary s = diag::summarize(full);
  EXPECT_EQ(s.loss0, l0);
  EXPECT_EQ(s.loss1, l1);
  EXPECT_EQ(s.loss_half, line.loss[2]);
  expect_bit_equal(n.model->state_dict(), before);
}

TEST(Landscape, LineRestoresWeightsWhenEvalThrowsAndChecksKeys) {
  Net n;
  n.model->load_state_dict(n.trained);
  int calls = 0;
  EXPECT_THROW(diag::loss_along_line(*n.model, n.init, n.trained,
                                     [&]() -> double {
                                       if (++calls == 3) throw Error("boom");
                                       return n.eval_loss();
                                     }),
               Error);
  expect_bit_equal(n.model->state_dict(), n.trained);
  nn::StateDict missing;
  for (const auto& [k, t] : n.init) {
    if (k != "3.bias") missing.insert(k, t);
  }
  try {
    diag::loss_along_line(*n.model, missing, n.trained, [&] { return n.eval_loss(); });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3.bias"), std::string::npos) << e.what();
  }
}

TEST(Landscape, FilterNormalisedDirections) {
  Generator g(1);
  nn::Sequential m({std::make_shared<nn::Conv2d>(2, 3, 3, 1, 0, 1, 1, true, kFloat32, &g),
                    std::make_shared<nn::BatchNorm2d>(3), std::make_shared<nn::Linear>(5, 4, true, kFloat32, &g)});
  {
    NoGradGuard ng;
    Tensor bn_weight = m.named_parameters()[2].second;
    uniform_(bn_weight, 0.5, 2.0);  // not all ones, so that its norm is not trivial
  }
  for (bool ignore : {true, false}) {
    Generator dg(7);
    const std::vector<Tensor> d = diag::filter_normalized_direction(m, dg, ignore);
    const auto params = m.named_parameters();
    ASSERT_EQ(d.size(), params.size());
    for (size_t p = 0; p < params.size(); ++p) {
      const Tensor& w = params[p].second;
      ASSERT_EQ(d[p].shape(), w.shape()) << params[p].first;
      EXPECT_EQ(d[p].dtype(), kFloat64);
      const std::vector<double> dv = d[p].to_vector<double>(), wv = w.to_vector<double>();
      if (w.dim() == 1) {
        if (ignore) {
          EXPECT_EQ(norm_of(dv, 0, dv.size()), 0.0) << params[p].first;
        } else {
          EXPECT_NEAR(norm_of(dv, 0, dv.size()), norm_of(wv, 0, wv.size()), 1e-9) << params[p].first;
        }
        continue;
      }
      // One filter per output channel / row.
      const size_t len = dv.size() / static_cast<size_t>(w.size(0));
      for (size_t f = 0; f < static_cast<size_t>(w.size(0)); ++f) {
        const double nw = norm_of(wv, f * len, (f + 1) * len);
        EXPECT_GT(nw, 0);
        EXPECT_NEAR(norm_of(dv, f * len, (f + 1) * len), nw, 1e-9 * nw) << params[p].first << " filter " << f;
      }
      // Not just the weight itself: a random direction.
      EXPECT_NE(dv, wv);
    }
  }
}

TEST(Landscape, SurfaceCentreIsTheCurrentLossAndWeightsComeBack) {
  Net n;
  n.model->load_state_dict(n.trained);
  const double current = n.loss_at(n.trained);
  n.model->train();
  const nn::StateDict before = Net::copy(n.model->state_dict());
  diag::SurfaceOptions o;
  o.steps = 5;
  o.range = 0.5;
  o.seed = 3;
  const diag::Surface s = diag::loss_surface(
      *n.model, [&] { return n.eval_loss(); }, o);
  ASSERT_EQ(s.a, (std::vector<double>{-0.5, -0.25, 0, 0.25, 0.5}));
  ASSERT_EQ(s.b, s.a);
  ASSERT_EQ(s.loss.size(), 5u);
  EXPECT_EQ(s.loss[2][2], current);
  bool differs = false;
  for (const auto& row : s.loss) {
    ASSERT_EQ(row.size(), 5u);
    for (double v : row) differs = differs || v != current;
  }
  EXPECT_TRUE(differs);
  expect_bit_equal(n.model->state_dict(), before);
  EXPECT_TRUE(n.model->is_training());
  // Same seed, same surface.
  EXPECT_EQ(diag::loss_surface(
                *n.model, [&] { return n.eval_loss(); }, o)
                .loss,
            s.loss);
  o.steps = 4;
  EXPECT_THROW(diag::loss_surface(
                   *n.model, [&] { return n.eval_loss(); }, o),
               Error);
}

TEST(Landscape, LineSummary) {
  diag::Line down{{-0.5, 0, 0.5, 1, 1.5}, {3, 2, 1, 0.5, 0.7}};
  diag::LineSummary s = diag::summarize(down);
  EXPECT_TRUE(s.monotone);
  EXPECT_EQ(s.max_rise, 0);
  EXPECT_EQ(s.loss0, 2);
  EXPECT_EQ(s.loss_half, 1);
  EXPECT_EQ(s.loss1, 0.5);
  EXPECT_EQ(s.min_loss, 0.5);
  EXPECT_EQ(s.min_alpha, 1);
  diag::Line bump{{0, 0.25, 0.75, 1}, {2, 1, 1.5, 0.5}};  // 0.5 is not on the grid: interpolated
  s = diag::summarize(bump);
  EXPECT_FALSE(s.monotone);
  EXPECT_DOUBLE_EQ(s.max_rise, 0.5);
  EXPECT_DOUBLE_EQ(s.loss_half, 1.25);
  diag::Line broken{{0, 0.5, 1}, {2, kNaN, 1}};
  EXPECT_FALSE(diag::summarize(broken).monotone);
}

TEST(Landscape, SurfaceSummaryOnABowlAndASaddle) {
  auto make = [](auto f) {
    diag::Surface s;
    for (int i = 0; i < 9; ++i) s.a.push_back(-1 + 0.25 * i);
    s.b = s.a;
    for (double b : s.b) {
      std::vector<double> row;
      for (double a : s.a) row.push_back(f(a, b));
      s.loss.push_back(row);
    }
    return s;
  };
  const diag::SurfaceSummary bowl = diag::summarize(make([](double a, double b) { return 1 + a * a + 2 * b * b; }));
  EXPECT_EQ(bowl.center, 1);
  EXPECT_EQ(bowl.min_loss, 1);
  EXPECT_EQ(bowl.min_a, 0);
  EXPECT_NEAR(bowl.curvature_min, 2, 1e-9);
  EXPECT_NEAR(bowl.curvature_max, 4, 1e-9);
  EXPECT_EQ(bowl.nonconvex_fraction, 0);
  EXPECT_GT(bowl.rise_half, 0.25);  // between a^2 and 2 b^2 at radius 0.5
  EXPECT_LT(bowl.rise_half, 0.5);
  EXPECT_GT(bowl.rise_one, bowl.rise_half);
  const diag::SurfaceSummary saddle = diag::summarize(make([](double a, double b) { return 1 + a * a - b * b; }));
  EXPECT_NEAR(saddle.curvature_min, -2, 1e-9);
  EXPECT_NEAR(saddle.curvature_max, 2, 1e-9);
  EXPECT_EQ(saddle.nonconvex_fraction, 1);
  diag::Surface holes = make([](double a, double b) { return a > 0.9 && b > 0.9 ? kNaN : 1 + a * a + b * b; });
  EXPECT_EQ(diag::summarize(holes).nonfinite_points, 1);
}

TEST(Landscape, JsonWritesNullForNonFinite) {
  diag::Line line{{0, 1}, {1.5, kNaN}};
  diag::Surface s{{-1, 0, 1}, {-1, 0, 1}, {{1, 2, 3}, {4, kNaN, 6}, {7, 8, 9}}};
  io::Json j = diag::to_json(line, &s);
  EXPECT_EQ(j.at("line").at("alpha").size(), 2u);
  EXPECT_EQ(j.at("line").at("loss").elements()[0].as_double(), 1.5);
  EXPECT_TRUE(j.at("line").at("loss").elements()[1].is_null());
  EXPECT_TRUE(j.at("surface").at("loss").elements()[1].elements()[1].is_null());
  EXPECT_EQ(j.at("surface").at("loss").elements()[2].elements()[0].as_double(), 7);
  EXPECT_EQ(j.at("surface").at("a").size(), 3u);
  EXPECT_FALSE(diag::to_json(line, nullptr).contains("surface"));
  EXPECT_NO_THROW(j.dump());
}
