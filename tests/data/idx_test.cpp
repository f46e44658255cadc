// IDX reader: plain and gzip files written by the test, and every malformed-file error.
#include "strata/data/idx.h"

#include <gtest/gtest.h>

#include "data/test_files.h"

namespace strata::data {
namespace {

using strata::testing::idx_bytes;
using strata::testing::TempDir;
using strata::testing::throws_error;
using strata::testing::write_bytes;

// 3 images of 2x2 with distinct values (0 and 255 included).
std::vector<uint8_t> image_data() { return {0, 1, 2, 3, 10, 20, 30, 40, 255, 128, 64, 7}; }

TEST(Idx, ReadsImagesPlainAndGzip) {
  TempDir dir;
  const auto raw = idx_bytes({3, 2, 2}, image_data());
  write_bytes(dir.file("img"), raw);
  write_bytes(dir.file("img.gz"), strata::testing::gzip_bytes(raw));
  for (const char* name : {"img", "img.gz"}) {
    Tensor t = read_idx_images(dir.file(name));
    EXPECT_EQ(t.dtype(), kFloat32);
    EXPECT_EQ(t.shape(), Shape({3, 1, 2, 2}));
    const auto v = t.to_vector<float>();
    const auto d = image_data();
    for (size_t i = 0; i < d.size(); ++i) EXPECT_EQ(v[i], static_cast<float>(d[i]) / 255.0f) << name << " " << i;
    EXPECT_EQ(v[8], 1.0f);
    Tensor r = read_idx_images(dir.file(name), /*scale=*/false);
    EXPECT_EQ(r.to_vector<float>()[9], 128.0f);
  }
}

TEST(Idx, ReadsLabelsAndGenericArrays) {
  TempDir dir;
  write_bytes(dir.file("lab.gz"), strata::testing::gzip_bytes(idx_bytes({4}, {9, 0, 3, 255})));
  Tensor l = read_idx_labels(dir.file("lab.gz"));
  EXPECT_EQ(l.dtype(), kInt64);
  EXPECT_EQ(l.to_vector<int64_t>(), (std::vector<int64_t>{9, 0, 3, 255}));
  // A 2-D array through the generic reader; a file of 0 examples is fine.
  write_bytes(dir.file("two"), idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6}));
  IdxArray a = read_idx(dir.file("two"));
  EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data.size(), 6u);
  write_bytes(dir.file("empty"), idx_bytes({0, 28, 28}, {}));
  EXPECT_EQ(read_idx_images(dir.file("empty")).shape(), Shape({0, 1, 28, 28}));
}

TEST(Idx, MissingFile) {
  TempDir dir;
  EXPECT_TRUE(throws_error([&] { read_idx_labels(dir.file("nope")); }, {"[read_idx]", "cannot open", "nope"}));
}

TEST(Idx, TruncatedHeader) {
  TempDir dir;
  write_bytes(dir.file("a"), {0, 0, 8});
  EXPECT_TRUE(throws_error([&] { read_idx_labels(dir.file("a")); },
                           {"[read_idx]", dir.file("a"), "truncated header", "3 bytes"}));
  // The magic number says 3 dims, but only one dim follows.
  write_bytes(dir.file("b"), {0, 0, 8, 3, 0, 0, 0, 1});
  EXPECT_TRUE(throws_error([&] { read_idx_images(dir.file("b")); },
                           {dir.file("b"), "truncated header", "3 dims need 16 header bytes", "has 8"}));
  // The same, gzip-compressed: the message says so.
  write_bytes(dir.file("b.gz"), strata::testing::gzip_bytes({0, 0, 8, 3, 0, 0, 0, 1}));
  EXPECT_TRUE(throws_error([&] { read_idx_images(dir.file("b.gz")); }, {"b.gz", "gzip", "truncated header"}));
}

TEST(Idx, WrongMagicNumber) {
  TempDir dir;
  // A labels file where images are expected, and the reverse.
  write_bytes(dir.file("labels"), idx_bytes({2}, {1, 2}));
  EXPECT_TRUE(throws_error([&] { read_idx_images(dir.file("labels")); },
                           {dir.file("labels"), "offset 0", "wrong magic number 0x00000801", "expected 0x00000803"}));
  write_bytes(dir.file("images"), idx_bytes({1, 1, 1}, {5}));
  EXPECT_TRUE(throws_error([&] { read_idx_labels(dir.file("images")); },
                           {"wrong magic number 0x00000803", "expected 0x00000801"}));
  // Not an IDX file at all (a PNG signature), and an unsupported element type (0x0D = float).
  write_bytes(dir.file("png"), {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
  EXPECT_TRUE(throws_error([&] { read_idx_labels(dir.file("png")); },
                           {"offset 0", "wrong magic number 0x89504E47", "not an IDX file"}));
  write_bytes(dir.file("float"), {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
  EXPECT_TRUE(throws_error([&] { read_idx(dir.file("float")); }, {"offset 2", "element type 0xd", "not supported"}));
}

TEST(Idx, CountsThatDisagreeWithTheFileSize) {
  TempDir dir;
  // Header says 4 images of 2x2 (16 bytes); 12 follow.
  write_bytes(dir.file("short"), idx_bytes({4, 2, 2}, image_data()));
  EXPECT_TRUE(throws_error([&] { read_idx_images(dir.file("short")); },
                           {dir.file("short"), "4 x 2 x 2 = 16 bytes of data", "but 12 follow", "truncated"}));
  // Extra bytes at the end.
  write_bytes(dir.file("long"), idx_bytes({2}, {1, 2, 3}));
  EXPECT_TRUE(
      throws_error([&] { read_idx_labels(dir.file("long")); }, {"2 = 2 bytes of data", "but 3 follow", "extra"}));
  // Dims whose product is far larger than the file (and would overflow 64 bits).
  write_bytes(dir.file("huge"), idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1}));
  EXPECT_TRUE(
      throws_error([&] { read_idx_images(dir.file("huge")); }, {"offset 4", "need more bytes than the whole file"}));
}

TEST(Idx, TruncatedAndCorruptGzip) {
  TempDir dir;
  std::vector<uint8_t> big(5000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 7919) % 251);
  const auto gz = strata::testing::gzip_bytes(idx_bytes({5000}, big));
  write_bytes(dir.file("ok.gz"), gz);
  EXPECT_EQ(read_idx_labels(dir.file("ok.gz")).size(0), 5000);
  // Cut the stream in the middle, and just before its 8-byte trailer.
  write_bytes(dir.file("half.gz"), std::vector<uint8_t>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  EXPECT_TRUE(throws_error([&] { read_idx_labels(dir.file("half.gz")); },
                           {"[read_idx]", dir.file("half.gz"), "truncated gzip stream"}));
  write_bytes(dir.file("notrailer.gz"), std::vector<uint8_t>(gz.begin(), gz.end() - 8));
  EXPECT_TRUE(throws_error([&] { read_idx_labels(dir.file("notrailer.gz")); }, {"truncated gzip stream"}));
  // Flip bytes inside the deflate data.
  auto bad = gz;
  for (size_t i = 20; i < 40; ++i) bad[i] ^= 0xA5;
  write_bytes(dir.file("bad.gz"), bad);
  EXPECT_TRUE(throws_error([&] { read_idx_labels(dir.file("bad.gz")); }, {"[read_idx]", dir.file("bad.gz"), "gzip"}));
}

}  // namespace
}  // namespace strata::data
