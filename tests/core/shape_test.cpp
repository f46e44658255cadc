// Shape: inline storage up to kInline dims, heap growth beyond, value semantics, and the shape helpers.
#include <gtest/gtest.h>

#include <utility>

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
}  // namespace

TEST(Shape, Basics) {
  Shape s{2, 3, 4};
  EXPECT_EQ(s.size(), 3u);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.front(), 2);
  EXPECT_EQ(s.back(), 4);
  EXPECT_EQ(s.vec(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(Shape().numel(), 1);  // 0-d
  EXPECT_TRUE(Shape().empty());
  EXPECT_EQ(Shape({3, 0, 2}).numel(), 0);
  EXPECT_EQ(Shape(3, 7), Shape({7, 7, 7}));
  EXPECT_EQ(Shape(std::vector<int64_t>{1, 2}), Shape({1, 2}));
  const int64_t raw[] = {5, 6};
  EXPECT_EQ(Shape(raw, 2), Shape({5, 6}));
}

TEST(Shape, Str) {
  EXPECT_EQ(Shape({2, 3}).str(), "(2, 3)");
  EXPECT_EQ(Shape({5}).str(), "(5,)");
  EXPECT_EQ(Shape().str(), "()");
  std::ostringstream os;
  os << Shape({1, 2, 3});
  EXPECT_EQ(os.str(), "(1, 2, 3)");
}

TEST(Shape, GrowsFromInlineToHeapAndBack) {
  Shape s;
  for (int64_t i = 0; i < 20; ++i) {
    s.push_back(i + 1);
    ASSERT_EQ(s.size(), static_cast<size_t>(i + 1));
    for (int64_t j = 0; j <= i; ++j) ASSERT_EQ(s[static_cast<size_t>(j)], j + 1);
  }
  Shape copy = s;  // heap copy is deep
  copy[0] = 100;
  EXPECT_EQ(s[0], 1);
  EXPECT_NE(copy, s);
  copy[0] = 1;
  EXPECT_EQ(copy, s);

  // insert/erase across the inline boundary
  Shape t{1, 2, 3, 4, 5, 6};
  t.insert(0, 0);
  EXPECT_EQ(t, Shape({0, 1, 2, 3, 4, 5, 6}));
  t.insert(7, 7);
  EXPECT_EQ(t, Shape({0, 1, 2, 3, 4, 5, 6, 7}));
  t.insert(3, 42);
  EXPECT_EQ(t, Shape({0, 1, 2, 42, 3, 4, 5, 6, 7}));
  t.erase(3);
  t.erase(0);
  t.erase(6);
  EXPECT_EQ(t, Shape({1, 2, 3, 4, 5, 6}));
  t.resize(8);
  EXPECT_EQ(t, Shape({1, 2, 3, 4, 5, 6, 0, 0}));
  t.resize(2);
  EXPECT_EQ(t, Shape({1, 2}));
  t.clear();
  EXPECT_TRUE(t.empty());
}

TEST(Shape, EqualityIgnoresWhereTheDataLives) {
  Shape heap{1, 2, 3, 4, 5, 6, 7};
  heap.erase(6);  // still on the heap, 6 dims
  Shape inl{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(heap, inl);
  EXPECT_NE(Shape({1, 2}), Shape({1, 2, 1}));
  EXPECT_NE(Shape({1, 2}), Shape({2, 1}));
}

TEST(Shape, CopyAndMove) {
  for (size_t n : {3u, 9u}) {
    Shape a(n, 4);
    Shape b(a);
    EXPECT_EQ(a, b);
    Shape c(std::move(a));
    EXPECT_EQ(c, b);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty and reusable
    a.push_back(1);
    EXPECT_EQ(a, Shape({1}));
    Shape d;
    d = c;
    EXPECT_EQ(d, b);
    Shape e{9, 9, 9, 9, 9, 9, 9, 9};
    e = std::move(d);
    EXPECT_EQ(e, b);
    Shape& self = e;
    e = self;
    EXPECT_EQ(e, b);
  }
}

TEST(Shape, ContiguousStrides) {
  EXPECT_EQ(contiguous_strides({2, 3, 4}), Shape({12, 4, 1}));
  EXPECT_EQ(contiguous_strides({5}), Shape({1}));
  EXPECT_EQ(contiguous_strides({}), Shape());
  EXPECT_EQ(contiguous_strides({2, 0, 3}), Shape({3, 3, 1}));  // zero sizes count as 1, as in PyTorch
}

TEST(Shape, WrapDim) {
  EXPECT_EQ(wrap_dim(-1, 3, "op"), 2);
  EXPECT_EQ(wrap_dim(-3, 3, "op"), 0);
  EXPECT_EQ(wrap_dim(2, 3, "op"), 2);
  EXPECT_EQ(wrap_dim(0, 0, "op"), 0);  // a 0-d tensor accepts 0 and -1
  EXPECT_EQ(wrap_dim(-1, 0, "op"), 0);
  std::string m = message_of([] { wrap_dim(3, 3, "my_op"); });
  EXPECT_NE(m.find("[my_op]"), std::string::npos) << m;
  EXPECT_NE(m.find("3"), std::string::npos) << m;
  EXPECT_THROW(wrap_dim(-4, 3, "op"), Error);
  EXPECT_THROW(wrap_dim(1, 0, "op"), Error);
}

TEST(Shape, Broadcast) {
  EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}, "op"), Shape({2, 4, 3}));
  EXPECT_EQ(broadcast_shapes({}, {3}, "op"), Shape({3}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 5}, "op"), Shape({0, 5}));
  EXPECT_EQ(broadcast_shapes({1}, {0}, "op"), Shape({0}));
  std::string m = message_of([] { broadcast_shapes({2, 3}, {4}, "add"); });
  EXPECT_NE(m.find("[add]"), std::string::npos) << m;
  EXPECT_NE(m.find("(2, 3)"), std::string::npos) << m;
  EXPECT_NE(m.find("(4,)"), std::string::npos) << m;
}

