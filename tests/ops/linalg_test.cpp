// Hand-computed values for matmul, mm, bmm, addmm and linear: every matmul form, broadcast batch dims,
// transposed and sliced (strided) operands, gradients, and every error case.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "strata/strata.h"

using namespace strata;
using ::testing::HasSubstr;

namespace {

void expect_values(const Tensor& t, const Shape& shape, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.shape(), shape);
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// out[..., i, j] = sum_p a[..., i, p] * b[..., p, j] by explicit loops over contiguous 3-D copies (the oracle).
std::vector<double> loop_bmm(const Tensor& a3, const Tensor& b3) {
  const int64_t B = a3.size(0), n = a3.size(1), k = a3.size(2), m = b3.size(2);
  auto a = a3.contiguous().to_vector<double>(), b = b3.contiguous().to_vector<double>();
  std::vector<double> out(static_cast<size_t>(B * n * m), 0.0);
  for (int64_t q = 0; q < B; ++q) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += a[static_cast<size_t>((q * n + i) * k + p)] * b[static_cast<size_t>((q * k + p) * m + j)];
        out[static_cast<size_t>((q * n + i) * m + j)] = s;
      }
    }
  }
  return out;
}

TEST(Matmul, Dot1Dx1D) {
  Tensor r = matmul(tensor({1, 2, 3}), tensor({4, 5, -6}));
  EXPECT_EQ(r.dim(), 0);
  EXPECT_FLOAT_EQ(r.item<float>(), 1 * 4 + 2 * 5 - 3 * 6);
}

TEST(Matmul, Vec1DxMat2D) {
  // [1, 2] @ [[1, 2, 3], [4, 5, 6]] = [9, 12, 15]
  expect_values(matmul(tensor({1, 2}), tensor({{1, 2, 3}, {4, 5, 6}})), {3}, {9, 12, 15});
}

TEST(Matmul, Mat2DxVec1D) {
  // [[1, 2, 3], [4, 5, 6]] @ [1, 0, -1] = [-2, -2]
  expect_values(tensor({{1, 2, 3}, {4, 5, 6}}).matmul(tensor({1, 0, -1})), {2}, {-2, -2});
}

TEST(Matmul, Mat2DxMat2D) {
  expect_values(matmul(tensor({{1, 2}, {3, 4}}), tensor({{5, 6}, {7, 8}})), {2, 2}, {19, 22, 43, 50});
  expect_values(mm(tensor({{1, 2, 3}}), tensor({1, 2, 3}).reshape({3, 1})), {1, 1}, {14});
}

TEST(Matmul, BatchedBroadcast) {
  // (2, 1, 3, 4) x (5, 4, 2) -> (2, 5, 3, 2)
  Tensor a = arange(24).reshape({2, 1, 3, 4});
  Tensor b = arange(40).reshape({5, 4, 2});
  Tensor r = matmul(a, b);
  ASSERT_EQ(r.shape(), Shape({2, 5, 3, 2}));
  // By hand: r[1, 2, 0, 1] = [12, 13, 14, 15] . b[2, :, 1] = [17, 19, 21, 23] -> 1090
  EXPECT_DOUBLE_EQ(r.at({1, 2, 0, 1}), 12 * 17 + 13 * 19 + 14 * 21 + 15 * 23);
  // r[0, 0, 2, 0] = [8, 9, 10, 11] . [0, 2, 4, 6] = 124
  EXPECT_DOUBLE_EQ(r.at({0, 0, 2, 0}), 124);
  // Everything against explicit loops over the materialised broadcast.
  Tensor ae = a.expand({2, 5, 3, 4}).reshape({10, 3, 4});
  Tensor be = b.expand({2, 5, 4, 2}).reshape({10, 4, 2});
  expect_values(r.reshape({10, 3, 2}), {10, 3, 2}, loop_bmm(ae, be));
}

TEST(Matmul, VectorWithBatched) {
  // (3) x (2, 3, 2) -> (2, 2);  (2, 2, 3) x (3) -> (2, 2)
  Tensor b = arange(12).reshape({2, 3, 2});
  expect_values(matmul(tensor({1, -1, 2}), b), {2, 2}, {0 - 2 + 8, 1 - 3 + 10, 6 - 8 + 20, 7 - 9 + 22});
  Tensor a = arange(12).reshape({2, 2, 3});
  expect_values(matmul(a, tensor({1, -1, 2})), {2, 2}, {0 - 1 + 4, 3 - 4 + 10, 6 - 7 + 16, 9 - 10 + 22});
}

