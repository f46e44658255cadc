// Reduction kernels (src/kernels/cpu/reduce.h) against their naive references: many shapes and dim sets,
// permuted and padded (strided) layouts, sizes around the OpenMP grain, the run block and the segment.
#include "kernels/cpu/reduce.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numeric>
#include <random>

namespace strata::kernels::cpu {
namespace {

// A strided input: `shape` stored with its dims in the order `perm` (outermost first) and the innermost
// storage dim padded by `pad` elements.
struct Strided {
  Shape shape;
  Strides strides;
  std::vector<double> storage;
};

Strided make_input(const Shape& shape, const std::vector<size_t>& perm, int64_t pad, std::mt19937& rng,
                   bool small_ints) {
  Strided s;
  s.shape = shape;
  s.strides = Strides(shape.size());
  int64_t acc = 1;
  for (size_t k = perm.size(); k-- > 0;) {
    size_t d = perm[k];
    s.strides[d] = acc;
    acc *= std::max<int64_t>(shape[d], 1) + (k + 1 == perm.size() ? pad : 0);
  }
  s.storage.resize(static_cast<size_t>(std::max<int64_t>(acc, 1)));
  std::normal_distribution<double> nd(0.5, 1.0);
  std::uniform_int_distribution<int> ud(-3, 3);
  for (double& v : s.storage) v = small_ints ? ud(rng) : nd(rng);
  return s;
}

struct DimsCase {
  Shape shape;
  std::vector<bool> reduced;
};

std::vector<DimsCase> all_dim_sets(const Shape& shape) {
  std::vector<DimsCase> cases;
  const size_t nd = shape.size();
  for (uint32_t m = 0; m < (1u << nd); ++m) {
    DimsCase c{shape, std::vector<bool>(nd)};
    for (size_t d = 0; d < nd; ++d) c.reduced[d] = (m >> d) & 1u;
    cases.push_back(c);
  }
  return cases;
}

// Output strides (contiguous over the kept dims, 0 on reduced dims) and the number of outputs.
Strides out_strides(const DimsCase& c, int64_t& out_numel) {
  Strides s(c.shape.size());
  out_numel = 1;
  for (size_t d = c.shape.size(); d-- > 0;) {
    if (c.reduced[d]) {
      s[d] = 0;
    } else {
      s[d] = out_numel;
      out_numel *= c.shape[d];
    }
  }
  return s;
}

template <class T>
std::vector<T> converted(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

// Checks sum (float and double), a parameterised sum of squares, max and min against the references.
void check_layout(const DimsCase& c, const std::vector<size_t>& perm, int64_t pad, uint32_t seed) {
  std::mt19937 rng(seed);
  Strided in = make_input(c.shape, perm, pad, rng, false);
  int64_t out_numel = 0;
  Strides so = out_strides(c, out_numel);
  ReduceLayout L = make_reduce_layout(c.shape, in.strides, so, c.reduced);
  if (!reduce_layout_dense(L)) return;  // padding a size-1 innermost dim: the op layer copies these first
  SCOPED_TRACE(::testing::Message() << "shape " << c.shape << " strides " << in.strides << " layout " << L.sizes);
  std::vector<double> ref(static_cast<size_t>(out_numel)), got(static_cast<size_t>(out_numel), -777.0);
  auto to_d = [](double v, double) { return v; };
  auto fin = [](double a, double) { return a; };
  // float64 sum
  reduce_reference<double, double, double>(c.shape, in.strides, so, out_numel, in.storage.data(), ref.data(), nullptr,
                                           0.0, to_d, AddOp{}, fin);
  reduce<double, double, double>(L, in.storage.data(), got.data(), nullptr, 0.0, to_d, AddOp{}, fin);
  for (size_t o = 0; o < ref.size(); ++o) ASSERT_NEAR(got[o], ref[o], 1e-9 * (1 + std::abs(ref[o]))) << o;
  // float32 sum accumulated in float (cascaded) against a double reference: within a few float roundings
  // of the sum of magnitudes
  std::vector<double> mag(ref.size());
  reduce_reference<double, double, double>(
      c.shape, in.strides, so, out_numel, in.storage.data(), mag.data(), nullptr, 0.0,
      [](double v, double) { return std::abs(v); }, AddOp{}, fin);
  std::vector<float> xf = converted<float>(in.storage), gf(ref.size(), -777.f);
  std::vector<double> rf(ref.size());
  reduce_reference<float, double, float>(
      c.shape, in.strides, so, out_numel, xf.data(), rf.data(), nullptr, 0.0,
      [](float v, float) { return static_cast<double>(v); }, AddOp{}, [](double a, float) { return a; });
  reduce<float, float, float>(
      L, xf.data(), gf.data(), nullptr, 0.0f, [](float v, float) { return v; }, AddOp{},
      [](float a, float) { return a; });
  for (size_t o = 0; o < rf.size(); ++o) ASSERT_NEAR(gf[o], rf[o], 1e-6 + 4e-6 * mag[o]) << o;
  // sum of squared deviations from a per-output parameter (the second pass of var)
  std::vector<double> prm(ref.size());
  for (size_t o = 0; o < prm.size(); ++o) prm[o] = 0.25 * static_cast<double>(o % 7) - 0.5;
  auto sq = [](double v, double m) { return (v - m) * (v - m); };
  reduce_reference<double, double, double>(c.shape, in.strides, so, out_numel, in.storage.data(), ref.data(),
                                           prm.data(), 0.0, sq, AddOp{}, fin);
  std::fill(got.begin(), got.end(), -777.0);
  reduce<double, double, double>(L, in.storage.data(), got.data(), prm.data(), 0.0, sq, AddOp{}, fin);
  for (size_t o = 0; o < ref.size(); ++o) ASSERT_NEAR(got[o], ref[o], 1e-9 * (1 + std::abs(ref[o]))) << o;
  // max and min are exact
  const double inf = std::numeric_limits<double>::infinity();
  reduce_reference<double, double, double>(c.shape, in.strides, so, out_numel, in.storage.data(), ref.data(), nullptr,
                                           -inf, to_d, MaxOp{}, fin);
  reduce<double, double, double>(L, in.storage.data(), got.data(), nullptr, -inf, to_d, MaxOp{}, fin);
  for (size_t o = 0; o < ref.size(); ++o) ASSERT_EQ(got[o], ref[o]) << o;
  reduce_reference<double, double, double>(c.shape, in.strides, so, out_numel, in.storage.data(), ref.data(), nullptr,
                                           inf, to_d, MinOp{}, fin);
  reduce<double, double, double>(L, in.storage.data(), got.data(), nullptr, inf, to_d, MinOp{}, fin);
  for (size_t o = 0; o < ref.size(); ++o) ASSERT_EQ(got[o], ref[o]) << o;
  // int64 sums are exact
  std::vector<int64_t> xi(in.storage.size());
  for (size_t i = 0; i < xi.size(); ++i) xi[i] = static_cast<int64_t>(in.storage[i] * 10);
  std::vector<int64_t> ri(ref.size()), gi(ref.size(), -777);
  auto i_map = [](int64_t v, int64_t) { return v; };
  auto i_fin = [](int64_t a, int64_t) { return a; };
  reduce_reference<int64_t, int64_t, int64_t>(c.shape, in.strides, so, out_numel, xi.data(), ri.data(), nullptr,
                                              int64_t{0}, i_map, AddOp{}, i_fin);
  reduce<int64_t, int64_t, int64_t>(L, xi.data(), gi.data(), nullptr, int64_t{0}, i_map, AddOp{}, i_fin);
  ASSERT_EQ(gi, ri);
}

std::vector<size_t> identity_perm(size_t n) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  return p;
}

const std::vector<Shape>& test_shapes() {
  static const std::vector<Shape> shapes = {
      {},          {1},          {7},           {31},         {32},         {33},          {511},
      {512},       {513},        {1025},        {32767},      {32768},      {32769},       {65535},
      {65536},     {65537},      {140001},      {128, 256},   {256, 129},   {3, 5},        {1, 9},
      {9, 1},      {64, 65},     {65, 64},      {129, 3},     {3, 129},     {181, 181},    {300, 257},
      {70000, 2},  {2, 70000},   {5, 20000},    {20000, 5},   {1000, 40},   {2, 3, 4},     {4, 1, 6},
      {3, 33, 65}, {2, 64, 300}, {130, 2, 130}, {2, 3, 4, 5}, {1, 8, 5, 7}, {6, 3, 40, 40}};
  return shapes;
}

TEST(ReduceKernel, MatchesReferenceContiguous) {
  uint32_t seed = 1;
  for (const Shape& s : test_shapes()) {
    for (const DimsCase& c : all_dim_sets(s)) check_layout(c, identity_perm(s.size()), 0, seed++);
  }
}

TEST(ReduceKernel, MatchesReferencePermutedAndPadded) {
  uint32_t seed = 100;
  for (const Shape& s : test_shapes()) {
    if (s.size() < 2) continue;
    std::vector<size_t> rev = identity_perm(s.size());
    std::reverse(rev.begin(), rev.end());
    std::vector<size_t> rot = identity_perm(s.size());
    std::rotate(rot.begin(), rot.begin() + 1, rot.end());
    for (const DimsCase& c : all_dim_sets(s)) {
      check_layout(c, rev, 0, seed++);
      check_layout(c, rot, 3, seed++);
      check_layout(c, identity_perm(s.size()), 5, seed++);
    }
  }
}

// Broadcast (stride-0) dims are ordered outermost and reduce like repeated values.
TEST(ReduceKernel, StrideZeroDims) {
  std::vector<double> x(40);
  std::iota(x.begin(), x.end(), 1.0);
  Shape shape{3, 40};
  Strides in{0, 1};
  for (bool r0 : {false, true}) {
    for (bool r1 : {false, true}) {
      DimsCase c{shape, {r0, r1}};
      int64_t on = 0;
      Strides so = out_strides(c, on);
      ReduceLayout L = make_reduce_layout(shape, in, so, c.reduced);
      ASSERT_TRUE(reduce_layout_dense(L));
      std::vector<double> ref(static_cast<size_t>(on)), got(static_cast<size_t>(on), -1);
      auto m = [](double v, double) { return v; };
      reduce_reference<double, double, double>(shape, in, so, on, x.data(), ref.data(), nullptr, 0.0, m, AddOp{}, m);
      reduce<double, double, double>(L, x.data(), got.data(), nullptr, 0.0, m, AddOp{}, m);
      EXPECT_EQ(got, ref);
    }
  }
}

// The combination order depends on the layout only: one thread and two give bit-identical sums.
TEST(ReduceKernel, DeterministicAcrossThreadCounts) {
  std::mt19937 rng(7);
  for (const Shape& s : std::vector<Shape>{{300001}, {1000, 301}, {301, 1000}, {3, 70001}, {70001, 3}}) {
    for (const DimsCase& c : all_dim_sets(s)) {
      Strided in = make_input(s, identity_perm(s.size()), 0, rng, false);
      std::vector<float> xf = converted<float>(in.storage);
      int64_t on = 0;
      Strides so = out_strides(c, on);
      ReduceLayout L = make_reduce_layout(s, in.strides, so, c.reduced);
      std::vector<double> a(static_cast<size_t>(on)), b(static_cast<size_t>(on));
      std::vector<float> af(static_cast<size_t>(on)), bf(static_cast<size_t>(on));
      auto m = [](double v, double) { return v; };
      auto mf = [](float v, float) { return static_cast<double>(v); };
      auto ff = [](double v, float) { return static_cast<float>(v); };
      const int threads = omp_get_max_threads();
      omp_set_num_threads(1);
      reduce<double, double, double>(L, in.storage.data(), a.data(), nullptr, 0.0, m, AddOp{}, m);
      reduce<float, float, float>(L, xf.data(), af.data(), nullptr, 0.0, mf, AddOp{}, ff);
      omp_set_num_threads(std::max(2, threads));
      reduce<double, double, double>(L, in.storage.data(), b.data(), nullptr, 0.0, m, AddOp{}, m);
      reduce<float, float, float>(L, xf.data(), bf.data(), nullptr, 0.0, mf, AddOp{}, ff);
      omp_set_num_threads(threads);
      EXPECT_EQ(a, b) << s;
      EXPECT_EQ(af, bf) << s;
    }
  }
}

// Long float sums (float lanes, double cascade) against exact values. PyTorch 1.13 (1 thread) on the same
// inputs: 999999.4375 (error 0.58) for 0.1f x 1e7, and 1999501.0 (error 0.0069) for the modular sequence.
float float_sum(const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  ReduceLayout L = make_reduce_layout({n}, {1}, {0}, {true});
  float got = 0;
  reduce<float, float, float>(
      L, x.data(), &got, static_cast<const float*>(nullptr), 0.0f, [](float v, float) { return v; }, AddOp{},
      [](double a, float) { return static_cast<float>(a); });
  return got;
}

TEST(ReduceKernel, LongFloatSumIsAccurate) {
  const int64_t n = 10'000'000;
  std::vector<float> x(static_cast<size_t>(n), 0.1f);
  const double exact = static_cast<double>(0.1f) * static_cast<double>(n);
  EXPECT_LE(std::abs(float_sum(x) - exact), 0.25);  // 4 ulps at 1e6 (measured: 0.17)
  for (int64_t i = 0; i < n; ++i) {
    x[static_cast<size_t>(i)] = static_cast<float>((i * 7919) % 10007) / 10007.0f - 0.3f;
  }
  long double e = 0;
  for (float v : x) e += v;
  EXPECT_LE(std::abs(float_sum(x) - static_cast<double>(e)), 0.125);  // 1 ulp at 2e6 (measured: 0.0069)
}

TEST(ReduceKernel, CascadeOfDoublesBeatsSequentialError) {
  // Values whose sequential sum drifts: 1 + many tiny increments.
  const int64_t n = 3'000'000;
  std::vector<double> x(static_cast<size_t>(n), 1e-16);
  x[0] = 1.0;
  ReduceLayout L = make_reduce_layout({n}, {1}, {0}, {true});
  double got = 0;
  auto m = [](double v, double) { return v; };
  reduce<double, double, double>(L, x.data(), &got, static_cast<const double*>(nullptr), 0.0, m, AddOp{}, m);
  // A sequential sum returns exactly 1 (an error of 3e-10); only the first block's 1 + 1e-16 additions round.
  EXPECT_NEAR(got, 1.0 + (n - 1) * 1e-16, 5e-15);
}

// ---- arg_reduce ----

template <class Better>
void check_arg(const Shape& s3, bool ints, Better better, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t outer = s3[0], n = s3[1], inner = s3[2];
  Strided in = make_input(s3, identity_perm(3), 0, rng, ints);
  if (!ints && in.storage.size() > 5) in.storage[5] = std::nan("");
  std::vector<double> rv(static_cast<size_t>(outer * inner)), gv(rv.size(), -777);
  std::vector<int64_t> ri(rv.size()), gi(rv.size(), -777);
  arg_reduce_reference(in.storage.data(), outer, n, inner, rv.data(), ri.data(), better);
  arg_reduce(Shape{outer, inner}, Strides{n * inner, 1}, Strides{inner, 1}, n, inner, in.storage.data(), gv.data(),
             gi.data(), better);
  EXPECT_EQ(gi, ri) << s3;
  for (size_t o = 0; o < rv.size(); ++o) {
    if (std::isnan(rv[o])) {
      EXPECT_TRUE(std::isnan(gv[o]));
    } else {
      EXPECT_EQ(gv[o], rv[o]);
    }
  }
}

TEST(ReduceKernel, ArgReduceMatchesReference) {
  uint32_t seed = 1000;
  for (const Shape& s : std::vector<Shape>{
           {1, 1, 1}, {1, 7, 1}, {3, 5, 4}, {1, 100000, 1}, {40000, 3, 1}, {2, 300, 200}, {1, 2, 70000}, {5, 1, 9}}) {
    for (bool ints : {false, true}) {
      check_arg(s, ints, GreaterOrNaN{}, seed++);
      check_arg(s, ints, LessOrNaN{}, seed++);
    }
  }
}

TEST(ReduceKernel, ArgReduceFirstIndexAmongTiesAndNaN) {
  std::vector<double> x{1, 3, 3, 2, std::nan(""), 5, std::nan("")};
  std::vector<double> v(1);
  std::vector<int64_t> i(1);
  arg_reduce(Shape{}, Strides{}, Strides{}, 4, 1, x.data(), v.data(), i.data(), GreaterOrNaN{});
  EXPECT_EQ(i[0], 1);
  arg_reduce(Shape{}, Strides{}, Strides{}, 7, 1, x.data(), v.data(), i.data(), GreaterOrNaN{});
  EXPECT_EQ(i[0], 4);
  EXPECT_TRUE(std::isnan(v[0]));
  arg_reduce(Shape{}, Strides{}, Strides{}, 7, 1, x.data(), v.data(), i.data(), LessOrNaN{});
  EXPECT_EQ(i[0], 4);
}

}  // namespace
}  // namespace strata::kernels::cpu
