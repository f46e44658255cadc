// The oneDNN convolution path (kernels/cpu/conv_dnnl.h) against the naive references: forward (with and without
// bias), backward-data, backward-weight (with and without the bias gradient) on fixed and random geometries with
// groups, stride, padding, dilation, odd sizes and batch 1; its primitive cache; and the dispatch in conv.h
// (forced, auto, deterministic mode). Skipped when the library is built without oneDNN.
#include "kernels/cpu/conv_dnnl.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cpu/conv.h"
#include "strata/core/threading.h"
#include "test_util.h"

namespace kc = strata::kernels::cpu;

namespace {

#define SKIP_WITHOUT_DNNL() \
  if (!kc::dnnl_available()) GTEST_SKIP() << "built without oneDNN (STRATA_WITH_DNNL=OFF or libdnnl-dev missing)"

kc::ConvGeom make_geom(int64_t n, int64_t c, int64_t h, int64_t w, int64_t cout, int64_t kh, int64_t kw, int64_t sh,
                       int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  kc::ConvGeom g;
  g.n = n, g.c = c, g.h = h, g.w = w, g.cout = cout, g.kh = kh, g.kw = kw;
  g.sh = sh, g.sw = sw, g.ph = ph, g.pw = pw, g.dh = dh, g.dw = dw, g.groups = groups;
  g.ho = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
  g.wo = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
  return g;
}

std::string describe(const kc::ConvGeom& g) {
  std::ostringstream o;
  o << "N" << g.n << " C" << g.c << " " << g.h << "x" << g.w << " Cout" << g.cout << " k" << g.kh << "x" << g.kw << " s"
    << g.sh << "," << g.sw << " p" << g.ph << "," << g.pw << " d" << g.dh << "," << g.dw << " g" << g.groups;
  return o.str();
}

std::vector<float> random_vec(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<float> poisoned(int64_t n) {
  return std::vector<float>(static_cast<size_t>(n), std::numeric_limits<float>::quiet_NaN());
}

// |got - want| <= tol * (scale + |want|), scale the typical magnitude of a sum of `terms` unit products.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, int64_t terms, const std::string& name,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size());
  const double scale = std::sqrt(static_cast<double>(std::max<int64_t>(terms, 1)));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_LE(std::abs(static_cast<double>(got[i]) - want[i]), 1e-5 * (scale + std::abs(static_cast<double>(want[i]))))
        << name << " " << what << " differs at " << i << ": " << got[i] << " vs " << want[i];
  }
}

// Runs the three oneDNN kernels against the references; returns false when oneDNN declined the shape.
bool check(const kc::ConvGeom& g, unsigned seed) {
  std::mt19937 rng(seed);
  const int64_t nx = g.n * g.c * g.h * g.w, nw = g.cout * g.k(), ny = g.n * g.cout * g.p();
  const auto x = random_vec(nx, rng), w = random_vec(nw, rng), b = random_vec(g.cout, rng), dy = random_vec(ny, rng);
  const std::string name = describe(g);
  bool ran = true;
  for (const bool bias : {true, false}) {
    auto y = poisoned(ny), y_ref = poisoned(ny);
    kc::conv2d_forward_reference<float>(g, x.data(), w.data(), bias ? b.data() : nullptr, y_ref.data());
    if (!kc::conv2d_forward_dnnl(g, x.data(), w.data(), bias ? b.data() : nullptr, y.data())) {
      ran = false;
      continue;
    }
    expect_close(y, y_ref, g.k(), name, bias ? "forward+bias" : "forward");
  }
  auto dx = poisoned(nx), dx_ref = poisoned(nx);
  kc::conv2d_backward_data_reference<float>(g, dy.data(), w.data(), dx_ref.data());
  if (kc::conv2d_backward_data_dnnl(g, dy.data(), w.data(), dx.data())) {
    expect_close(dx, dx_ref, g.cout_g() * g.kh * g.kw, name, "backward_data");
  } else {
    ran = false;
  }
  auto dw_ref = poisoned(nw), db_ref = poisoned(g.cout);
  kc::conv2d_backward_weight_reference<float>(g, dy.data(), x.data(), dw_ref.data(), db_ref.data());
  for (const bool bias : {true, false}) {
    auto dw = poisoned(nw), db = poisoned(g.cout);
    if (!kc::conv2d_backward_weight_dnnl(g, dy.data(), x.data(), dw.data(), bias ? db.data() : nullptr)) {
      ran = false;
      continue;
    }
    expect_close(dw, dw_ref, g.n * g.p(), name, "backward_weight");
    if (bias) expect_close(db, db_ref, g.n * g.p(), name, "backward_bias");
  }
  return ran;
}

}  // namespace

