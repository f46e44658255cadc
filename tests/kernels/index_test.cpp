// The indexing kernels against their naive references: several sizes, transposed and sliced operands,
// repeated indices, and work sizes on both sides of the OpenMP threshold (kParallelGrain).
#include "kernels/cpu/index.h"

#include <gtest/gtest.h>

#include <vector>

#include "kernels/cpu/loops.h"
#include "strata/strata.h"

using namespace strata;
namespace kc = strata::kernels::cpu;

namespace {

constexpr float kPoison = -12345.0f;

// Random float input of `shape`, laid out transposed (last two dims swapped in memory) or sliced (every
// other element of a wider tensor's last dim) or contiguous.
enum class Layout { Contiguous, Transposed, Sliced };
Tensor make_input(const Shape& shape, Layout layout, Generator& gen) {
  if (layout == Layout::Contiguous || shape.size() < 2) return randn(shape, {}, &gen);
  Shape s = shape;
  if (layout == Layout::Transposed) {
    std::swap(s[s.size() - 1], s[s.size() - 2]);
    return randn(s, {}, &gen).transpose(-1, -2);
  }
  s[s.size() - 1] *= 2;
  return randn(s, {}, &gen).slice(-1, 0, s[s.size() - 1], 2);
}

// Random indices in [0, n) (with repeats), laid out with stride 2.
Tensor make_index(const Shape& shape, int64_t n, Generator& gen) {
  Shape wide = shape;
  if (wide.empty()) wide.push_back(1);
  wide[wide.size() - 1] *= 2;
  Tensor t = randint(0, n, wide, TensorOptions(kInt64), &gen);
  return t.slice(-1, 0, wide[wide.size() - 1], 2);
}

std::vector<float> buffer(int64_t n) { return std::vector<float>(static_cast<size_t>(n), kPoison); }

void expect_same(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i], b[i]) << what << " differs at " << i;
  }
}

struct SelectCase {
  Shape shape;
  int64_t dim;
  int64_t k;
};

}  // namespace

TEST(IndexKernels, IndexSelectMatchesReference) {
  Generator gen(7);
  // k * slice size below, at and above kParallelGrain; one case with a single slice above it.
  std::vector<SelectCase> cases = {{{5}, 0, 3},           {{3, 5, 1}, 1, 7},   {{7, 40, 33}, 1, 19},
                                   {{600, 64}, 0, 511},   {{600, 64}, 0, 512}, {{600, 64}, 0, 2000},
                                   {{4, 3, 10000}, 1, 2}, {{9, 17}, 1, 40}};
  for (const SelectCase& c : cases) {
    for (Layout layout : {Layout::Contiguous, Layout::Transposed, Layout::Sliced}) {
      Tensor x = make_input(c.shape, layout, gen);
      Tensor index = make_index({c.k}, c.shape[static_cast<size_t>(c.dim)], gen);
      Shape out_shape = c.shape;
      out_shape[static_cast<size_t>(c.dim)] = c.k;
      Strides os = contiguous_strides(out_shape);
      auto fast = buffer(out_shape.numel()), ref = buffer(out_shape.numel());
      kc::index_select(fast.data(), os, x.data_ptr<float>(), x.shape(), x.strides(), c.dim, index.data_ptr<int64_t>(),
                       index.strides()[0], c.k);
      kc::index_select_reference(ref.data(), os, x.data_ptr<float>(), x.shape(), x.strides(), c.dim,
                                 index.data_ptr<int64_t>(), index.strides()[0], c.k);
      expect_same(fast, ref, "index_select " + c.shape.str());
    }
  }
}

