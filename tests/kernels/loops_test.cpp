// The strided iterator and the elementwise kernel templates against their naive references.
#include <gtest/gtest.h>

#include <numeric>

#include "kernels/cpu/elementwise.h"
#include "strata/strata.h"

using namespace strata;
namespace kc = strata::kernels::cpu;

TEST(LoopPlan, CoalescesContiguousDims) {
  Shape shape{4, 5, 6};
  Strides s = contiguous_strides(shape);
  auto p = kc::make_plan<2>(shape, {&s, &s});
  ASSERT_EQ(p.sizes.size(), 1u);
  EXPECT_EQ(p.sizes[0], 120);
  EXPECT_EQ(p.strides[0][0], 1);
}

TEST(LoopPlan, KeepsBroadcastAndTransposedDimsApart) {
  Shape shape{4, 5};
  Strides out = contiguous_strides(shape);
  Strides bcast{0, 1};  // a (5,) row broadcast over 4 rows
  auto p = kc::make_plan<2>(shape, {&out, &bcast});
  ASSERT_EQ(p.sizes.size(), 2u);
  Strides trans{1, 4};  // a transposed (5, 4) tensor
  auto q = kc::make_plan<2>(shape, {&out, &trans});
  ASSERT_EQ(q.sizes.size(), 2u);
  Shape ones{1, 1, 7};
  Strides so = contiguous_strides(ones);
  auto r = kc::make_plan<2>(ones, {&so, &so});
  ASSERT_EQ(r.sizes.size(), 1u);
  EXPECT_EQ(r.numel, 7);
}

namespace {
// Runs binary add through the optimised path and the reference on the given layouts, poisoning outputs.
void check_binary(const Shape& shape, const Strides& sa, int64_t na, const Strides& sb, int64_t nb) {
  std::vector<double> a(static_cast<size_t>(na)), b(static_cast<size_t>(nb));
  std::iota(a.begin(), a.end(), 1.0);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 0.5 * static_cast<double>(i) - 3;
  Strides so = contiguous_strides(shape);
  std::vector<double> out(static_cast<size_t>(shape.numel()), std::nan("")), ref(out);
  auto f = [](double x, double y) { return x * 3 + y; };
  auto plan = kc::make_plan<3>(shape, {&so, &sa, &sb});
  kc::binary(plan, out.data(), a.data(), b.data(), f);
  kc::binary_reference(shape, ref.data(), so, a.data(), sa, b.data(), sb, f);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], ref[i]) << "at " << i << " shape " << shape;
}
}  // namespace

TEST(ElementwiseKernels, BinaryMatchesReference) {
  for (int64_t n : {1, 7, 8, 9, 33, 1000, 40000, 70001}) {
    Shape s1{n};
    check_binary(s1, {1}, n, {1}, n);  // contiguous
    check_binary(s1, {1}, n, {0}, 1);  // scalar broadcast
    check_binary(s1, {0}, 1, {1}, n);
    check_binary(s1, {2}, 2 * n, {1}, n);  // strided
  }
  for (auto [r, c] : std::vector<std::pair<int64_t, int64_t>>{{3, 5}, {17, 33}, {300, 129}, {2, 40000}}) {
    Shape s{r, c};
    check_binary(s, {c, 1}, r * c, {0, 1}, c);      // row broadcast
    check_binary(s, {c, 1}, r * c, {1, 0}, r);      // column broadcast
    check_binary(s, {1, r}, r * c, {c, 1}, r * c);  // transposed
  }
  Shape s3{4, 1, 6};
  check_binary(s3, {6, 6, 1}, 24, {0, 0, 1}, 6);
}

TEST(ElementwiseKernels, UnaryMatchesReference) {
  for (int64_t n : {1, 31, 32768, 32769, 100000}) {
    std::vector<float> a(static_cast<size_t>(2 * n));
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 97) - 48.f;
    Shape shape{n};
    Strides so{1}, sa{2};
    std::vector<float> out(static_cast<size_t>(n), -999.f), ref(out);
    auto f = [](float v) { return v * v - 1.f; };
    kc::unary(kc::make_plan<2>(shape, {&so, &sa}), out.data(), a.data(), f);
    kc::unary_reference(shape, ref.data(), so, a.data(), sa, f);
    ASSERT_EQ(out, ref);
  }
}

TEST(ElementwiseKernels, ZeroSizedIsANoOp) {
  Shape shape{0, 3};
  Strides s = contiguous_strides(shape);
  float dummy = 1.f;
  kc::unary(kc::make_plan<2>(shape, {&s, &s}), &dummy, &dummy, [](float v) { return v + 1; });
  EXPECT_EQ(dummy, 1.f);
}
