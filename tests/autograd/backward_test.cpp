// The backward pass: accumulation, zero_grad, retain_graph, seeds, detach, diamonds, version checks, and
// the errors a user can run into.
#include <gtest/gtest.h>

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
std::vector<double> g_of(const Tensor& t) { return t.grad().to_vector<double>(); }
Tensor leaf(std::initializer_list<double> v) { return tensor(v, kFloat64).requires_grad_(); }
}  // namespace

TEST(Backward, SimpleGradients) {
  Tensor x = leaf({1, -2, 3});
  Tensor w = leaf({0.5, 4, -1});
  Tensor y = (x * w + x).sum();  // dy/dx = w + 1, dy/dw = x
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(y.is_leaf());
  ASSERT_TRUE(y.grad_fn() != nullptr);
  EXPECT_EQ(y.dim(), 0);
  y.backward();
  EXPECT_EQ(g_of(x), (std::vector<double>{1.5, 5, 0}));
  EXPECT_EQ(g_of(w), (std::vector<double>{1, -2, 3}));
  EXPECT_FALSE(y.grad().defined());  // non-leaf without retain_grad
}

TEST(Backward, AccumulatesAcrossCalls) {
  Tensor x = leaf({1, 2});
  (x * x).sum().backward();  // 2x
  EXPECT_EQ(g_of(x), (std::vector<double>{2, 4}));
  (x * 3.0).sum().backward();  // + 3
  EXPECT_EQ(g_of(x), (std::vector<double>{5, 7}));
  Tensor g_before = x.grad();
  (x * x * x).sum().backward();  // + 3x^2, accumulated into the same .grad tensor
  EXPECT_EQ(g_of(x), (std::vector<double>{8, 19}));
  EXPECT_TRUE(x.grad().is_same(g_before));
}

TEST(Backward, GradDoesNotAliasTheIncomingGradient) {
  // The seed is the caller's tensor; .grad must be a private copy, or later accumulation would write
  // into the caller's tensor.
  Tensor x = leaf({1, 2});
  Tensor seed = tensor({10, 20}, kFloat64);
  x.clone().backward(seed);
  EXPECT_EQ(g_of(x), (std::vector<double>{10, 20}));
  x.clone().backward(seed);
  EXPECT_EQ(g_of(x), (std::vector<double>{20, 40}));
  EXPECT_EQ(seed.to_vector<double>(), (std::vector<double>{10, 20}));
  // Two leaves fed by one gradient tensor (add passes it through to both) get separate .grad tensors.
  Tensor a = leaf({1}), b = leaf({2});
  (a + b).sum().backward();
  EXPECT_FALSE(a.grad().storage().get() == b.grad().storage().get());
  (a * 5.0).sum().backward();
  EXPECT_EQ(g_of(a), std::vector<double>{6});
  EXPECT_EQ(g_of(b), std::vector<double>{1});
}

TEST(Backward, ZeroGrad) {
  Tensor x = leaf({1, 2});
  (x * 2.0).sum().backward();
  Tensor g = x.grad();
  x.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(x.grad().defined());
  EXPECT_TRUE(x.grad().is_same(g));  // zeroed in place
  EXPECT_EQ(g_of(x), (std::vector<double>{0, 0}));
  (x * 2.0).sum().backward();
  EXPECT_EQ(g_of(x), (std::vector<double>{2, 2}));
  x.zero_grad();  // set_to_none, the default
  EXPECT_FALSE(x.grad().defined());
  (x * 3.0).sum().backward();
  EXPECT_EQ(g_of(x), (std::vector<double>{3, 3}));
  Tensor fresh = leaf({1});
  fresh.zero_grad(false);  // nothing to zero
  EXPECT_FALSE(fresh.grad().defined());
}

TEST(Backward, SetGrad) {
  Tensor x = leaf({1, 2});
  x.set_grad(tensor({5, 6}, kFloat64));
  (x * 1.0).sum().backward();
  EXPECT_EQ(g_of(x), (std::vector<double>{6, 7}));
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
  std::string m = message_of([&] { x.set_grad(zeros({3}, kFloat64)); });
  EXPECT_TRUE(contains(m, "(3,)")) << m;
  m = message_of([&] { x.set_grad(zeros({2})); });
  EXPECT_TRUE(contains(m, "float32")) << m;
}

