// Views and copies: shapes, strides, shared storage, copy-vs-view decisions, errors, and dtype conversion.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

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
bool shares(const Tensor& a, const Tensor& b) { return a.storage().get() == b.storage().get(); }

// (2, 3, 4) with values 0..23.
Tensor iota() { return arange(24.0).reshape({2, 3, 4}); }
std::vector<float> vals(const Tensor& t) { return t.to_vector<float>(); }
std::vector<float> range(int a, int b, int step = 1) {
  std::vector<float> v;
  for (int i = a; step > 0 ? i < b : i > b; i += step) v.push_back(static_cast<float>(i));
  return v;
}
}  // namespace

TEST(Views, ReshapeIsAViewWhenStridesAllow) {
  Tensor x = iota();
  Tensor r = x.reshape({4, 6});
  EXPECT_TRUE(shares(r, x));
  EXPECT_EQ(r.strides(), Shape({6, 1}));
  EXPECT_EQ(vals(r), range(0, 24));
  EXPECT_EQ(x.reshape({-1}).shape(), Shape({24}));
  EXPECT_EQ(x.reshape({3, -1}).shape(), Shape({3, 8}));
  EXPECT_EQ(x.reshape({2, 1, 12}).strides(), Shape({12, 12, 1}));
  // Merging dims that stay contiguous in a transposed tensor is still a view.
  Tensor p = x.permute({1, 2, 0});  // (3, 4, 2), strides (4, 1, 12)
  Tensor pv = p.reshape({12, 2});
  EXPECT_TRUE(shares(pv, x));
  EXPECT_EQ(pv.strides(), Shape({1, 12}));
  EXPECT_EQ(vals(pv), vals(p));
  // A slice of rows stays viewable.
  Tensor rows = x.narrow(1, 1, 2);  // (2, 2, 4), strides (12, 4, 1)
  Tensor rv = rows.reshape({2, 8});
  EXPECT_TRUE(shares(rv, x));
  EXPECT_EQ(vals(rv), (std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23}));
}

TEST(Views, ReshapeCopiesWhenItMust) {
  Tensor x = iota();
  Tensor t = x.transpose(0, 1);  // (3, 2, 4)
  Tensor r = t.reshape({3, 8});
  EXPECT_FALSE(shares(r, x));
  EXPECT_TRUE(r.is_contiguous());
  // torch: x.transpose(0, 1).reshape(3, 8)
  EXPECT_EQ(vals(r),
            (std::vector<float>{0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23}));
  Tensor xt = x.transpose(1, 2);
  EXPECT_FALSE(shares(xt.reshape({-1}), x));
  EXPECT_EQ(vals(xt.reshape({-1})), vals(xt.contiguous()));
}

TEST(Views, ViewErrors) {
  Tensor x = iota();
  std::string m = message_of([&] { x.transpose(0, 1).view({3, 8}); });
  EXPECT_TRUE(contains(m, "[view]")) << m;
  EXPECT_TRUE(contains(m, "(3, 2, 4)")) << m;
  EXPECT_TRUE(contains(m, "reshape")) << m;
  m = message_of([&] { x.view({5, 5}); });
  EXPECT_TRUE(contains(m, "[view]")) << m;
  EXPECT_TRUE(contains(m, "(5, 5)")) << m;
  EXPECT_THROW(x.view({-1, -1}), Error);
  EXPECT_THROW(x.view({7, -1}), Error);
  EXPECT_THROW(x.reshape({-2, 12}), Error);
  EXPECT_THROW(zeros({0, 3}).reshape({0, -1}), Error);  // -1 is ambiguous with zero elements
  EXPECT_EQ(x.view({24}).shape(), Shape({24}));
  EXPECT_EQ(zeros({0, 3}).reshape({3, 0}).shape(), Shape({3, 0}));
  EXPECT_EQ(scalar_tensor(5.0).reshape({1, 1}).item(), 5.0);
  EXPECT_EQ(ones({1, 1}).view({}).dim(), 0);
}

