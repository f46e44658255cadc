// Inputs the fuzzers found (fuzz/crashes/): each must now be a strata::Error, not undefined behaviour.
#include <gtest/gtest.h>

#include <string>

#include "strata/core/tensor.h"
#include "strata/data/idx.h"
#include "strata/io/checkpoint.h"
#include "strata/io/safetensors.h"
#include "test_util.h"

namespace {

using strata::testing::error_of;

std::string crash(const std::string& name) { return std::string(STRATA_TEST_DATA_DIR) + "/../fuzz/crashes/" + name; }

// A 0-size dim next to dims whose product overflows int64: the tensor is empty, its strides are not.
TEST(FuzzRegression, EmptyTensorWithOverflowingStridesIsAnError) {
  EXPECT_HAS(error_of([] { strata::Tensor::empty({0, 4000000000, 4000000000}); }), "more than 2^63 elements");
  EXPECT_EQ(strata::Tensor::empty({0, 3, 4}).numel(), 0);
}

TEST(FuzzRegression, ReadersRejectTheOverflowingShapes) {
  error_of([] { strata::data::read_idx_images(crash("idx/ubsan-shape-overflow-empty-images.idx")); });
  error_of([] { strata::io::load_safetensors(crash("safetensors/ubsan-shape-overflow-zero-dim.safetensors")); });
  error_of([] { strata::io::load_checkpoint(crash("checkpoint/ubsan-shape-overflow-zero-dim.safetensors")); });
}

}  // namespace
