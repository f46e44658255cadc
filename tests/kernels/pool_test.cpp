// The pooling kernels against their naive references: max (kernel, stride, padding, dilation, ceil mode; indices
// included), avg (ceil mode, count_include_pad) and adaptive avg (divisible, non-divisible, output larger than the
// input), forward and backward, float and double, on both sides of the OpenMP threshold (kParallelGrain).
#include "kernels/cpu/pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/loops.h"
#include "strata/core/dtype.h"

namespace kc = strata::kernels::cpu;

namespace {

struct Case {
  const char* name;
  int64_t planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw;
  bool ceil_mode;
};

// PyTorch's pooling_output_shape.
int64_t out_size(int64_t in, int64_t k, int64_t pad, int64_t s, int64_t d, bool ceil_mode) {
  int64_t num = in + 2 * pad - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  if (ceil_mode && (out - 1) * s >= in + pad) --out;
  return out;
}

kc::PoolGeom geom(const Case& c) {
  kc::PoolGeom g;
  g.planes = c.planes, g.h = c.h, g.w = c.w, g.kh = c.kh, g.kw = c.kw, g.sh = c.sh, g.sw = c.sw;
  g.ph = c.ph, g.pw = c.pw, g.dh = c.dh, g.dw = c.dw;
  g.ho = out_size(c.h, c.kh, c.ph, c.sh, c.dh, c.ceil_mode);
  g.wo = out_size(c.w, c.kw, c.pw, c.sw, c.dw, c.ceil_mode);
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
    // name             planes h   w  kh kw sh sw ph pw dh dw ceil
    {"k2s2", 6, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1, false},
    {"k3s2p1", 6, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1, false},
    {"k3s2p1_ceil", 6, 10, 7, 3, 3, 2, 2, 1, 1, 1, 1, true},
    {"k2s2_ceil_odd", 4, 7, 5, 2, 2, 2, 2, 0, 0, 1, 1, true},
    {"k2s2_odd_floor", 5, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1, false},  // the 2x2 fast path, last row/column unused
    {"k3s1", 5, 6, 9, 3, 2, 1, 1, 1, 0, 1, 1, false},
    {"dilated", 4, 11, 10, 3, 2, 2, 1, 1, 1, 2, 3, false},
    {"dilated_ceil", 4, 12, 9, 3, 3, 2, 3, 1, 1, 2, 2, true},
    {"asymmetric", 3, 5, 13, 2, 4, 1, 3, 1, 2, 1, 1, true},
    {"parallel_k3s1", 48, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, false},  // above kParallelGrain
    {"parallel_k2s2", 96, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1, false},
};

template <class T>
void check_case(const Case& c, double tol) {
  kc::PoolGeom g = geom(c);
  std::mt19937 rng(static_cast<unsigned>(c.planes * 31 + c.h * 7 + c.w));
  const int64_t nx = g.planes * g.h * g.w, ny = g.planes * g.ho * g.wo;
  const auto x = random_vec<T>(nx, rng), dy = random_vec<T>(ny, rng);
  const std::string name = c.name;

  // max
  auto y = poisoned<T>(ny), y_ref = poisoned<T>(ny);
  std::vector<int64_t> idx(static_cast<size_t>(ny), -7), idx_ref(static_cast<size_t>(ny), -7);
  kc::max_pool2d_forward<T>(g, x.data(), y.data(), idx.data());
  kc::max_pool2d_forward_reference<T>(g, x.data(), y_ref.data(), idx_ref.data());
  expect_close(y, y_ref, 0.0, name + " max forward");
  ASSERT_EQ(idx, idx_ref) << name;
  auto dx = poisoned<T>(nx), dx_ref = poisoned<T>(nx);
  kc::max_pool2d_backward<T>(g, dy.data(), idx.data(), dx.data());
  kc::max_pool2d_backward_reference<T>(g, dy.data(), idx_ref.data(), dx_ref.data());
  expect_close(dx, dx_ref, tol, name + " max backward");

  // avg (no dilation)
  g.dh = g.dw = 1;
  g.ho = out_size(c.h, c.kh, c.ph, c.sh, 1, c.ceil_mode);
  g.wo = out_size(c.w, c.kw, c.pw, c.sw, 1, c.ceil_mode);
  const int64_t na = g.planes * g.ho * g.wo;
  const auto dya = random_vec<T>(na, rng);
  for (const bool include_pad : {true, false}) {
    const std::string what = name + (include_pad ? " avg(count_include_pad)" : " avg");
    auto ya = poisoned<T>(na), ya_ref = poisoned<T>(na);
    kc::avg_pool2d_forward<T>(g, include_pad, x.data(), ya.data());
    kc::avg_pool2d_forward_reference<T>(g, include_pad, x.data(), ya_ref.data());
    expect_close(ya, ya_ref, tol, what + " forward");
    auto dxa = poisoned<T>(nx), dxa_ref = poisoned<T>(nx);
    kc::avg_pool2d_backward<T>(g, include_pad, dya.data(), dxa.data());
    kc::avg_pool2d_backward_reference<T>(g, include_pad, dya.data(), dxa_ref.data());
    expect_close(dxa, dxa_ref, tol, what + " backward");
  }
}

TEST(PoolKernel, FloatMatchesReference) {
  for (const Case& c : kCases) check_case<float>(c, 1e-5);
}

TEST(PoolKernel, DoubleMatchesReference) {
  for (const Case& c : kCases) check_case<double>(c, 1e-12);
}

TEST(PoolKernel, MaxTiesKeepFirstIndexAndNaNPropagates) {
  kc::PoolGeom g;
  g.planes = 1, g.h = 2, g.w = 4, g.kh = 2, g.kw = 2, g.sh = 2, g.sw = 2, g.ho = 1, g.wo = 2;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {1, 3, nan, 0,  //
                                3, 3, 5,   9};
  std::vector<float> y(2, -1);
  std::vector<int64_t> idx(2, -7);
  kc::max_pool2d_forward<float>(g, x.data(), y.data(), idx.data());
  EXPECT_EQ(y[0], 3);
  EXPECT_EQ(idx[0], 1);  // first of the three 3s
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_EQ(idx[1], 2);
}

TEST(PoolKernel, AdaptiveMatchesReference) {
  struct A {
    int64_t planes, h, w, ho, wo;
  };
  const A cases[] = {{4, 8, 8, 2, 2}, {4, 7, 9, 3, 4},   {3, 5, 5, 7, 6},
                     {2, 6, 1, 4, 1}, {5, 10, 13, 1, 1}, {64, 28, 28, 5, 3} /* above kParallelGrain */};
  for (const A& a : cases) {
    kc::PoolGeom g;
    g.planes = a.planes, g.h = a.h, g.w = a.w, g.ho = a.ho, g.wo = a.wo;
    std::mt19937 rng(3);
    const int64_t nx = g.planes * g.h * g.w, ny = g.planes * g.ho * g.wo;
    const auto x = random_vec<double>(nx, rng), dy = random_vec<double>(ny, rng);
    auto y = poisoned<double>(ny), y_ref = poisoned<double>(ny);
    kc::adaptive_avg_pool2d_forward<double>(g, x.data(), y.data());
    kc::adaptive_avg_pool2d_forward_reference<double>(g, x.data(), y_ref.data());
    expect_close(y, y_ref, 1e-12, "adaptive forward " + std::to_string(a.h) + "x" + std::to_string(a.w));
    auto dx = poisoned<double>(nx), dx_ref = poisoned<double>(nx);
    kc::adaptive_avg_pool2d_backward<double>(g, dy.data(), dx.data());
    kc::adaptive_avg_pool2d_backward_reference<double>(g, dy.data(), dx_ref.data());
    expect_close(dx, dx_ref, 1e-12, "adaptive backward " + std::to_string(a.h) + "x" + std::to_string(a.w));
  }
}

}  // namespace