TEST(Views, Flatten) {
  Tensor x = iota();
  EXPECT_EQ(x.flatten().shape(), Shape({24}));
  EXPECT_EQ(x.flatten(1).shape(), Shape({2, 12}));
  EXPECT_EQ(x.flatten(0, 1).shape(), Shape({6, 4}));
  EXPECT_EQ(x.flatten(-2, -1).shape(), Shape({2, 12}));
  EXPECT_EQ(x.flatten(1, 1).shape(), Shape({2, 3, 4}));
  EXPECT_EQ(scalar_tensor(2.0).flatten().shape(), Shape({1}));
  EXPECT_EQ(vals(x.transpose(0, 2).flatten()), vals(x.transpose(0, 2).contiguous()));
  std::string m = message_of([&] { x.flatten(2, 1); });
  EXPECT_TRUE(contains(m, "[flatten]")) << m;
  EXPECT_THROW(x.flatten(0, 3), Error);
}

TEST(Views, SqueezeUnsqueeze) {
  Tensor x = zeros({1, 3, 1, 2});
  EXPECT_EQ(x.squeeze().shape(), Shape({3, 2}));
  EXPECT_EQ(x.squeeze(0).shape(), Shape({3, 1, 2}));
  EXPECT_EQ(x.squeeze(-2).shape(), Shape({1, 3, 2}));
  EXPECT_EQ(x.squeeze(1).shape(), Shape({1, 3, 1, 2}));  // not size 1: unchanged
  EXPECT_THROW(x.squeeze(4), Error);
  EXPECT_EQ(ones({1, 1}).squeeze().dim(), 0);
  Tensor y = iota();
  EXPECT_EQ(y.unsqueeze(0).shape(), Shape({1, 2, 3, 4}));
  EXPECT_EQ(y.unsqueeze(1).shape(), Shape({2, 1, 3, 4}));
  EXPECT_EQ(y.unsqueeze(1).strides(), Shape({12, 12, 4, 1}));
  EXPECT_EQ(y.unsqueeze(3).shape(), Shape({2, 3, 4, 1}));
  EXPECT_EQ(y.unsqueeze(-1).shape(), Shape({2, 3, 4, 1}));
  EXPECT_EQ(y.unsqueeze(-4).shape(), Shape({1, 2, 3, 4}));
  EXPECT_TRUE(y.unsqueeze(3).is_contiguous());
  EXPECT_THROW(y.unsqueeze(5), Error);
  EXPECT_THROW(y.unsqueeze(-5), Error);
  EXPECT_EQ(scalar_tensor(1.0).unsqueeze(0).shape(), Shape({1}));
  EXPECT_TRUE(shares(y.unsqueeze(2).squeeze(2), y));
  EXPECT_EQ(vals(y.unsqueeze(2).squeeze()), range(0, 24));
}

TEST(Views, TransposePermute) {
  Tensor x = iota();
  Tensor t = x.transpose(0, 2);
  EXPECT_EQ(t.shape(), Shape({4, 3, 2}));
  EXPECT_EQ(t.strides(), Shape({1, 4, 12}));
  EXPECT_TRUE(shares(t, x));
  EXPECT_EQ(x.transpose(-1, 0).shape(), Shape({4, 3, 2}));
  EXPECT_EQ(x.transpose(1, 1).strides(), x.strides());
  Tensor p = x.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), Shape({4, 2, 3}));
  EXPECT_EQ(p.strides(), Shape({1, 12, 4}));
  EXPECT_EQ(p.at({3, 1, 2}), 23.0);
  EXPECT_EQ(p.at({1, 0, 2}), 9.0);
  EXPECT_EQ(x.permute({-1, -3, -2}).shape(), Shape({4, 2, 3}));
  std::string m = message_of([&] { x.permute({0, 0, 1}); });
  EXPECT_TRUE(contains(m, "[permute]")) << m;
  EXPECT_TRUE(contains(m, "repeated")) << m;
  EXPECT_THROW(x.permute({0, 1}), Error);
  EXPECT_THROW(x.permute({0, 1, 3}), Error);
  EXPECT_THROW(x.permute({0, 2, -1}), Error);  // -1 is dim 2 again
  EXPECT_THROW(x.transpose(0, 3), Error);
  Tensor m2 = arange(6.0).reshape({2, 3});
  EXPECT_EQ(vals(m2.t()), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(arange(3.0).t().shape(), Shape({3}));
  EXPECT_THROW(x.t(), Error);
}