TEST(Matmul, BatchedWith2DBothSides) {
  Tensor a = arange(24).reshape({2, 3, 4}) * 0.5;
  Tensor w = arange(8).reshape({4, 2}) - 3.0;
  // (2, 3, 4) x (4, 2): folded into one GEMM
  Tensor r = matmul(a, w);
  expect_values(r, {2, 3, 2}, loop_bmm(a, w.expand({2, 4, 2})));
  // r[0, 0, 0] = 0.5 * ([0, 1, 2, 3] . [-3, -1, 1, 3]) = 0.5 * 10 = 5
  EXPECT_DOUBLE_EQ(r.at({0, 0, 0}), 5);
  // (3, 4) x (2, 4, 2): the 2-D operand broadcasts over the batch
  Tensor m = arange(12).reshape({3, 4});
  Tensor b = arange(16).reshape({2, 4, 2});
  expect_values(matmul(m, b), {2, 3, 2}, loop_bmm(m.expand({2, 3, 4}), b));
}

TEST(Matmul, TransposedViews) {
  Tensor a = tensor({{1, 4}, {2, 5}, {3, 6}});  // a.t() = [[1, 2, 3], [4, 5, 6]]
  Tensor b = tensor({{1, 0, 2}, {-1, 3, 1}});   // b.t() = [[1, -1], [0, 3], [2, 1]]
  ASSERT_FALSE(a.t().is_contiguous());
  // [[1,2,3],[4,5,6]] @ [[1,-1],[0,3],[2,1]] = [[7, 8], [16, 17]]
  expect_values(matmul(a.t(), b.t()), {2, 2}, {7, 8, 16, 17});
  // a @ b = [[1-4, 12, 2+4], [2-5, 15, 4+5], [3-6, 18, 6+6]]
  expect_values(mm(a, b), {3, 3}, {-3, 12, 6, -3, 15, 9, -3, 18, 12});
  // Batched transposed views: (2, 3, 4).transpose(1, 2) x (2, 3, 2)
  Tensor x = arange(24).reshape({2, 3, 4});
  Tensor y = arange(12).reshape({2, 3, 2}) - 5.0;
  expect_values(bmm(x.transpose(1, 2), y), {2, 4, 2}, loop_bmm(x.transpose(1, 2).contiguous(), y));
}

TEST(Matmul, SlicedViews) {
  Tensor big = arange(20).reshape({4, 5});
  // Column slice keeps unit column stride (row stride 5): used in place. [[1,2],[6,7],[11,12],[16,17]]
  Tensor cols = big.slice(1, 1, 3);
  // Step-2 slice along columns has no BLAS layout: copied. [[0,2,4],[5,7,9]] (rows 0, 1)
  Tensor stepped = big.slice(0, 0, 2).slice(1, 0, 5, 2);
  Tensor v = tensor({{1, 0}, {0, 1}, {1, 1}});
  // stepped @ v = [[0+4, 2+4], [5+9, 7+9]]
  expect_values(matmul(stepped, v), {2, 2}, {4, 6, 14, 16});
  // cols^T @ cols = sum over rows of outer products
  // col1 = [1,6,11,16], col2 = [2,7,12,17]: [[1+36+121+256, 2+42+132+272], [.., 4+49+144+289]]
  expect_values(matmul(cols.t(), cols), {2, 2}, {414, 448, 448, 486});
  // A sliced row vector with stride 5 times a matrix.
  Tensor col0 = big.select(1, 0).slice(0, 0, 2);  // [0, 5]
  expect_values(matmul(col0, tensor({{1, 2}, {3, 4}})), {2}, {15, 20});
}

TEST(Matmul, RandomAgainstLoopsFloatAndDouble) {
  Generator gen(7);
  for (DType dt : {kFloat32, kFloat64}) {
    Tensor a = randn({37, 70}, TensorOptions(dt), &gen);
    Tensor b = randn({19, 70}, TensorOptions(dt), &gen);
    // b.t() is a transposed view: GEMM gets trans_b.
    Tensor r = matmul(a, b.t());
    expect_values(r.unsqueeze(0), {1, 37, 19}, loop_bmm(a.unsqueeze(0), b.t().unsqueeze(0)),
                  dt == kFloat32 ? 1e-4 : 1e-12);
    EXPECT_EQ(r.dtype(), dt);
  }
  // Mixed float32 x float64 promotes to float64.
  EXPECT_EQ(matmul(ones({2, 2}), ones({2, 2}, kFloat64)).dtype(), kFloat64);
}

