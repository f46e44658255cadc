// Tensor hooks, retain_grad, and autograd::grad.
#include <gtest/gtest.h>

#include "strata/strata.h"

using namespace strata;

namespace {
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
Tensor leaf(std::initializer_list<double> v) { return tensor(v, kFloat64).requires_grad_(); }
}  // namespace

TEST(Hooks, LeafHookSeesAndReplacesTheGradient) {
  Tensor x = leaf({1, 2});
  std::vector<std::vector<double>> seen;
  x.register_hook([&](const Tensor& g) {
    seen.push_back(vals(g));
    return g * 10.0;
  });
  x.register_hook([&](const Tensor& g) {
    seen.push_back(vals(g));  // sees the first hook's result
    return Tensor();          // keep it
  });
  (x * tensor({3, 4}, kFloat64)).sum().backward();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::vector<double>{3, 4}));
  EXPECT_EQ(seen[1], (std::vector<double>{30, 40}));
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{30, 40}));
  // Hooks stay registered: they run on every backward.
  (x * 1.0).sum().backward();
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{40, 50}));
}

TEST(Hooks, NonLeafHookChangesWhatFlowsUpstream) {
  Tensor x = leaf({1, 2});
  Tensor y = x * 3.0;
  std::vector<double> seen;
  y.register_hook([&](const Tensor& g) {
    seen = vals(g);
    return g + 1.0;
  });
  (y * 2.0).sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{2, 2}));
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{9, 9}));  // (2 + 1) * 3
  EXPECT_FALSE(y.grad().defined());                        // a hook does not retain the gradient
}

TEST(Hooks, RunInGraphOrder) {
  Tensor x = leaf({1});
  Tensor y = x * 2.0;
  Tensor z = y * 3.0;
  std::vector<std::string> order;
  x.register_hook([&](const Tensor&) {
    order.push_back("x");
    return Tensor();
  });
  y.register_hook([&](const Tensor&) {
    order.push_back("y");
    return Tensor();
  });
  z.register_hook([&](const Tensor&) {
    order.push_back("z");
    return Tensor();
  });
  y.register_hook([&](const Tensor&) {
    order.push_back("y2");
    return Tensor();
  });
  z.sum().backward();
  EXPECT_EQ(order, (std::vector<std::string>{"z", "y", "y2", "x"}));
}

TEST(Hooks, HookOnTensorWithoutGradIsAnError) {
  Tensor c = tensor({1.0});
  EXPECT_THROW(c.register_hook([](const Tensor& g) { return g; }), Error);
  EXPECT_THROW(c.retain_grad(), Error);
}

TEST(Hooks, RetainGradOnNonLeaf) {
  Tensor x = leaf({1, -1});
  Tensor y = x * x;  // non-leaf
  y.retain_grad();
  y.retain_grad();  // idempotent
  Tensor z = (y * tensor({5, 7}, kFloat64)).sum();
  z.backward(Tensor(), true);
  ASSERT_TRUE(y.grad().defined());
  EXPECT_EQ(vals(y.grad()), (std::vector<double>{5, 7}));
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{10, -14}));
  z.backward();  // retained gradients accumulate like a leaf's
  EXPECT_EQ(vals(y.grad()), (std::vector<double>{10, 14}));
  y.zero_grad();
  EXPECT_FALSE(y.grad().defined());
  Tensor l = leaf({1});
  l.retain_grad();  // a no-op on leaves
  (l * 2.0).sum().backward();
  EXPECT_EQ(vals(l.grad()), std::vector<double>{2});
}

TEST(Hooks, RetainedGradIsNotAffectedByLaterInPlaceUse) {
  Tensor x = leaf({1, 2});
  Tensor y = x * 1.0;
  y.retain_grad();
  Tensor seed = tensor({3, 4}, kFloat64);
  y.backward(seed);
  seed.fill_(0.0);
  EXPECT_EQ(vals(y.grad()), (std::vector<double>{3, 4}));
}

TEST(Grad, ReturnsGradientsWithoutTouchingDotGrad) {
  Tensor x = leaf({1, 2});
  Tensor w = leaf({3, 4});
  Tensor y = (x * w * x).sum();  // dy/dx = 2 x w, dy/dw = x^2
  TensorList g = autograd::grad({y}, {x, w}, {}, /*retain_graph=*/true);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(vals(g[0]), (std::vector<double>{6, 16}));
  EXPECT_EQ(vals(g[1]), (std::vector<double>{1, 4}));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  // Only w this time; the graph was retained.
  TensorList gw = autograd::grad({y}, {w});
  EXPECT_EQ(vals(gw[0]), (std::vector<double>{1, 4}));
  EXPECT_FALSE(w.grad().defined());
  EXPECT_THROW(autograd::grad({y}, {w}), Error);  // freed now
}

TEST(Grad, NonLeafInputsUnusedInputsAndSeeds) {
  Tensor x = leaf({1, 2});
  Tensor h = x * 2.0;
  Tensor y = h * h;  // non-scalar
  Tensor unused = leaf({5});
  TensorList g = autograd::grad({y}, {h, unused, x}, {tensor({1, 10}, kFloat64)});
  EXPECT_EQ(vals(g[0]), (std::vector<double>{4, 80}));  // 2h * seed
  EXPECT_FALSE(g[1].defined());                         // does not influence y
  EXPECT_EQ(vals(g[2]), (std::vector<double>{8, 160}));
  EXPECT_FALSE(x.grad().defined());
  Tensor c = tensor({1.0}, kFloat64);
  EXPECT_THROW(autograd::grad({(x * 1.0).sum()}, {c}), Error);  // an input that does not require grad
  EXPECT_THROW(autograd::grad({x * 1.0}, {x}), Error);          // non-scalar output without a seed
}

TEST(Grad, MultipleRoots) {
  Tensor x = leaf({1, 2});
  Tensor a = (x * 3.0).sum();
  Tensor b = (x * x).sum();
  autograd::backward({a, b});
  EXPECT_EQ(vals(x.grad()), (std::vector<double>{5, 7}));
  Tensor c = (x * 3.0).sum(), d = (x * x).sum();
  TensorList g = autograd::grad({c, d}, {x}, {scalar_tensor(2.0, kFloat64), Tensor()});
  EXPECT_EQ(vals(g[0]), (std::vector<double>{8, 10}));
  EXPECT_THROW(autograd::backward({c}, {Tensor(), Tensor()}), Error);
}
