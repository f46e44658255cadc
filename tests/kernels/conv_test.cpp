// The im2col + GEMM convolution kernels against the naive direct-loop references (forward, backward-data,
// backward-weight and bias), float and double, over LeNet/ResNet-like shapes, stride, padding, dilation, groups,
// 1x1 (with and without the im2col skip), odd sizes, and batches 1 (serial, threaded GEMM) and 3 (OpenMP over images).
#include "kernels/cpu/conv.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"

namespace kc = strata::kernels::cpu;

namespace {

struct Case {
  const char* name;
  int64_t n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};

kc::ConvGeom geom(const Case& c) {
  kc::ConvGeom g;
  g.n = c.n, g.c = c.c, g.h = c.h, g.w = c.w, g.cout = c.cout, g.kh = c.kh, g.kw = c.kw;
  g.sh = c.sh, g.sw = c.sw, g.ph = c.ph, g.pw = c.pw, g.dh = c.dh, g.dw = c.dw, g.groups = c.groups;
  g.ho = (c.h + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh + 1;
  g.wo = (c.w + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw + 1;
  return g;
}

template <class T>
std::vector<T> random_vec(int64_t n, std::mt19937& rng) {
  std::normal_distribution<double> d(0.0, 1.0);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <class T>
std::vector<T> poisoned(int64_t n) {
  return std::vector<T>(static_cast<size_t>(n), std::numeric_limits<T>::quiet_NaN());
}

// |got - want| <= tol * (1 + |want|) elementwise (and never NaN: outputs start poisoned with NaN).
template <class T>
void expect_close(const std::vector<T>& got, const std::vector<T>& want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i])) <=
                tol * (1.0 + std::abs(static_cast<double>(want[i]))))
        << what << " differs at " << i << ": " << got[i] << " vs " << want[i];
  }
}