TEST(ConvDnnl, FixedShapesMatchReference) {
  SKIP_WITHOUT_DNNL();
  const kc::ConvGeom cases[] = {
      make_geom(3, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),    // LeNet conv1
      make_geom(1, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),   // LeNet conv2, batch 1
      make_geom(2, 32, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // ResNet 3x3
      make_geom(2, 32, 11, 11, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1),  // ResNet 3x3 stride 2
      make_geom(2, 32, 10, 10, 64, 1, 1, 2, 2, 0, 0, 1, 1, 1),  // 1x1 projection stride 2
      make_geom(3, 8, 7, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1),      // pointwise, odd sizes
      make_geom(2, 3, 9, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1),     // dilation 2
      make_geom(2, 4, 7, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),      // groups 2
      make_geom(2, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4),      // depthwise
      make_geom(1, 5, 13, 11, 7, 4, 3, 3, 2, 2, 1, 2, 1, 1),    // odd, asymmetric, batch 1
      make_geom(2, 2, 9, 9, 3, 2, 2, 4, 4, 0, 0, 1, 1, 1),      // stride wider than the kernel
  };
  int ran = 0;
  unsigned seed = 1;
  for (const auto& g : cases) ran += check(g, seed++) ? 1 : 0;
  // The ResNet/LeNet shapes at least must have an optimised implementation.
  EXPECT_GE(ran, 5);
}

TEST(ConvDnnl, RandomGeometriesMatchReference) {
  SKIP_WITHOUT_DNNL();
  std::mt19937 rng(1234);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int ran = 0;
  for (int t = 0; t < 40; ++t) {
    const int64_t groups = pick(1, 3), kh = pick(1, 4), kw = pick(1, 4), dh = pick(1, 2), dw = pick(1, 2);
    const int64_t sh = pick(1, 3), sw = pick(1, 3), ph = pick(0, kh - 1), pw = pick(0, kw - 1);
    const int64_t h = pick(static_cast<int>(dh * (kh - 1) + 1), 12), w = pick(static_cast<int>(dw * (kw - 1) + 1), 12);
    const kc::ConvGeom g =
        make_geom(pick(1, 3), groups * pick(1, 4), h, w, groups * pick(1, 5), kh, kw, sh, sw, ph, pw, dh, dw, groups);
    ran += check(g, static_cast<unsigned>(t)) ? 1 : 0;
  }
  EXPECT_GE(ran, 10) << "oneDNN declined most random shapes";
}

TEST(ConvDnnl, CachesPrimitivesPerShapeAndThreadCount) {
  SKIP_WITHOUT_DNNL();
  kc::dnnl_conv_cache_clear();
  const kc::ConvGeom g = make_geom(4, 8, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
  std::mt19937 rng(5);
  const auto x = random_vec(g.n * g.c * g.h * g.w, rng), w = random_vec(g.cout * g.k(), rng);
  std::vector<float> y1(static_cast<size_t>(g.n * g.cout * g.p())), y2 = y1, y3 = y1, y_ref = y1;
  kc::conv2d_forward_reference<float>(g, x.data(), w.data(), nullptr, y_ref.data());
  const strata::testing::ThreadCount threads(2);
  ASSERT_TRUE(kc::conv2d_forward_dnnl(g, x.data(), w.data(), nullptr, y1.data()));
  EXPECT_EQ(kc::dnnl_conv_cache_size(), 1u);
  ASSERT_TRUE(kc::conv2d_forward_dnnl(g, x.data(), w.data(), nullptr, y2.data()));
  EXPECT_EQ(kc::dnnl_conv_cache_size(), 1u) << "the same shape twice must hit the cache";
  EXPECT_EQ(y1, y2);
  threads.set(1);
  ASSERT_TRUE(kc::conv2d_forward_dnnl(g, x.data(), w.data(), nullptr, y3.data()));
  EXPECT_EQ(kc::dnnl_conv_cache_size(), 2u) << "another thread count is another primitive";
  expect_close(y3, y_ref, g.k(), "", "forward on 1 thread");
  // Another shape (here: with bias) is another entry; clearing empties it.
  ASSERT_TRUE(kc::conv2d_forward_dnnl(g, x.data(), w.data(), w.data(), y3.data()));
  EXPECT_EQ(kc::dnnl_conv_cache_size(), 3u);
  kc::dnnl_conv_cache_clear();
  EXPECT_EQ(kc::dnnl_conv_cache_size(), 0u);
}

TEST(ConvDnnl, DispatchHonoursAlgoAndDeterministicMode) {
  SKIP_WITHOUT_DNNL();
  const kc::ConvAlgo saved = kc::conv_algo();
  const kc::ConvGeom g = make_geom(4, 8, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
  std::mt19937 rng(9);
  const auto x = random_vec(g.n * g.c * g.h * g.w, rng), w = random_vec(g.cout * g.k(), rng);
  const auto dy = random_vec(g.n * g.cout * g.p(), rng);
  const size_t nw = static_cast<size_t>(g.cout * g.k());
  std::vector<float> dw_im(nw), dw_dn(nw), dw(nw);
  kc::conv2d_backward_weight_im2col<float>(g, dy.data(), x.data(), dw_im.data(), nullptr);
  ASSERT_TRUE(kc::conv2d_backward_weight_dnnl(g, dy.data(), x.data(), dw_dn.data(), nullptr));
  ASSERT_NE(dw_im, dw_dn) << "the two paths round differently; the checks below rely on it";

  kc::set_conv_algo(kc::ConvAlgo::Dnnl);
  kc::conv2d_backward_weight<float>(g, dy.data(), x.data(), dw.data(), nullptr);
  EXPECT_EQ(dw, dw_dn);
  {
    strata::DeterministicGuard det(true);  // deterministic mode: im2col whatever the setting
    kc::conv2d_backward_weight<float>(g, dy.data(), x.data(), dw.data(), nullptr);
    EXPECT_EQ(dw, dw_im);
  }
  kc::set_conv_algo(kc::ConvAlgo::Im2col);
  kc::conv2d_backward_weight<float>(g, dy.data(), x.data(), dw.data(), nullptr);
  EXPECT_EQ(dw, dw_im);
  kc::set_conv_algo(kc::ConvAlgo::Auto);
  kc::conv2d_backward_weight<float>(g, dy.data(), x.data(), dw.data(), nullptr);
  EXPECT_EQ(dw, kc::conv_prefers_dnnl(g, kc::ConvPass::BackwardWeight) ? dw_dn : dw_im);
  kc::set_conv_algo(saved);
}

// Several threads share the cache and run the same primitives at once, each with its own reorder buffers.
TEST(ConvDnnl, ConcurrentCallersShareTheCache) {
  SKIP_WITHOUT_DNNL();
  const kc::ConvGeom shapes[] = {make_geom(2, 8, 10, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                                 make_geom(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1)};
  std::vector<std::vector<float>> xs, ws, refs;
  std::mt19937 rng(21);
  for (const auto& g : shapes) {
    xs.push_back(random_vec(g.n * g.c * g.h * g.w, rng));
    ws.push_back(random_vec(g.cout * g.k(), rng));
    refs.emplace_back(static_cast<size_t>(g.n * g.cout * g.p()));
    kc::conv2d_forward_reference<float>(g, xs.back().data(), ws.back().data(), nullptr, refs.back().data());
  }
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 10; ++rep) {
        const size_t s = static_cast<size_t>((t + rep) % 2);
        std::vector<float> y(refs[s].size());
        if (!kc::conv2d_forward_dnnl(shapes[s], xs[s].data(), ws[s].data(), nullptr, y.data())) ++bad;
        for (size_t i = 0; i < y.size(); ++i) {
          if (!(std::abs(y[i] - refs[s][i]) <= 1e-4f * (10.0f + std::abs(refs[s][i])))) {
            ++bad;
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// The per-shape rule (docs/performance.md): LeNet's conv2 and ResNet's 3x3 layers go to oneDNN at training batch
// sizes; 1-channel first layers, 1x1 projections and calls too small to pay oneDNN's fixed cost stay on im2col.
TEST(ConvDnnl, SelectionRule) {
  using kc::ConvPass;
  // make_geom(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups)
  EXPECT_TRUE(kc::conv_prefers_dnnl(make_geom(64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1), ConvPass::Forward));
  EXPECT_TRUE(kc::conv_prefers_dnnl(make_geom(64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1), ConvPass::BackwardWeight));
  EXPECT_FALSE(kc::conv_prefers_dnnl(make_geom(1, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1), ConvPass::Forward))
      << "batch 1: 0.24M multiply-adds do not pay for oneDNN's fixed cost";
  EXPECT_TRUE(kc::conv_prefers_dnnl(make_geom(128, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1), ConvPass::Forward));
  EXPECT_FALSE(
      kc::conv_prefers_dnnl(make_geom(128, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1), ConvPass::BackwardWeight))
      << "weight gradient on 28x28 planes";
  EXPECT_FALSE(kc::conv_prefers_dnnl(make_geom(128, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1), ConvPass::Forward));
  EXPECT_FALSE(kc::conv_prefers_dnnl(make_geom(128, 32, 28, 28, 64, 1, 1, 2, 2, 0, 0, 1, 1, 1), ConvPass::Forward));
}