TEST(Matmul, EmptyAndZeroInner) {
  Tensor r = matmul(zeros({3, 0}), zeros({0, 4}));
  expect_values(r, {3, 4}, std::vector<double>(12, 0.0));
  EXPECT_EQ(matmul(zeros({0, 3}), ones({3, 2})).shape(), Shape({0, 2}));
  EXPECT_EQ(matmul(zeros({2, 0, 3}), ones({3, 2})).shape(), Shape({2, 0, 2}));
}

TEST(Matmul, Bmm) {
  Tensor a = arange(12).reshape({2, 2, 3});
  Tensor b = arange(12).reshape({2, 3, 2});
  // batch 0: [[0,1,2],[3,4,5]] @ [[0,1],[2,3],[4,5]] = [[10,13],[28,40]]
  // batch 1: [[6,7,8],[9,10,11]] @ [[6,7],[8,9],[10,11]] = [[172,193],[244,274]]
  expect_values(bmm(a, b), {2, 2, 2}, {10, 13, 28, 40, 172, 193, 244, 274});
}

TEST(Matmul, Addmm) {
  Tensor self = tensor({{1, 1}, {1, 1}});
  Tensor a = tensor({{1, 2}, {3, 4}}), b = tensor({{5, 6}, {7, 8}});
  expect_values(addmm(self, a, b), {2, 2}, {20, 23, 44, 51});
  // beta 0.5, alpha 2, self a broadcast row
  expect_values(addmm(tensor({10, -10}), a, b, 0.5, 2.0), {2, 2}, {43, 39, 91, 95});
  // beta 0 ignores self, NaN included.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  expect_values(addmm(full({2, 2}, nan), a, b, 0.0, 1.0), {2, 2}, {19, 22, 43, 50});
}

TEST(Linear, WithAndWithoutBias) {
  Tensor x = tensor({{1, 2, 3}, {-1, 0, 1}});  // (2, 3)
  Tensor w = tensor({{1, 0, -1}, {2, 1, 0}});  // (out 2, in 3)
  Tensor bias = tensor({0.5, -0.5});
  // x @ w^T = [[1-3, 2+2], [-1-1, -2+0]] = [[-2, 4], [-2, -2]]
  expect_values(linear(x, w), {2, 2}, {-2, 4, -2, -2});
  expect_values(linear(x, w, bias), {2, 2}, {-1.5, 3.5, -1.5, -2.5});
  // 1-D input and 3-D input keep their leading dims.
  expect_values(linear(tensor({1, 2, 3}), w, bias), {2}, {-1.5, 3.5});
  expect_values(linear(x.unsqueeze(0).expand({2, 2, 3}), w, bias), {2, 2, 2},
                {-1.5, 3.5, -1.5, -2.5, -1.5, 3.5, -1.5, -2.5});
  // Transposed x (a view) and transposed weight storage.
  Tensor xt = x.t().contiguous().t();
  ASSERT_FALSE(xt.is_contiguous());
  expect_values(linear(xt, w.t().contiguous().t(), bias), {2, 2}, {-1.5, 3.5, -1.5, -2.5});
}

TEST(Linear, Gradients) {
  Tensor x = tensor({{1, 2, 3}, {-1, 0, 1}}).requires_grad_();
  Tensor w = tensor({{1, 0, -1}, {2, 1, 0}}).requires_grad_();
  Tensor b = tensor({0.5, -0.5}).requires_grad_();
  linear(x, w, b).sum().backward();
  // d/dx = ones(2,2) @ w = column sums of w per row: [3, 1, -1]
  expect_values(x.grad(), {2, 3}, {3, 1, -1, 3, 1, -1});
  // d/dw = ones(2,2)^T @ x = column sums of x: [0, 2, 4] per output row
  expect_values(w.grad(), {2, 3}, {0, 2, 4, 0, 2, 4});
  expect_values(b.grad(), {2}, {2, 2});
}

