// kernels::cpu::ternary against ternary_reference: every combination of contiguous and broadcast-scalar
// inputs (the specialised vector loops), strided and transposed layouts, and sizes around kParallelGrain.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/cpu/elementwise.h"

using namespace strata;
using kernels::cpu::kParallelGrain;

namespace {

struct Layout {
  Shape shape;
  Strides cond, a, b;  // input strides (0 = broadcast)
};

int64_t span(const Shape& shape, const Strides& st) {
  int64_t s = 1;
  for (size_t d = 0; d < shape.size(); ++d) s += (shape[d] - 1) * st[d];
  return s;
}

void check(const Layout& l) {
  std::vector<uint8_t> cond(static_cast<size_t>(span(l.shape, l.cond)));
  std::vector<float> a(static_cast<size_t>(span(l.shape, l.a))), b(static_cast<size_t>(span(l.shape, l.b)));
  for (size_t i = 0; i < cond.size(); ++i) cond[i] = static_cast<uint8_t>((i * 7 + i / 3) % 3 == 0);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) + 0.5f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = -static_cast<float>(i) - 0.25f;
  const int64_t n = l.shape.numel();
  std::vector<float> got(static_cast<size_t>(n), 1e30f), want(static_cast<size_t>(n), -1e30f);
  Strides so = contiguous_strides(l.shape);
  auto plan = kernels::cpu::make_plan<4>(l.shape, {&so, &l.cond, &l.a, &l.b});
  auto f = [](uint8_t c, float x, float y) { return c ? x : y; };
  kernels::cpu::ternary(plan, got.data(), cond.data(), a.data(), b.data(), f);
  kernels::cpu::ternary_reference(l.shape, want.data(), so, cond.data(), l.cond, a.data(), l.a, b.data(), l.b, f);
  EXPECT_EQ(got, want) << "shape " << l.shape << " strides " << l.cond << " " << l.a << " " << l.b;
}

}  // namespace

TEST(TernaryKernel, EveryContiguousOrScalarCombination) {
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{17}, int64_t{1000}, kParallelGrain + 9}) {
    for (int mask = 0; mask < 8; ++mask) {
      Strides c{mask & 4 ? 1 : 0}, a{mask & 2 ? 1 : 0}, b{mask & 1 ? 1 : 0};
      check({{n}, c, a, b});
    }
  }
}

TEST(TernaryKernel, StridedAndBroadcastLayouts) {
  check({{5, 7}, {1, 5}, {7, 1}, {0, 1}});          // transposed cond, a row broadcast b
  check({{300, 130}, {130, 1}, {1, 300}, {0, 0}});  // transposed a, scalar b, above kParallelGrain
  check({{4, 9}, {0, 2}, {18, 2}, {1, 0}});         // every-other-element slices, column broadcast
  check({{3, 1, 6}, {6, 6, 1}, {0, 0, 1}, {1, 0, 0}});
}