const Case kCases[] = {
    // name                n  c   h   w  cout kh kw sh sw ph pw dh dw groups
    {"lenet_c1", 3, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1},
    {"lenet_c1_b1", 1, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1},
    {"lenet_c2", 3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1},
    {"res_32_32", 3, 32, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {"res_32_32_b1", 1, 32, 9, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {"res_32_64_s2", 3, 32, 11, 11, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1},
    {"proj_1x1_s2", 3, 32, 10, 10, 64, 1, 1, 2, 2, 0, 0, 1, 1, 1},
    {"pointwise_1x1", 3, 8, 7, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {"pointwise_1x1_b1", 1, 8, 7, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {"pointwise_groups", 3, 8, 6, 6, 4, 1, 1, 1, 1, 0, 0, 1, 1, 2},
    {"padded_1x1", 3, 4, 5, 5, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {"dilation2", 3, 3, 9, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1},
    {"groups2", 3, 4, 7, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2},
    {"depthwise", 3, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4},
    {"odd_asymmetric", 3, 3, 7, 5, 2, 3, 2, 2, 3, 1, 0, 1, 2, 1},
    {"odd_b1", 1, 5, 13, 11, 7, 4, 3, 3, 2, 2, 1, 2, 1, 1},
    {"kernel_equals_input", 3, 2, 4, 3, 3, 4, 3, 1, 1, 0, 0, 1, 1, 1},
    {"wide_stride", 3, 2, 9, 9, 3, 2, 2, 4, 4, 0, 0, 1, 1, 1},
    {"pad_exceeds_kernel", 3, 2, 3, 4, 2, 2, 2, 1, 2, 3, 2, 1, 1, 1},
    {"pad_exceeds_kernel_s1", 2, 2, 3, 4, 2, 2, 2, 1, 1, 3, 2, 1, 1, 1},  // unit-stride im2col path
};

template <class T>
void check_case(const Case& c, double tol) {
  const kc::ConvGeom g = geom(c);
  std::mt19937 rng(static_cast<unsigned>(c.n * 131 + c.c * 17 + c.h));
  const int64_t nx = g.n * g.c * g.h * g.w, nw = g.cout * g.k(), ny = g.n * g.cout * g.p();
  const auto x = random_vec<T>(nx, rng), w = random_vec<T>(nw, rng), b = random_vec<T>(g.cout, rng);
  const auto dy = random_vec<T>(ny, rng);
  const std::string name = c.name;

  for (const bool bias : {true, false}) {
    auto y = poisoned<T>(ny), y_ref = poisoned<T>(ny);
    kc::conv2d_forward<T>(g, x.data(), w.data(), bias ? b.data() : nullptr, y.data());
    kc::conv2d_forward_reference<T>(g, x.data(), w.data(), bias ? b.data() : nullptr, y_ref.data());
    expect_close(y, y_ref, tol, name + (bias ? " forward+bias" : " forward"));
  }

  auto dx = poisoned<T>(nx), dx_ref = poisoned<T>(nx);
  kc::conv2d_backward_data<T>(g, dy.data(), w.data(), dx.data());
  kc::conv2d_backward_data_reference<T>(g, dy.data(), w.data(), dx_ref.data());
  expect_close(dx, dx_ref, tol, name + " backward_data");

  auto dw = poisoned<T>(nw), dw_ref = poisoned<T>(nw), db = poisoned<T>(g.cout), db_ref = poisoned<T>(g.cout);
  kc::conv2d_backward_weight<T>(g, dy.data(), x.data(), dw.data(), db.data());
  kc::conv2d_backward_weight_reference<T>(g, dy.data(), x.data(), dw_ref.data(), db_ref.data());
  expect_close(dw, dw_ref, tol, name + " backward_weight");
  expect_close(db, db_ref, tol, name + " backward_bias");

  // Weight gradient alone, and bias gradient alone.
  auto dw2 = poisoned<T>(nw), db2 = poisoned<T>(g.cout);
  kc::conv2d_backward_weight<T>(g, dy.data(), x.data(), dw2.data(), nullptr);
  expect_close(dw2, dw_ref, tol, name + " backward_weight (no bias)");
  kc::conv2d_backward_weight<T>(g, dy.data(), nullptr, nullptr, db2.data());
  expect_close(db2, db_ref, tol, name + " backward_bias (no weight)");
}

TEST(ConvKernel, FloatMatchesReference) {
  for (const Case& c : kCases) check_case<float>(c, 2e-4);
}

TEST(ConvKernel, DoubleMatchesReference) {
  for (const Case& c : kCases) check_case<double>(c, 1e-11);
}

// col2im is the adjoint of im2col: <im2col(x), v> == <x, col2im(v)>.
TEST(ConvKernel, Col2imIsAdjointOfIm2col) {
  for (const Case& c : kCases) {
    kc::ConvGeom g = geom(c);
    std::mt19937 rng(7);
    const int64_t nx = g.c * g.h * g.w, ncol = g.c * g.kh * g.kw * g.p();
    const auto x = random_vec<double>(nx, rng), v = random_vec<double>(ncol, rng);
    auto col = poisoned<double>(ncol);
    std::vector<double> back(static_cast<size_t>(nx), 0.0);
    kc::im2col<double>(g, x.data(), col.data());
    kc::col2im<double>(g, v.data(), back.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < col.size(); ++i) lhs += col[i] * v[i];
    for (size_t i = 0; i < x.size(); ++i) rhs += x[i] * back[i];
    EXPECT_NEAR(lhs, rhs, 1e-9 * (1 + std::abs(lhs))) << c.name;
  }
}

// The weight gradient sums the batch in chunks fixed by the batch size: 1, 2 and 3 threads give the same bits
// (with one accumulator per thread, 1 and 2 threads differed in the last bits). This is the im2col path, which
// deterministic mode always takes (oneDNN's sums follow the thread count; conv_dnnl_test checks the dispatch).
TEST(ConvKernel, BackwardWeightIsIndependentOfThreadCount) {
  for (const Case& c : {Case{"lenet_c2_b64", 64, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1},
                        Case{"odd_b13", 13, 3, 9, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                        Case{"pointwise_b20", 20, 8, 6, 6, 12, 1, 1, 1, 1, 0, 0, 1, 1, 1}}) {
    const kc::ConvGeom g = geom(c);
    std::mt19937 rng(11);
    const auto x = random_vec<float>(g.n * g.c * g.h * g.w, rng);
    const auto dy = random_vec<float>(g.n * g.cout * g.p(), rng);
    const int64_t nw = g.cout * g.k();
    std::vector<std::vector<float>> dws, dbs;
    for (int threads : {1, 2, 3}) {
      const strata::testing::ThreadCount scope(threads);
      auto dw = poisoned<float>(nw), db = poisoned<float>(g.cout);
      kc::conv2d_backward_weight_im2col<float>(g, dy.data(), x.data(), dw.data(), db.data());
      dws.push_back(dw);
      dbs.push_back(db);
    }
    for (size_t t = 1; t < dws.size(); ++t) {
      EXPECT_EQ(dws[t], dws[0]) << c.name << ": " << t + 1 << " threads";
      EXPECT_EQ(dbs[t], dbs[0]) << c.name << ": " << t + 1 << " threads";
    }
  }
}

}  // namespace