TEST(Matmul, Gradients) {
  // loss = sum(a @ b): grad_a = ones @ b^T (row sums of b), grad_b = a^T @ ones (column sums of a).
  Tensor a = tensor({{1, 2}, {3, 4}, {5, 6}}).requires_grad_();
  Tensor b = tensor({{1, -1, 2}, {0, 3, 1}}).requires_grad_();
  matmul(a, b).sum().backward();
  expect_values(a.grad(), {3, 2}, {2, 4, 2, 4, 2, 4});
  expect_values(b.grad(), {2, 3}, {9, 9, 9, 12, 12, 12});
  // Broadcast batch dim: b (2, 3) used by both batch items gets both contributions.
  Tensor a3 = ones({2, 3, 2}).requires_grad_();
  Tensor b2 = tensor({{1, -1, 2}, {0, 3, 1}}).requires_grad_();
  Tensor b3 = b2.unsqueeze(0).expand({2, 2, 3});
  matmul(a3, b3).sum().backward();
  expect_values(b2.grad(), {2, 3}, std::vector<double>(6, 6.0));
  // Dot product: d(a . b)/da = b.
  Tensor u = tensor({1, 2, 3}).requires_grad_();
  Tensor v = tensor({4, 5, 6}).requires_grad_();
  matmul(u, v).backward();
  expect_values(u.grad(), {3}, {4, 5, 6});
  expect_values(v.grad(), {3}, {1, 2, 3});
}

TEST(Matmul, Errors) {
  EXPECT_EQ(error_of([] {
              matmul(zeros({32, 784}), zeros({512, 256}));
            }),
            "[matmul] inner dimensions differ: (32, 784) x (512, 256)");
  EXPECT_THAT(error_of([] { matmul(zeros({3}), zeros({4})); }),
              HasSubstr("[matmul] inner dimensions differ: (3,) x (4,)"));
  EXPECT_THAT(error_of([] { matmul(zeros({2, 3}), zeros({4})); }), HasSubstr("(2, 3) x (4,)"));
  EXPECT_THAT(error_of([] { matmul(zeros({}), zeros({3})); }), HasSubstr("[matmul] both operands need at least 1 dim"));
  EXPECT_THAT(error_of([] {
                matmul(zeros({2, 3, 4}), zeros({5, 4, 2}));
              }),
              HasSubstr("[matmul] batch dimensions do not broadcast: (2, 3, 4) x (5, 4, 2)"));
  EXPECT_THAT(error_of([] {
                matmul(zeros({2, 2}, kInt64), zeros({2, 2}, kInt64));
              }),
              HasSubstr("[matmul] needs float tensors, got int64 and int64"));
  EXPECT_THAT(error_of([] {
                mm(zeros({2, 3, 4}), zeros({4, 2}));
              }),
              HasSubstr("[mm] expected 2-D operands, got (2, 3, 4) x (4, 2)"));
  EXPECT_THAT(error_of([] {
                mm(zeros({2, 3}), zeros({2, 3}));
              }),
              HasSubstr("[mm] inner dimensions differ: (2, 3) x (2, 3)"));
  EXPECT_THAT(error_of([] {
                bmm(zeros({2, 3, 4}), zeros({3, 4, 2}));
              }),
              HasSubstr("[bmm] batch sizes differ: (2, 3, 4) x (3, 4, 2)"));
  EXPECT_THAT(error_of([] { bmm(zeros({3, 4}), zeros({4, 2})); }), HasSubstr("[bmm] expected 3-D operands"));
  EXPECT_THAT(error_of([] { bmm(zeros({2, 3, 4}), zeros({2, 3, 2})); }), HasSubstr("[bmm] inner dimensions differ"));
  EXPECT_THAT(error_of([] { addmm(zeros({3}), zeros({2, 4}), zeros({4, 2})); }), HasSubstr("[addmm]"));
  EXPECT_THAT(error_of([] {
                addmm(zeros({2, 2}), zeros({2, 4}), zeros({3, 2}));
              }),
              HasSubstr("[addmm] inner dimensions differ: (2, 4) x (3, 2)"));
  EXPECT_THAT(error_of([] {
                linear(zeros({32, 784}), zeros({512, 256}));
              }),
              HasSubstr("[linear] inner dimensions differ: (32, 784) x (512, 256)^T"));
  EXPECT_THAT(error_of([] {
                linear(zeros({2, 3}), zeros({4, 3}), zeros({3}));
              }),
              HasSubstr("[linear] bias of shape (3,) does not match weight (4, 3)"));
  EXPECT_THAT(error_of([] { linear(zeros({2, 3}), zeros({3})); }), HasSubstr("[linear] weight must be 2-D"));
  EXPECT_THAT(error_of([] { matmul(Tensor(), zeros({3})); }), HasSubstr("[matmul] undefined tensor"));
}

}  // namespace