TEST(Views, NarrowSliceSelect) {
  Tensor v = arange(10.0);
  EXPECT_EQ(vals(v.slice(0, 2, 5)), range(2, 5));
  EXPECT_EQ(vals(v.slice(0, -3, 10)), range(7, 10));  // x[-3:]
  EXPECT_EQ(vals(v.slice(0, -100, 3)), range(0, 3));  // x[-100:3]: clamped
  EXPECT_EQ(vals(v.slice(0, 7, 100, 2)), (std::vector<float>{7, 9}));
  EXPECT_EQ(vals(v.slice(0, 1, 10, 3)), (std::vector<float>{1, 4, 7}));
  EXPECT_EQ(v.slice(0, 5, 2).numel(), 0);  // x[5:2]
  EXPECT_EQ(v.slice(0, 0, -1).numel(), 9);
  EXPECT_EQ(v.slice(0, 1, 10, 3).strides(), Shape({3}));
  EXPECT_EQ(v.slice(0, 1, 10, 3).offset(), 1);
  EXPECT_THROW(v.slice(0, 0, 5, 0), Error);
  EXPECT_THROW(v.slice(0, 0, 5, -1), Error);
  EXPECT_THROW(scalar_tensor(1.0).slice(0, 0, 1), Error);

  Tensor x = iota();
  Tensor n = x.narrow(2, 1, 2);
  EXPECT_EQ(n.shape(), Shape({2, 3, 2}));
  EXPECT_EQ(vals(n), (std::vector<float>{1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}));
  EXPECT_EQ(vals(x.narrow(1, -1, 1)), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(x.narrow(0, 2, 0).numel(), 0);
  std::string m = message_of([&] { x.narrow(2, 3, 2); });
  EXPECT_TRUE(contains(m, "[narrow]")) << m;
  EXPECT_TRUE(contains(m, "(2, 3, 4)")) << m;
  EXPECT_THROW(x.narrow(2, 0, -1), Error);
  EXPECT_THROW(x.narrow(3, 0, 1), Error);

  Tensor s = x.select(1, 2);
  EXPECT_EQ(s.shape(), Shape({2, 4}));
  EXPECT_EQ(vals(s), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(vals(x.select(2, -1)), (std::vector<float>{3, 7, 11, 15, 19, 23}));
  EXPECT_EQ(x.select(0, 1).select(0, 0).select(0, 3).item(), 15.0);
  m = message_of([&] { x.select(1, 3); });
  EXPECT_TRUE(contains(m, "[select]")) << m;
  EXPECT_TRUE(contains(m, "(2, 3, 4)")) << m;
  EXPECT_THROW(x.select(1, -4), Error);
  // Views of views compose offsets and strides.
  Tensor vv = x.transpose(0, 2).slice(0, 1, 4, 2).select(2, 1);  // x[1, :, 1::2].T
  EXPECT_EQ(vv.shape(), Shape({2, 3}));
  EXPECT_EQ(vals(vv), (std::vector<float>{13, 17, 21, 15, 19, 23}));
}

TEST(Views, Expand) {
  Tensor c = tensor({1, 2, 3}).reshape({3, 1});
  Tensor e = c.expand({3, 4});
  EXPECT_EQ(e.shape(), Shape({3, 4}));
  EXPECT_EQ(e.strides(), Shape({1, 0}));
  EXPECT_TRUE(shares(e, c));
  EXPECT_EQ(vals(e), (std::vector<float>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}));
  EXPECT_EQ(c.expand({2, -1, 2}).shape(), Shape({2, 3, 2}));
  EXPECT_EQ(c.expand({2, -1, 2}).strides(), Shape({0, 1, 0}));
  EXPECT_EQ(c.expand_as(zeros({5, 3, 7})).shape(), Shape({5, 3, 7}));
  EXPECT_EQ(scalar_tensor(2.0).expand({2, 2}).to_vector<float>(), std::vector<float>(4, 2.0f));
  EXPECT_EQ(zeros({1, 3}).expand({0, 3}).numel(), 0);
  std::string m = message_of([&] { c.expand({3, 4, 2}); });  // size 3 is not 1
  EXPECT_TRUE(contains(m, "[expand]")) << m;
  EXPECT_TRUE(contains(m, "(3, 1)")) << m;
  EXPECT_TRUE(contains(m, "(3, 4, 2)")) << m;
  EXPECT_THROW(c.expand({4}), Error);         // fewer dims
  EXPECT_THROW(c.expand({-1, 3, 1}), Error);  // -1 in a new leading dim
  EXPECT_THROW(c.expand({3, -2}), Error);
}

TEST(Views, ChunkSplit) {
  Tensor v = arange(10.0);
  auto sizes_of = [](const TensorList& l, int64_t d) {
    std::vector<int64_t> s;
    for (const Tensor& t : l) s.push_back(t.size(d));
    return s;
  };
  EXPECT_EQ(sizes_of(v.chunk(3), 0), (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(sizes_of(v.chunk(5), 0), (std::vector<int64_t>{2, 2, 2, 2, 2}));
  EXPECT_EQ(sizes_of(arange(6.0).chunk(4), 0), (std::vector<int64_t>{2, 2, 2}));  // as torch: 3 chunks
  EXPECT_EQ(sizes_of(arange(1.0).chunk(3), 0), (std::vector<int64_t>{1}));
  EXPECT_EQ(sizes_of(zeros({0}).chunk(3), 0), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(sizes_of(v.split(3), 0), (std::vector<int64_t>{3, 3, 3, 1}));
  EXPECT_EQ(sizes_of(v.split(20), 0), (std::vector<int64_t>{10}));
  EXPECT_EQ(sizes_of(zeros({0}).split(2), 0), (std::vector<int64_t>{0}));
  EXPECT_EQ(sizes_of(split(v, {1, 0, 6, 3}), 0), (std::vector<int64_t>{1, 0, 6, 3}));
  TensorList parts = split(iota(), {1, 3}, -1);
  EXPECT_EQ(parts[1].shape(), Shape({2, 3, 3}));
  EXPECT_EQ(vals(parts[0]), (std::vector<float>{0, 4, 8, 12, 16, 20}));
  TensorList ch = iota().chunk(2, 1);
  EXPECT_EQ(sizes_of(ch, 1), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(vals(ch[1]), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  for (const Tensor& t : ch) EXPECT_TRUE(shares(t, ch[0]));
  std::string m = message_of([&] { split(v, {3, 3}); });
  EXPECT_TRUE(contains(m, "[split]")) << m;
  EXPECT_TRUE(contains(m, "(10,)")) << m;
  EXPECT_THROW(v.split(0), Error);
  EXPECT_THROW(v.chunk(0), Error);
  EXPECT_THROW(split(v, {12, -2}), Error);
  EXPECT_THROW(v.split(2, 1), Error);
}

TEST(Views, ContiguousCloneTo) {
  Tensor x = iota();
  EXPECT_TRUE(x.contiguous().is_same(x));  // already contiguous: the same tensor
  Tensor t = x.transpose(0, 1);
  Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(shares(c, x));
  EXPECT_EQ(vals(c), vals(t));
  Tensor k = x.clone();
  EXPECT_FALSE(shares(k, x));
  EXPECT_EQ(vals(k), vals(x));
  k.fill_(0.0);
  EXPECT_EQ(x.at({1, 2, 3}), 23.0);
  EXPECT_TRUE(t.clone().is_contiguous());
  EXPECT_TRUE(x.to(kFloat32).is_same(x));  // same dtype: no copy
}

TEST(Views, DtypeConversions) {
  Tensor x = tensor({-2.75, -0.5, 0.0, 0.5, 1.0, 3.99, 1e10});
  EXPECT_EQ(x.to(kFloat64).to_vector<double>(),
            (std::vector<double>{-2.75, -0.5, 0.0, 0.5, 1.0, static_cast<double>(3.99f), static_cast<double>(1e10f)}));
  EXPECT_EQ(x.to(kInt64).to_vector<int64_t>(), (std::vector<int64_t>{-2, 0, 0, 0, 1, 3, 10000000000}));
  EXPECT_EQ(x.to(kBool).to_vector<bool>(), (std::vector<bool>{true, true, false, true, true, true, true}));
  EXPECT_EQ(x.to(kBool).to(kFloat32).to_vector<float>(), (std::vector<float>{1, 1, 0, 1, 1, 1, 1}));
  EXPECT_EQ(x.to(kInt64).to(kFloat64).to_vector<double>(), (std::vector<double>{-2, 0, 0, 0, 1, 3, 1e10}));
  Tensor h = x.to(kFloat16);
  std::vector<float> hv = h.to_vector<float>();
  EXPECT_EQ(hv[0], -2.75f);
  EXPECT_EQ(hv[5], static_cast<float>(Half(3.99f)));
  EXPECT_TRUE(std::isinf(hv[6]));
  EXPECT_EQ(x.to(kFloat64).to(kFloat16).to(kFloat32).to_vector<float>()[1], -0.5f);
  EXPECT_EQ(x.to(kBFloat16).to(kInt64).to_vector<int64_t>()[0], -2);
  EXPECT_EQ(from_vector<int64_t>({3, -7}).to(kFloat32).to_vector<float>(), (std::vector<float>{3, -7}));
  // A strided view converts its logical values.
  Tensor m = arange(6.0, kFloat64).reshape({2, 3}).t();
  EXPECT_EQ(m.to(kInt64).to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE(m.to(kInt64).is_contiguous());
}

TEST(Views, WritingThroughAViewChangesTheBase) {
  Tensor base = zeros({3, 4});
  base.select(1, 2).fill_(5.0);
  base.narrow(0, 2, 1).fill_(-1.0);
  base.t().slice(0, 0, 4, 3).select(1, 0).fill_(8.0);  // base[0, 0::3]
  EXPECT_EQ(vals(base), (std::vector<float>{8, 0, 5, 8, 0, 0, 5, 0, -1, -1, -1, -1}));
  Tensor r = base.reshape({12});
  r.slice(0, 0, 12, 5).fill_(3.0);  // flat 0, 5, 10
  EXPECT_EQ(base.at({1, 1}), 3.0);
  EXPECT_EQ(base.at({2, 2}), 3.0);
  Tensor e = zeros({4});
  e.unsqueeze(0).expand({3, 4}).select(0, 2).copy_(tensor({1, 2, 3, 4}));
  EXPECT_EQ(vals(e), (std::vector<float>{1, 2, 3, 4}));
}

TEST(Views, VersionCounterIsSharedAndBumpedByInPlaceOps) {
  Tensor base = zeros({2, 3});
  Tensor v = base.t();
  uint64_t v0 = base.version();
  v.fill_(1.0);
  EXPECT_EQ(base.version(), v0 + 1);
  base.add_(1.0);
  EXPECT_EQ(v.version(), v0 + 2);
  base.select(0, 0).copy_(tensor({7, 8, 9}));
  EXPECT_EQ(v.version(), v0 + 3);
  Tensor c = base.clone();
  EXPECT_EQ(c.version(), 0u);  // a fresh storage
  c.zero_();
  EXPECT_EQ(base.version(), v0 + 3);  // the clone's writes don't count for the base
}

TEST(Views, CopyInPlace) {
  Tensor d = zeros({2, 3}, kFloat64);
  d.copy_(tensor({1, 2, 3}));  // broadcasts and converts
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  d.copy_(from_vector<int64_t>({4, 5, 6, 7, 8, 9}, {2, 3}).t().t());
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{4, 5, 6, 7, 8, 9}));
  std::string m = message_of([&] { d.copy_(zeros({3, 2})); });
  EXPECT_TRUE(contains(m, "[copy_]")) << m;
  EXPECT_THROW(d.copy_(zeros({2, 3, 1})), Error);  // would broadcast d up, not the source down
  // Overlapping source and destination: x.copy_(x.t()) on a square matrix.
  Tensor sq = arange(9.0).reshape({3, 3});
  sq.copy_(sq.t());
  EXPECT_EQ(vals(sq), (std::vector<float>{0, 3, 6, 1, 4, 7, 2, 5, 8}));
  Tensor sh = arange(6.0);
  sh.slice(0, 1, 6).copy_(sh.slice(0, 0, 5));  // shifted overlap
  EXPECT_EQ(vals(sh), (std::vector<float>{0, 0, 1, 2, 3, 4}));
}

TEST(Views, ReshapeAgreesWithCopyingOnRandomLayouts) {
  // Random permuted / sliced / unsqueezed layouts reshaped to random shapes: whether reshape views or
  // copies, the values must be those of the contiguous copy, and contiguous inputs must never copy.
  std::mt19937 rng(7);
  auto pick = [&rng](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint32_t>(n)); };
  int views = 0, copies = 0;
  for (int trial = 0; trial < 400; ++trial) {
    Shape s;
    const int64_t nd = 1 + pick(4);
    for (int64_t d = 0; d < nd; ++d) s.push_back(1 + pick(4));
    Tensor x = arange(static_cast<double>(s.numel())).reshape(s);
    Dims perm(static_cast<size_t>(nd));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    if (pick(2)) x = x.permute(perm);
    if (pick(3) == 0) x = x.unsqueeze(pick(x.dim() + 1));
    if (pick(3) == 0) {
      const int64_t d = pick(x.dim());
      if (x.size(d) > 1) x = x.slice(d, pick(2), x.size(d), 1 + pick(2));
    }
    // A random target shape with the same numel: split the count into prime factors and regroup.
    int64_t n = x.numel();
    std::vector<int64_t> factors;
    for (int64_t f = 2; n > 1;) {
      if (n % f == 0) {
        factors.push_back(f);
        n /= f;
      } else {
        ++f;
      }
    }
    std::shuffle(factors.begin(), factors.end(), rng);
    Shape target;
    for (int64_t f : factors) {
      if (target.empty() || pick(2)) {
        target.push_back(f);
      } else {
        target[target.size() - 1] *= f;
      }
      if (pick(4) == 0) target.push_back(1);
    }
    Tensor r = x.reshape(target);
    ASSERT_EQ(r.shape(), target);
    ASSERT_EQ(vals(r), vals(x.contiguous()))
        << "layout " << x.shape() << " strides " << x.strides() << " -> " << target;
    if (x.is_contiguous()) {
      ASSERT_TRUE(shares(r, x)) << x.shape() << " -> " << target;
    }
    (shares(r, x) ? views : copies) += 1;
  }
  EXPECT_GT(views, 50);
  EXPECT_GT(copies, 50);
}
