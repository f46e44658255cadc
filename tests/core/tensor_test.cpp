// Tensor handles: metadata, element access on strided views, storage sharing, and printing.
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

// (2, 3, 4) tensor with values 0..23.
Tensor iota234() { return arange(24.0).reshape({2, 3, 4}); }
}  // namespace

TEST(Tensor, ShapeStridesAndItem) {
  Tensor t = zeros({2, 3});
  EXPECT_EQ(t.shape(), Shape({2, 3}));
  EXPECT_EQ(t.sizes(), Shape({2, 3}));
  EXPECT_EQ(t.strides(), Shape({3, 1}));
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(full({}, 2.5).item(), 2.5);
  EXPECT_THROW(t.item(), Error);
}

TEST(Tensor, Metadata) {
  Tensor t = empty({2, 3, 4}, TensorOptions(kFloat64));
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.size(0), 2);
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_EQ(t.stride(0), 12);
  EXPECT_EQ(t.stride(-2), 4);
  EXPECT_EQ(t.offset(), 0);
  EXPECT_EQ(t.itemsize(), 8u);
  EXPECT_EQ(t.device(), kCPU);
  EXPECT_EQ(t.dtype(), kFloat64);
  EXPECT_THROW(t.size(3), Error);
  EXPECT_THROW(t.stride(-4), Error);
  Tensor s = scalar_tensor(1.0);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_THROW(s.size(0), Error);  // as PyTorch: a 0-d tensor has no dims to ask about
  EXPECT_FALSE(Tensor().defined());
  EXPECT_TRUE(t.is_same(t));
  EXPECT_FALSE(t.is_same(t.detach()));
}

TEST(Tensor, Contiguity) {
  Tensor t = iota234();
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_FALSE(t.transpose(0, 2).is_contiguous());
  EXPECT_FALSE(t.slice(2, 0, 4, 2).is_contiguous());
  EXPECT_TRUE(t.select(0, 1).is_contiguous());  // rows of a contiguous tensor, at an offset
  EXPECT_EQ(t.select(0, 1).offset(), 12);
  EXPECT_TRUE(t.narrow(0, 1, 1).is_contiguous());
  EXPECT_FALSE(t.narrow(1, 1, 2).is_contiguous());
  // Size-1 dims do not care about their stride.
  Tensor u = Tensor::make_view(t.storage(), {2, 1, 12}, {12, 999, 1}, 0, kFloat32);
  EXPECT_TRUE(u.is_contiguous());
  EXPECT_FALSE(zeros({1, 3}).expand({4, 3}).is_contiguous());
  EXPECT_TRUE(zeros({0, 3}).is_contiguous());
}

TEST(Tensor, ItemAtAndToVectorOnStridedViews) {
  Tensor t = iota234();
  Tensor tt = t.transpose(0, 2);  // (4, 3, 2), strides (1, 4, 12)
  EXPECT_EQ(tt.at({3, 2, 1}), 23.0);
  EXPECT_EQ(tt.at({1, 0, 1}), 13.0);
  EXPECT_EQ(tt.at({-1, -1, -2}), 11.0);
  EXPECT_EQ(tt.to_vector<float>(),
            (std::vector<float>{0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23}));
  Tensor sl = t.slice(2, 1, 4, 2);  // columns 1 and 3
  EXPECT_EQ(sl.to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}));
  Tensor sel = t.select(1, 2).select(1, 3);  // t[:, 2, 3]
  EXPECT_EQ(sel.to_vector<double>(), (std::vector<double>{11, 23}));
  EXPECT_EQ(t.select(0, 1).select(0, 2).select(0, 0).item(), 20.0);
  EXPECT_EQ(t.narrow(2, 3, 1).narrow(1, 1, 1).narrow(0, 1, 1).item<int64_t>(), 19);
  Tensor ex = tensor({1.5, -2.0}).unsqueeze(1).expand({2, 3});
  EXPECT_EQ(ex.to_vector<float>(), (std::vector<float>{1.5f, 1.5f, 1.5f, -2.0f, -2.0f, -2.0f}));
  EXPECT_EQ(ex.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1, -2, -2, -2}));  // truncation toward zero
  EXPECT_EQ(ex.to_vector<bool>(), (std::vector<bool>{true, true, true, true, true, true}));
  EXPECT_EQ(tensor({0.0, 0.5}).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(from_vector<bool>({true, false}).to_vector<double>(), (std::vector<double>{1, 0}));
  EXPECT_EQ(tensor({2.0, 4.0}).to(kFloat16).slice(0, 1, 2).item<float>(), 4.0f);
  EXPECT_EQ(zeros({0, 3}).to_vector<float>().size(), 0u);
}

