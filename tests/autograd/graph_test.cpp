// Graph lifetime: what NoGradGuard records and keeps, and long chains in backward and in destruction.
#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>

#include "strata/autograd/node.h"
#include "strata/strata.h"

using namespace strata;

namespace {

// Runs f on a thread with a small stack (256 KiB), so that a recursion of depth proportional to a
// graph's length crashes the test instead of passing by luck on an 8 MiB main stack.
void run_on_small_stack(const std::function<void()>& f) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  auto body = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, body, const_cast<std::function<void()>*>(&f)), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

}  // namespace

TEST(Graph, NoGradGuardRecordsNothing) {
  Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
  NoGradGuard ng;
  Tensor y = x * 3.0 + x;
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FALSE(y.grad_fn());
  EXPECT_TRUE(y.is_leaf());
  Tensor v = x.reshape({2, 1}).expand({2, 3});
  EXPECT_FALSE(v.requires_grad());
  EXPECT_FALSE(x.clone().requires_grad());
}

TEST(Graph, NoGradGuardKeepsNothingAlive) {
  Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
  std::weak_ptr<autograd::Node> node;
  std::weak_ptr<TensorImpl> saved;
  Tensor out;
  {
    Tensor a = x * 2.0;  // recorded: a's graph
    node = a.grad_fn();
    Tensor b = tensor({3, 4}, kFloat64);
    saved = b.impl_ptr();
    NoGradGuard ng;
    out = a * b;  // would save a and b, and hold a's node, if it were recorded
  }
  EXPECT_TRUE(node.expired());      // nothing holds a's graph
  EXPECT_EQ(saved.use_count(), 0);  // nor b (its handle; the storage goes with it)
  EXPECT_EQ(out.to_vector<double>(), (std::vector<double>{6, 16}));

  // The control: with grad mode on, the result does hold both.
  Tensor kept;
  {
    Tensor a = x * 2.0;
    node = a.grad_fn();
    kept = a * tensor({3, 4}, kFloat64);
  }
  EXPECT_FALSE(node.expired());
  kept = Tensor();
  EXPECT_TRUE(node.expired());
}

TEST(Graph, BackwardFreesSavedTensors) {
  Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
  Tensor w = tensor({3, 4}, kFloat64);
  std::weak_ptr<StorageImpl> w_storage = w.storage();
  Tensor y = (x * w).sum();
  w = Tensor();
  EXPECT_FALSE(w_storage.expired());  // saved by mul
  y.backward();
  EXPECT_TRUE(w_storage.expired());  // released after backward without retain_graph
}

TEST(Graph, GradFnAndLeafAccessors) {
  Tensor x = tensor({1.0}, kFloat64).requires_grad_();
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(x.grad_fn());
  Tensor y = x * 2.0;
  ASSERT_TRUE(y.grad_fn());
  EXPECT_EQ(y.grad_fn()->name(), "mul");
  EXPECT_EQ(y.output_nr(), 0u);
  ASSERT_EQ(y.grad_fn()->next_edges.size(), 2u);
  EXPECT_TRUE(y.grad_fn()->next_edges[0].valid());   // x
  EXPECT_FALSE(y.grad_fn()->next_edges[1].valid());  // the constant 2
  EXPECT_EQ(y.grad_fn()->next_edges[0].fn->name(), "AccumulateGrad");
  EXPECT_EQ(y.grad_fn()->next_edges[0].fn, autograd::grad_accumulator(x));  // one accumulator per leaf
  TensorList parts = (x * 1.0).expand({4}).chunk(2);
  EXPECT_EQ(parts[1].grad_fn()->name(), "slice");
}

TEST(Graph, LongChainBackwardAndDestruction) {
  constexpr int kOps = 10000;
  run_on_small_stack([&] {
    Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < kOps; ++i) y = y + 0.5;
    Tensor loss = y.sum();
    loss.backward();
    EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1}));
    EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{1 + kOps * 0.5, 2 + kOps * 0.5}));
    // loss and y die here, releasing 10k nodes.
  });
}

TEST(Graph, VeryLongChainIsReleasedWithoutRecursion) {
  // Never run backward: the whole graph, saved tensors included, is dropped at once.
  run_on_small_stack([] {
    Tensor x = tensor({1.0}, kFloat64).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y * 1.0;
    EXPECT_TRUE(y.requires_grad());
  });
  SUCCEED();
}

TEST(Graph, SharedSubgraphSurvivesWhileStillReferenced) {
  // Releasing one branch must not tear down nodes another tensor still needs.
  Tensor x = tensor({3.0}, kFloat64).requires_grad_();
  Tensor shared = x * 2.0;
  Tensor a = shared * 1.0;
  for (int i = 0; i < 1000; ++i) a = a + 1.0;
  Tensor b = shared * 4.0;
  a = Tensor();
  b.sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), std::vector<double>{8});
}
