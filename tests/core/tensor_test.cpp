#include <gtest/gtest.h>

#include "strata/strata.h"

using namespace strata;

TEST(Tensor, ShapeStridesAndItem) {
  Tensor t = zeros({2, 3});
  EXPECT_EQ(t.shape(), Shape({2, 3}));
  EXPECT_EQ(t.strides(), Shape({3, 1}));
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(full({}, 2.5).item(), 2.5);
  EXPECT_THROW(t.item(), Error);
}
