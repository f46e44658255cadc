// Character-level text data: vocabulary, encode/decode, windows and the fortunes corpus reader.
#include "strata/data/text.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "strata/core/error.h"
#include "strata/data/dataloader.h"
#include "strata/ops/creation.h"
#include "test_files.h"

namespace strata::data {
namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(CharVocab, FromTextSortsDistinctBytesAndRoundTrips) {
  const CharVocab v = CharVocab::from_text("hello world");
  EXPECT_EQ(v.chars(), " dehlorw");
  EXPECT_EQ(v.size(), 8);
  EXPECT_EQ(v.id('h'), 3);
  EXPECT_EQ(v.character(7), 'w');
  const Tensor ids = v.encode("hold");
  EXPECT_EQ(ids.dtype(), kInt64);
  EXPECT_EQ(ids.to_vector<int64_t>(), (std::vector<int64_t>{3, 5, 4, 1}));
  EXPECT_EQ(v.decode(ids), "hold");
  EXPECT_EQ(v.decode(ids.reshape({2, 2})), "hold");
}

TEST(CharVocab, UnknownCharacters) {
  const CharVocab v = CharVocab::from_text("abc");
  try {
    v.encode("abz");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'z'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(v.character(3), Error);
  EXPECT_THROW(v.decode(from_vector<float>({0.f})), Error);
  EXPECT_THROW(CharVocab("aa"), Error);

  const CharVocab p = CharVocab::printable_ascii();
  EXPECT_EQ(p.size(), 96);
  EXPECT_EQ(p.id('\n'), 0);
  EXPECT_EQ(p.id(' '), 1);
  EXPECT_EQ(p.id('~'), 95);
  EXPECT_EQ(p.id('\t'), 1);  // anything else reads as a space
  EXPECT_EQ(p.decode(p.encode("Hi\tyou\n")), "Hi you\n");
}

TEST(CharDataset, WindowsAreShiftedByOne) {
  const Tensor ids = arange(0, 11, 1, kInt64);  // 0..10
  CharDataset ds(ids, /*seq_len=*/3);
  // Windows start at 0, 3, 6; the one at 9 would need ids 9..12.
  ASSERT_EQ(ds.size(), 3);
  const Example e = ds.get(1);
  EXPECT_EQ(e.input.to_vector<int64_t>(), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(e.target.to_vector<int64_t>(), (std::vector<int64_t>{4, 5, 6}));

  const Batch b = ds.get_batch(from_vector<int64_t>({2, 0}));
  EXPECT_EQ(b.input.shape(), Shape({2, 3}));
  EXPECT_EQ(b.input.to_vector<int64_t>(), (std::vector<int64_t>{6, 7, 8, 0, 1, 2}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9, 1, 2, 3}));
  EXPECT_THROW(ds.get(3), Error);
  EXPECT_THROW(ds.get_batch(from_vector<int64_t>({3})), Error);

  CharDataset overlapping(ids, 3, /*stride=*/1);
  EXPECT_EQ(overlapping.size(), 8);  // starts 0..7
  EXPECT_EQ(overlapping.get(7).target.to_vector<int64_t>(), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(CharDataset(arange(0, 3, 1, kInt64), 3).size(), 0);
  EXPECT_THROW(CharDataset(ids, 0), Error);
  EXPECT_THROW(CharDataset(arange(0, 4, 1, kFloat32), 2), Error);
}

TEST(CharDataset, SplitIsContiguousAndLoads) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "abcdefghij";
  const CharVocab v = CharVocab::from_text(text);
  auto [train, val] = char_datasets(text, v, /*seq_len=*/8, /*val_fraction=*/0.2);
  EXPECT_EQ(train->ids().size(0), 400);
  EXPECT_EQ(val->ids().size(0), 100);
  EXPECT_EQ(train->size(), (400 - 9) / 8 + 1);
  EXPECT_EQ(val->size(), (100 - 9) / 8 + 1);
  // The validation text starts where the training text ends.
  EXPECT_EQ(v.decode(val->get(0).input), "abcdefgh");

  DataLoader loader(train, 4, /*shuffle=*/true, 0);
  int64_t batches = 0;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.input.size(1), 8);
    // Every target is the next character of its input.
    const auto in = b.input.to_vector<int64_t>();
    const auto tg = b.target.to_vector<int64_t>();
    for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(tg[i], (in[i] + 1) % 10);
    ++batches;
  }
  EXPECT_EQ(batches, loader.size());
  EXPECT_THROW(char_datasets(text, v, 8, 1.0), Error);
  EXPECT_THROW(char_datasets("abc", CharVocab::from_text("abc"), 8, 0.0), Error);
}

TEST(TextFiles, FortuneFolderJoinsFilesWithoutSeparators) {
  testing::TempDir dir;
  write_text(dir.file("b"), "second\n%\nthird\n");
  write_text(dir.file("a"), "first\n%\n");
  write_text(dir.file("a.dat"), "index bytes");
  std::filesystem::create_symlink(dir.file("a"), dir.file("a.u8"));
  EXPECT_EQ(read_fortunes(dir.file("")), "first\n\nsecond\n\nthird\n");
  EXPECT_THROW(read_fortunes(dir.file("missing")), Error);
  EXPECT_THROW(read_text_file(dir.file("missing.txt")), Error);
  EXPECT_EQ(read_text_file(dir.file("b")), "second\n%\nthird\n");
}

TEST(TextFiles, DebianFortunesWhenInstalled) {
  if (!std::filesystem::is_directory(kFortunesDir)) GTEST_SKIP() << "fortunes package not installed";
  const std::string text = read_fortunes();
  EXPECT_GT(text.size(), 1000000u);
  const CharVocab v = CharVocab::printable_ascii();
  auto [train, val] = char_datasets(text, v, 128, 0.1);
  EXPECT_GT(train->size(), 5000);
  EXPECT_GT(val->size(), 500);
}

}  // namespace
}  // namespace strata::data
