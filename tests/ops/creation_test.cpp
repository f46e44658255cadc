// Creation ops: constants, ranges, identity, data from C++, and the *_like family.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/strata.h"

using namespace strata;

namespace {
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}
}  // namespace

TEST(Creation, ZerosOnesFull) {
  Tensor z = zeros({2, 3});
  EXPECT_EQ(z.shape(), Shape({2, 3}));
  EXPECT_EQ(z.dtype(), kFloat32);
  EXPECT_EQ(z.to_vector<float>(), std::vector<float>(6, 0.0f));
  Tensor o = ones({4}, kFloat64);
  EXPECT_EQ(o.dtype(), kFloat64);
  EXPECT_EQ(o.to_vector<double>(), std::vector<double>(4, 1.0));
  Tensor f = full({3, 1}, -2.5);
  EXPECT_EQ(f.shape(), Shape({3, 1}));
  EXPECT_EQ(f.to_vector<float>(), std::vector<float>(3, -2.5f));
  EXPECT_EQ(full({2}, 7.9, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
  EXPECT_EQ(full({2}, 0.5, kBool).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(full({2}, 1.0 / 3.0, kFloat16).to_vector<float>()[0], static_cast<float>(Half(1.0f / 3.0f)));
  EXPECT_EQ(zeros({}).dim(), 0);
  EXPECT_EQ(zeros({}).item(), 0.0);
  EXPECT_EQ(zeros({0, 4}).numel(), 0);
  EXPECT_EQ(scalar_tensor(3.25).item(), 3.25);
  EXPECT_EQ(scalar_tensor(3.25).dim(), 0);
  EXPECT_EQ(empty({5}).shape(), Shape({5}));
  EXPECT_THROW(zeros({2, -1}), Error);
}

TEST(Creation, RequiresGradOption) {
  Tensor w = zeros({2}, TensorOptions(kFloat64).with_requires_grad());
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(randn({3}, TensorOptions().with_requires_grad()).requires_grad());
  EXPECT_THROW(zeros({2}, TensorOptions(kInt64).with_requires_grad()), Error);
  EXPECT_FALSE(ones({2}).requires_grad());
}

TEST(Creation, ArangeCountsLikeTorch) {
  EXPECT_EQ(arange(5.0).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(2.0, 5.0).to_vector<float>(), (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(arange(0.0, 10.0, 3.0).to_vector<float>(), (std::vector<float>{0, 3, 6, 9}));  // ceil(10/3) = 4
  EXPECT_EQ(arange(0.0, 9.0, 3.0).numel(), 3);
  EXPECT_EQ(arange(5.0, -1.0, -1.5).to_vector<float>(), (std::vector<float>{5, 3.5, 2, 0.5}));
  EXPECT_EQ(arange(3.0, 3.0).numel(), 0);
  EXPECT_EQ(arange(-3.0, 3.0, 2.0, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{-3, -1, 1}));
  EXPECT_EQ(arange(4.0, kInt64).dtype(), kInt64);
  // torch.arange(0, 1, 0.1): 10 values (values from torch, float32 and float64).
  Tensor a = arange(0.0, 1.0, 0.1);
  EXPECT_EQ(a.numel(), 10);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{0.0f, 0.100000001f, 0.200000003f, 0.300000012f, 0.400000006f,
                                                      0.5f, 0.600000024f, 0.699999988f, 0.800000012f, 0.899999976f}));
  EXPECT_EQ(
      arange(0.0, 1.0, 0.1, kFloat64).to_vector<double>(),
      (std::vector<double>{0, 0.10000000000000001, 0.20000000000000001, 0.30000000000000004, 0.40000000000000002, 0.5,
                           0.60000000000000009, 0.70000000000000007, 0.80000000000000004, 0.90000000000000002}));
  EXPECT_EQ(arange(1.0, 2.0, 0.3, kFloat64).to_vector<double>(),
            (std::vector<double>{1, 1.3, 1.6000000000000001, 1.8999999999999999}));
}

TEST(Creation, ArangeErrors) {
  std::string m = message_of([] { arange(0.0, 5.0, 0.0); });
  EXPECT_TRUE(contains(m, "[arange]")) << m;
  EXPECT_THROW(arange(0.0, 5.0, -1.0), Error);
  EXPECT_THROW(arange(5.0, 0.0, 1.0), Error);
  EXPECT_THROW(arange(0.0, INFINITY), Error);
  EXPECT_THROW(arange(NAN), Error);
}

TEST(Creation, LinspaceMatchesTorch) {
  // Reference values from torch.linspace (1.13). Strata computes each value in double and rounds once, so
  // float32 results can differ from torch's float32 arithmetic in the last bit (torch gives -2.98e-08 for
  // the midpoint of linspace(-1, 1, 7); Strata gives exactly 0).
  expect_near_all(linspace(0, 1, 5).to_vector<double>(), {0, 0.25, 0.5, 0.75, 1}, 0);
  expect_near_all(linspace(-1, 1, 7).to_vector<double>(),
                  {-1, -0.66666662693023682, -0.33333331346511841, -2.9802322387695312e-08, 0.33333331346511841,
                   0.66666662693023682, 1},
                  6e-8);
  expect_near_all(linspace(0, 10, 11).to_vector<double>(), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0);
  std::vector<double> halves;
  for (int i = 0; i < 20; ++i) halves.push_back(-2.5 + 0.5 * i);
  expect_near_all(linspace(-2.5, 7, 20).to_vector<double>(), halves, 0);
  expect_near_all(linspace(-2.5, 7, 20, kFloat64).to_vector<double>(), halves, 0);
  expect_near_all(linspace(1, 0, 4).to_vector<double>(), {1, 0.66666662693023682, 0.3333333432674408, 0}, 6e-8);
  // The ends are exact and the values symmetric.
  std::vector<double> v = linspace(-0.3, 0.7, 101, kFloat64).to_vector<double>();
  EXPECT_EQ(v.front(), -0.3);
  EXPECT_EQ(v.back(), 0.7);
  for (size_t i = 1; i < v.size(); ++i) EXPECT_NEAR(v[i] - v[i - 1], 0.01, 1e-15);
  EXPECT_EQ(linspace(3, 5, 1).to_vector<float>(), std::vector<float>{3});
  EXPECT_EQ(linspace(0, 1, 0).numel(), 0);
  EXPECT_THROW(linspace(0, 1, -1), Error);
}

TEST(Creation, Eye) {
  EXPECT_EQ(eye(3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  Tensor r = eye(2, 3);
  EXPECT_EQ(r.shape(), Shape({2, 3}));
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(eye(3, 2).to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(eye(2, -1, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(eye(0).numel(), 0);
  EXPECT_EQ(eye(3, 0).shape(), Shape({3, 0}));
  EXPECT_THROW(eye(-2), Error);
}

TEST(Creation, FromVectorAndTensor) {
  Tensor a = from_vector<float>({1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f}, {2, 3});
  EXPECT_EQ(a.shape(), Shape({2, 3}));
  EXPECT_EQ(a.dtype(), kFloat32);
  EXPECT_EQ(a.at({1, 0}), 4.5);
  EXPECT_EQ(from_vector<double>({1, 2}).dtype(), kFloat64);
  EXPECT_EQ(from_vector<double>({1, 2}).shape(), Shape({2}));
  Tensor i = from_vector<int64_t>({-5, 9});
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{-5, 9}));
  EXPECT_EQ(from_vector<bool>({true, false, true}).dtype(), kBool);
  EXPECT_EQ(from_vector<int64_t>({1, 2}, {}, kFloat64).dtype(), kFloat64);  // opts override the dtype
  EXPECT_EQ(from_vector<float>({}).shape(), Shape({0}));
  std::string m = message_of([] { from_vector<float>({1, 2, 3}, {2, 2}); });
  EXPECT_TRUE(contains(m, "[from_vector]")) << m;
  EXPECT_TRUE(contains(m, "(2, 2)")) << m;

  Tensor t = tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(t.shape(), Shape({2, 3}));
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(t.at({1, 2}), 6.0);
  EXPECT_EQ(tensor({1, 2}, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(tensor({0.1}).item<float>(), 0.1f);
  m = message_of([] { tensor({{1, 2}, {3}}); });
  EXPECT_TRUE(contains(m, "[tensor]")) << m;
  EXPECT_TRUE(contains(m, "ragged")) << m;
}

TEST(Creation, LikeFamily) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, kFloat64).t();  // (3, 2), not contiguous
  x.requires_grad_();
  for (const Tensor& y : {empty_like(x), zeros_like(x), ones_like(x), full_like(x, 4.0), rand_like(x), randn_like(x)}) {
    EXPECT_EQ(y.shape(), Shape({3, 2}));
    EXPECT_EQ(y.dtype(), kFloat64);
    EXPECT_TRUE(y.is_contiguous());
    EXPECT_FALSE(y.requires_grad());
    EXPECT_NE(y.storage().get(), x.storage().get());
  }
  EXPECT_EQ(zeros_like(x).to_vector<double>(), std::vector<double>(6, 0.0));
  EXPECT_EQ(ones_like(x, kInt64).to_vector<int64_t>(), std::vector<int64_t>(6, 1));
  EXPECT_EQ(full_like(x, 4.0, kFloat32).dtype(), kFloat32);
  EXPECT_EQ(full_like(x, 4.0).to_vector<double>(), std::vector<double>(6, 4.0));
  EXPECT_EQ(empty_like(x, kBool).dtype(), kBool);
}

TEST(Creation, FillAndZeroInPlace) {
  Tensor t = arange(6.0).reshape({2, 3});
  const uint64_t v0 = t.version();
  t.t().select(0, 1).fill_(9.0);  // column 1 through a transposed view
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 9, 2, 3, 9, 5}));
  EXPECT_GT(t.version(), v0);
  t.zero_();
  EXPECT_EQ(t.to_vector<float>(), std::vector<float>(6, 0.0f));
  Tensor leaf = ones({2}).requires_grad_();
  std::string m = message_of([&] { leaf.fill_(1.0); });
  EXPECT_TRUE(contains(m, "[fill_]")) << m;
  EXPECT_TRUE(contains(m, "leaf")) << m;
  {
    NoGradGuard ng;
    leaf.fill_(3.0);
  }
  EXPECT_EQ(leaf.to_vector<float>(), (std::vector<float>{3, 3}));
}