TEST(Device, ParseAndPrint) {
  EXPECT_EQ(Device("cpu"), kCPU);
  EXPECT_TRUE(Device("cpu").is_cpu());
  EXPECT_EQ(Device("cpu:0"), kCPU);
  EXPECT_EQ(Device("cuda"), Device(DeviceType::CUDA, 0));
  EXPECT_EQ(Device("cuda:3"), Device(DeviceType::CUDA, 3));
  EXPECT_EQ(Device("cuda:12").index, 12);
  EXPECT_FALSE(Device("cuda:1").is_cpu());
  EXPECT_EQ(Device("cuda:2").str(), "cuda:2");
  EXPECT_EQ(kCPU.str(), "cpu");
  std::ostringstream os;
  os << Device(DeviceType::CUDA, 1);
  EXPECT_EQ(os.str(), "cuda:1");
}

TEST(Device, ParseErrors) {
  for (const char* bad : {"", "gpu", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda1", "cuda: 1", " cpu",
                          "cpu:1", "cuda:99999999999", "cpu:"}) {
    std::string m = message_of([bad] { Device d(bad); });
    EXPECT_NE(m.find("[Device]"), std::string::npos) << "'" << bad << "' -> " << m;
  }
}

TEST(Device, NonCpuIsAnErrorNamingTheOp) {
  EXPECT_NO_THROW(check_cpu("op", kCPU));
  std::string m = message_of([] { check_cpu("matmul", Device("cuda:1")); });
  EXPECT_NE(m.find("[matmul]"), std::string::npos) << m;
  EXPECT_NE(m.find("cuda:1"), std::string::npos) << m;
  EXPECT_THROW(zeros({2}, TensorOptions().with_device(Device("cuda"))), Error);
  EXPECT_THROW(empty({2}, TensorOptions().with_device(Device("cuda"))), Error);
}