TEST(Backward, RetainGraph) {
  Tensor x = leaf({1, 2});
  Tensor y = (x * x).sum();
  y.backward();
  std::string m = message_of([&] { y.backward(); });
  EXPECT_TRUE(contains(m, "retain_graph")) << m;
  EXPECT_TRUE(contains(m, "second time")) << m;

  Tensor x2 = leaf({1, 2});
  Tensor y2 = (x2 * x2).sum();
  y2.backward(Tensor(), /*retain_graph=*/true);
  EXPECT_EQ(g_of(x2), (std::vector<double>{2, 4}));
  y2.backward(Tensor(), /*retain_graph=*/true);
  EXPECT_EQ(g_of(x2), (std::vector<double>{4, 8}));  // doubled
  y2.backward();                                     // last use frees the graph
  EXPECT_EQ(g_of(x2), (std::vector<double>{6, 12}));
  EXPECT_THROW(y2.backward(), Error);
}

TEST(Backward, ExplicitGradientAndNonScalarErrors) {
  Tensor x = leaf({1, 2, 3});
  Tensor y = x * 2.0;
  std::string m = message_of([&] { y.backward(); });
  EXPECT_TRUE(contains(m, "scalar")) << m;
  EXPECT_TRUE(contains(m, "(3,)")) << m;
  y.backward(tensor({1, 10, 100}, kFloat64), true);
  EXPECT_EQ(g_of(x), (std::vector<double>{2, 20, 200}));
  m = message_of([&] { y.backward(tensor({1, 2}, kFloat64), true); });
  EXPECT_TRUE(contains(m, "(2,)")) << m;
  EXPECT_TRUE(contains(m, "(3,)")) << m;
  m = message_of([&] { y.backward(tensor({1, 2, 3}), true); });  // float32 seed for a float64 output
  EXPECT_TRUE(contains(m, "float32")) << m;
  // A one-element non-0-d output may omit the gradient.
  Tensor z = leaf({4});
  (z * z).backward();
  EXPECT_EQ(g_of(z), std::vector<double>{8});
  // A leaf can be the root.
  Tensor l = leaf({1, 2});
  l.backward(tensor({3, 4}, kFloat64));
  EXPECT_EQ(g_of(l), (std::vector<double>{3, 4}));
}

TEST(Backward, RootWithoutGradErrors) {
  Tensor c = tensor({1, 2});
  std::string m = message_of([&] { c.sum().backward(); });
  EXPECT_TRUE(contains(m, "does not require grad")) << m;
  Tensor x = leaf({1});
  Tensor y;
  {
    NoGradGuard ng;
    y = x * 2.0;
  }
  EXPECT_THROW(y.backward(), Error);
}

TEST(Backward, Detach) {
  Tensor x = leaf({1, 2});
  Tensor y = x * 3.0;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_FALSE(d.grad_fn());
  EXPECT_EQ(d.storage().get(), y.storage().get());
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{3, 6}));
  // Gradient flows through y only, not through the detached copy.
  (y * d).sum().backward();  // d/dx = 3 * d
  EXPECT_EQ(g_of(x), (std::vector<double>{9, 18}));
}

TEST(Backward, DiamondsSumGradients) {
  Tensor x = leaf({2, -3});
  (x * x).sum().backward();  // x used twice by one op
  EXPECT_EQ(g_of(x), (std::vector<double>{4, -6}));
  x.zero_grad();
  Tensor a = x * 2.0;
  Tensor b = x * 5.0;
  (a * b + a).sum().backward();  // 10 x^2 + 2x -> 20x + 2
  EXPECT_EQ(g_of(x), (std::vector<double>{42, -58}));
  x.zero_grad();
  Tensor v = x.reshape({2, 1});
  (v.expand({2, 3}).sum() + x.select(0, 1) * 4.0).backward();  // 3 each, + 4 on x[1]
  EXPECT_EQ(g_of(x), (std::vector<double>{3, 7}));
}

TEST(Backward, VersionCounterCatchesInPlaceChangesToSavedTensors) {
  Tensor x = leaf({1, 2});
  Tensor w = leaf({3, 4});
  Tensor y = (x * w).sum();  // mul saves x and w
  {
    NoGradGuard ng;
    x.mul_(2.0);
  }
  std::string m = message_of([&] { y.backward(); });
  EXPECT_TRUE(contains(m, "'mul'")) << m;
  EXPECT_TRUE(contains(m, "modified in place")) << m;
  EXPECT_TRUE(contains(m, "(2,)")) << m;
  // A change through a view of a saved tensor is caught too (one counter per storage).
  Tensor base = tensor({1, 2, 3, 4}, kFloat64);
  Tensor p = leaf({1, 1});
  Tensor q = (p * base.narrow(0, 0, 2)).sum();
  base.select(0, 3).fill_(9.0);
  EXPECT_THROW(q.backward(), Error);
  // Ops that save nothing don't care.
  Tensor r = leaf({1, 2});
  Tensor s = (r + 1.0).sum();
  {
    NoGradGuard ng;
    r.add_(1.0);
  }
  EXPECT_NO_THROW(s.backward());
}