// Max pooling's backward from the input (what the op keeps) equals the backward from the forward's indices:
// overlapping, dilated and padded windows, ties (values drawn from a few levels) and a NaN, in float and as
// bfloat16 storage read as float.
TEST(PoolKernels, MaxBackwardFromInputMatchesIndices) {
  for (const Case& c : {Case{"overlap", 3, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, false},
                        Case{"dilated", 2, 11, 10, 2, 3, 1, 2, 1, 0, 2, 2, true},
                        Case{"2x2", 4, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1, false}}) {
    kc::PoolGeom g{c.planes,
                   c.h,
                   c.w,
                   out_size(c.h, c.kh, c.ph, c.sh, c.dh, c.ceil_mode),
                   out_size(c.w, c.kw, c.pw, c.sw, c.dw, c.ceil_mode),
                   c.kh,
                   c.kw,
                   c.sh,
                   c.sw,
                   c.ph,
                   c.pw,
                   c.dh,
                   c.dw};
    const int64_t n_in = g.planes * g.h * g.w, n_out = g.planes * g.ho * g.wo;
    std::mt19937 rng(7);
    std::vector<float> x(n_in), dy(n_out), y(n_out), dx_idx(n_in), dx_rec(n_in);
    for (float& v : x) v = static_cast<float>(static_cast<int>(rng() % 5)) - 2.0f;  // many ties
    for (float& v : dy) v = static_cast<float>(rng() % 100) / 10.0f;
    x[5] = std::numeric_limits<float>::quiet_NaN();
    std::vector<int64_t> idx(n_out);
    kc::max_pool2d_forward<float>(g, x.data(), y.data(), idx.data());
    kc::max_pool2d_backward<float>(g, dy.data(), idx.data(), dx_idx.data());
    kc::max_pool2d_backward_recompute<float, float>(g, x.data(), dy.data(), dx_rec.data());
    for (int64_t i = 0; i < n_in; ++i) ASSERT_EQ(dx_rec[i], dx_idx[i]) << c.name << " element " << i;
    // The same values stored as bfloat16 (exact: small integers and tenths rounded once, on both sides).
    std::vector<strata::BFloat16> xb(n_in), dyb(n_out);
    for (int64_t i = 0; i < n_in; ++i) xb[i] = strata::BFloat16(x[i]);
    for (int64_t i = 0; i < n_out; ++i) {
      dyb[i] = strata::BFloat16(dy[i]);
      dy[i] = static_cast<float>(dyb[i]);
    }
    kc::max_pool2d_backward<float>(g, dy.data(), idx.data(), dx_idx.data());
    kc::max_pool2d_backward_recompute<strata::BFloat16, float>(g, xb.data(), dyb.data(), dx_rec.data());
    for (int64_t i = 0; i < n_in; ++i) ASSERT_EQ(dx_rec[i], dx_idx[i]) << c.name << " bf16 element " << i;
    if (kc::max_pool2d_windows_disjoint(g)) {  // a 16-bit dx written directly: each element gets one gradient
      std::vector<strata::BFloat16> dxb(n_in);
      kc::max_pool2d_backward_recompute<strata::BFloat16, strata::BFloat16>(g, xb.data(), dyb.data(), dxb.data());
      for (int64_t i = 0; i < n_in; ++i) ASSERT_EQ(static_cast<float>(dxb[i]), dx_idx[i]) << c.name << " " << i;
    }
  }
}