TEST(Tensor, AccessErrors) {
  Tensor t = iota234();
  std::string m = message_of([&] { t.at({0, 0}); });
  EXPECT_TRUE(contains(m, "[at]")) << m;
  EXPECT_TRUE(contains(m, "(2, 3, 4)")) << m;
  EXPECT_THROW(t.at({0, 3, 0}), Error);
  EXPECT_THROW(t.at({-3, 0, 0}), Error);
  m = message_of([&] { t.item(); });
  EXPECT_TRUE(contains(m, "[item]")) << m;
  EXPECT_TRUE(contains(m, "(2, 3, 4)")) << m;
  EXPECT_EQ(t.select(0, 1).select(0, 1).select(0, 1).item(), 17.0);
  EXPECT_EQ(full({1, 1}, 3.0).item(), 3.0);
  EXPECT_THROW(Tensor().item(), Error);
  m = message_of([&] { t.data_ptr<double>(); });
  EXPECT_TRUE(contains(m, "float32")) << m;
  EXPECT_TRUE(contains(m, "float64")) << m;
}

TEST(Tensor, ViewsShareStorageAndVersion) {
  Tensor base = zeros({3, 4});
  Tensor v = base.select(0, 1);
  EXPECT_EQ(v.storage().get(), base.storage().get());
  const uint64_t v0 = base.version();
  v.fill_(7.0);
  EXPECT_GT(base.version(), v0);  // one counter per storage, seen by every view
  EXPECT_EQ(base.version(), v.version());
  EXPECT_EQ(base.at({1, 2}), 7.0);
  EXPECT_EQ(base.at({0, 2}), 0.0);
  Tensor d = base.detach();
  EXPECT_EQ(d.storage().get(), base.storage().get());
  d.select(0, 2).fill_(-1.0);
  EXPECT_EQ(base.at({2, 3}), -1.0);
}

TEST(Tensor, ToStringShowsValuesShapeAndDtype) {
  Tensor t = tensor({{1, 2.5, -3}, {4, 5, 6}});
  std::string s = t.to_string();
  EXPECT_TRUE(contains(s, "shape=(2, 3)")) << s;
  EXPECT_TRUE(contains(s, "dtype=float32")) << s;
  EXPECT_TRUE(contains(s, "2.5")) << s;
  EXPECT_TRUE(contains(s, "-3")) << s;
  std::ostringstream os;
  os << t;
  EXPECT_EQ(os.str(), s);

  std::string i = arange(3.0, TensorOptions(kInt64)).to_string();
  EXPECT_TRUE(contains(i, "[0, 1, 2]")) << i;
  EXPECT_TRUE(contains(i, "dtype=int64")) << i;
  std::string b = from_vector<bool>({true, false}).to_string();
  EXPECT_TRUE(contains(b, "[true, false]")) << b;
  EXPECT_TRUE(contains(scalar_tensor(4.5, kFloat64).to_string(), "4.5")) << scalar_tensor(4.5).to_string();
  EXPECT_TRUE(contains(scalar_tensor(4.5).to_string(), "shape=()"));
  EXPECT_TRUE(contains(zeros({0, 2}).to_string(), "[]"));
  EXPECT_TRUE(contains(zeros({2}).requires_grad_().to_string(), "requires_grad=true"));
  EXPECT_EQ(Tensor().to_string(), "Tensor(undefined)");
  EXPECT_TRUE(contains(tensor({1.0, 2.0}).to(kFloat16).to_string(), "dtype=float16"));
}

TEST(Tensor, ToStringElidesLongDims) {
  std::string s = arange(100.0).to_string();
  EXPECT_TRUE(contains(s, "[0, 1, 2, ..., 97, 98, 99]")) << s;
  EXPECT_FALSE(contains(s, "50")) << s;
  // A long outer dim elides whole rows; the shown rows are the right ones.
  std::string m = arange(40.0).reshape({20, 2}).to_string();
  EXPECT_TRUE(contains(m, "[0, 1]")) << m;
  EXPECT_TRUE(contains(m, "[4, 5]")) << m;
  EXPECT_TRUE(contains(m, "...")) << m;
  EXPECT_TRUE(contains(m, "[34, 35]")) << m;
  EXPECT_TRUE(contains(m, "[38, 39]")) << m;
  EXPECT_FALSE(contains(m, "[20, 21]")) << m;
  EXPECT_TRUE(contains(m, "shape=(20, 2)")) << m;
  // Eight entries are printed in full.
  EXPECT_TRUE(contains(arange(8.0).to_string(), "[0, 1, 2, 3, 4, 5, 6, 7]"));
  // Strided views print their logical values.
  std::string tr = arange(6.0).reshape({2, 3}).t().to_string();
  EXPECT_TRUE(contains(tr, "[0, 3]")) << tr;
  EXPECT_TRUE(contains(tr, "[2, 5]")) << tr;
}
