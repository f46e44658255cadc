// Inputs the fuzzers found (fuzz/crashes/): each must now be a strata::Error, not undefined behaviour.
#include <gtest/gtest.h>

#include <string>

#include "strata/core/tensor.h"
#include "strata/data/idx.h"
#include "strata/io/checkpoint.h"
#include "strata/io/json.h"
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

// Nested objects with long keys around a long array: each value's key path is capped, so memory stays linear
// in the input (the uncapped parser needed 2 GB for this 150 KB file).
TEST(FuzzRegression, JsonKeyPathsAreCapped) {
  std::string key(1000, 'k'), text;
  for (int i = 0; i < 20; ++i) text += "{\"" + key + "\":";
  text += "[0, 1, 2]";
  for (int i = 0; i < 20; ++i) text += "}";
  strata::io::Json v = strata::io::parse_json(text);
  const strata::io::Json* inner = &v;
  for (int i = 0; i < 20; ++i) inner = &inner->at(key);
  EXPECT_LE(inner->at(2).path().size(), 256u);
  EXPECT_EQ(inner->at(2).path().substr(inner->at(2).path().size() - 4), "k[2]");
  EXPECT_EQ(
      strata::io::parse_json(R"({"model": {"layers": [1, {"k": 2}]}})").at("model").at("layers").at(1).at("k").path(),
      "model.layers[1].k");
  strata::io::load_json_file(crash("json/oom-key-path-amplification.json"));  // parses in a few MB
  error_of([] { strata::io::load_safetensors(crash("safetensors/oom-header-key-path-amplification.safetensors")); });
}

}  // namespace