TEST(IndexKernels, IndexAddMatchesReference) {
  Generator gen(8);
  // Few distinct rows hit many times (embedding backward) and the threaded paths both ways.
  std::vector<SelectCase> cases = {{{5}, 0, 9},         {{3, 5, 2}, 1, 11},    {{96, 64}, 0, 511}, {{96, 64}, 0, 513},
                                   {{96, 64}, 0, 4096}, {{2, 4, 20000}, 1, 3}, {{6, 7}, 1, 9000}};
  for (const SelectCase& c : cases) {
    for (Layout layout : {Layout::Contiguous, Layout::Transposed, Layout::Sliced}) {
      Shape src_shape = c.shape;
      src_shape[static_cast<size_t>(c.dim)] = c.k;
      Tensor src = make_input(src_shape, layout, gen);
      Tensor index = make_index({c.k}, c.shape[static_cast<size_t>(c.dim)], gen);
      Tensor init = randn(c.shape, {}, &gen);
      std::vector<float> fast = init.to_vector<float>(), ref = fast;
      Strides os = contiguous_strides(c.shape);
      kc::index_add(fast.data(), c.shape, os, c.dim, index.data_ptr<int64_t>(), index.strides()[0], c.k,
                    src.data_ptr<float>(), src.strides());
      kc::index_add_reference(ref.data(), c.shape, os, c.dim, index.data_ptr<int64_t>(), index.strides()[0], c.k,
                              src.data_ptr<float>(), src.strides());
      expect_same(fast, ref, "index_add " + c.shape.str());
    }
  }
}

TEST(IndexKernels, GatherAndScatterAddMatchReference) {
  Generator gen(9);
  struct Case {
    Shape x_shape, index_shape;
    int64_t dim;
  };
  std::vector<Case> cases = {{{5}, {9}, 0},
                             {{4, 6}, {3, 8}, 1},
                             {{6, 4}, {9, 3}, 0},
                             {{3, 5, 7}, {2, 5, 4}, 2},
                             {{200, 170}, {200, 160}, 1},  // 32000 elements, under the grain
                             {{200, 170}, {200, 170}, 1},  // 34000, over it
                             {{40000, 3}, {40000, 2}, 0},  // long fibers along dim 0, few of them
                             {{40000, 3}, {40000, 2}, 1},  // many short fibers
                             {{8, 5000}, {8, 5000}, 1}};   // long fibers, 8 of them
  for (const Case& c : cases) {
    for (Layout layout : {Layout::Contiguous, Layout::Transposed, Layout::Sliced}) {
      Tensor x = make_input(c.x_shape, layout, gen);
      Tensor index = make_index(c.index_shape, c.x_shape[static_cast<size_t>(c.dim)], gen);
      Strides os = contiguous_strides(c.index_shape);
      auto fast = buffer(c.index_shape.numel()), ref = buffer(c.index_shape.numel());
      kc::gather(fast.data(), os, x.data_ptr<float>(), x.strides(), c.index_shape, index.data_ptr<int64_t>(),
                 index.strides(), c.dim);
      kc::gather_reference(ref.data(), os, x.data_ptr<float>(), x.strides(), c.index_shape, index.data_ptr<int64_t>(),
                           index.strides(), c.dim);
      expect_same(fast, ref, "gather " + c.x_shape.str());

      Tensor src = make_input(c.index_shape, layout, gen);
      Tensor init = randn(c.x_shape, {}, &gen);
      std::vector<float> sfast = init.to_vector<float>(), sref = sfast;
      Strides xs = contiguous_strides(c.x_shape);
      kc::scatter_add(sfast.data(), xs, c.index_shape, index.data_ptr<int64_t>(), index.strides(),
                      src.data_ptr<float>(), src.strides(), c.dim);
      kc::scatter_add_reference(sref.data(), xs, c.index_shape, index.data_ptr<int64_t>(), index.strides(),
                                src.data_ptr<float>(), src.strides(), c.dim);
      expect_same(sfast, sref, "scatter_add " + c.x_shape.str());
    }
  }
}

TEST(IndexKernels, FindOutOfRange) {
  std::vector<int64_t> v = {0, 4, 2, 7, -1, 3};
  int64_t bad = 0;
  EXPECT_TRUE(kc::find_out_of_range(v.data(), {6}, {1}, 5, &bad));
  EXPECT_EQ(bad, 7);
  EXPECT_TRUE(kc::find_out_of_range(v.data(), {3}, {2}, 2, &bad));  // 0, 2, -1
  EXPECT_EQ(bad, 2);
  // Shape (2, 2) with strides (1, 2) reads 0, 2, 4, 7.
  EXPECT_TRUE(kc::find_out_of_range(v.data(), {2, 2}, {1, 2}, 7, &bad));
  EXPECT_EQ(bad, 7);
  EXPECT_FALSE(kc::find_out_of_range(v.data(), {2, 2}, {1, 2}, 8, &bad));
}