TEST(Backward, RequiresGradRules) {
  Tensor i = zeros({2}, kInt64);
  std::string m = message_of([&] { i.requires_grad_(); });
  EXPECT_TRUE(contains(m, "[requires_grad_]")) << m;
  EXPECT_TRUE(contains(m, "int64")) << m;
  EXPECT_THROW(zeros({2}, kBool).requires_grad_(), Error);
  EXPECT_NO_THROW(i.requires_grad_(false));
  Tensor x = leaf({1});
  Tensor y = x * 2.0;
  m = message_of([&] { y.requires_grad_(false); });
  EXPECT_TRUE(contains(m, "leaf")) << m;
  x.requires_grad_(false);
  EXPECT_FALSE(x.requires_grad());
  EXPECT_FALSE((x * 2.0).requires_grad());
  EXPECT_TRUE(zeros({1}, kFloat16).requires_grad_().requires_grad());
}

TEST(Backward, InPlaceOnGraphTensorsIsAnError) {
  Tensor x = leaf({1, 2});
  std::string m = message_of([&] { x.add_(1.0); });
  EXPECT_TRUE(contains(m, "[add_]")) << m;
  EXPECT_TRUE(contains(m, "leaf")) << m;
  EXPECT_TRUE(contains(m, "NoGradGuard")) << m;
  EXPECT_THROW(x.mul_(2.0), Error);
  EXPECT_THROW(x.zero_(), Error);
  EXPECT_THROW(x.copy_(tensor({3, 4}, kFloat64)), Error);
  EXPECT_THROW(x.select(0, 0).fill_(1.0), Error);  // a view of the leaf is part of the graph
  Tensor y = x * 2.0;
  m = message_of([&] { y.mul_(2.0); });
  EXPECT_TRUE(contains(m, "[mul_]")) << m;
  {
    NoGradGuard ng;
    x.add_(1.0);  // the optimizer's way
  }
  EXPECT_EQ(x.to_vector<double>(), (std::vector<double>{2, 3}));
}

TEST(Backward, ThroughViewsAndDtypes) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, kFloat64).requires_grad_();
  Tensor y = x.t().reshape({6}).slice(0, 1, 6, 2);  // x.t().flatten()[1::2] = x[1,0], x[1,1], x[1,2]
  (y * tensor({1, 2, 3}, kFloat64)).sum().backward();
  EXPECT_EQ(g_of(x), (std::vector<double>{0, 0, 0, 1, 2, 3}));
  Tensor f = leaf({1.5, 2.5});
  Tensor h = f.to(kFloat32);
  EXPECT_TRUE(h.requires_grad());
  (h * h).sum().backward();
  EXPECT_EQ(f.grad().dtype(), kFloat64);
  EXPECT_EQ(g_of(f), (std::vector<double>{3, 5}));
  EXPECT_FALSE(f.to(kInt64).requires_grad());  // no gradient through integers
  // Mixed dtypes: the float64 product's gradient reaches the float32 leaf as float32, as in PyTorch.
  Tensor w32 = tensor({2, 3}).requires_grad_();
  Tensor x64 = leaf({0.5, 0.25});
  Tensor p = w32 * x64;
  EXPECT_EQ(p.dtype(), kFloat64);
  p.sum().backward();
  EXPECT_EQ(w32.grad().dtype(), kFloat32);
  EXPECT_EQ(w32.grad().to_vector<float>(), (std::vector<float>{0.5f, 0.25f}));
  EXPECT_EQ(g_of(x64), (std::vector<double>{2, 3}));
}

TEST(Backward, NoGradGuardNests) {
  EXPECT_TRUE(GradMode::is_enabled());
  {
    NoGradGuard a;
    EXPECT_FALSE(GradMode::is_enabled());
    {
      EnableGradGuard b;
      EXPECT_TRUE(GradMode::is_enabled());
      Tensor x = leaf({1});
      EXPECT_TRUE((x * 2.0).requires_grad());
      NoGradGuard c;
      EXPECT_FALSE(GradMode::is_enabled());
    }
    EXPECT_FALSE(GradMode::is_enabled());
  }
  EXPECT_TRUE(GradMode::is_enabled());
}
