#pragma once
// Character-level text data for language models: a corpus read from plain text files, a character
// vocabulary with encode/decode, and a dataset of fixed-length windows (input = characters t..t+T-1,
// target = characters t+1..t+T, the next character at every position).
//
//   std::string text = data::read_fortunes();                 // Debian's `fortunes` package
//   auto vocab = data::CharVocab::from_text(text);             // every distinct character, sorted
//   auto [train, val] = data::char_datasets(text, vocab, /*seq_len=*/64, /*val_fraction=*/0.1);
//   data::DataLoader loader(train, 32, /*shuffle=*/true, 0);   // input (32, 64) int64, target (32, 64) int64
//
// The split is contiguous (the last val_fraction of the text is the validation set), so no validation window
// overlaps a training window.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strata/core/tensor.h"
#include "strata/data/dataset.h"

namespace strata::data {

// Folder where Debian's `fortunes` package installs its quotation files.
inline constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

// The whole content of one text file (gzip is inflated). Errors name the file.
std::string read_text_file(const std::string& path);

// The corpus of a fortune folder: every regular file that is not an index (".dat") or a link (".u8"), in
// name order, joined; the "%" lines that separate quotations become blank lines. `dir` empty means the
// STRATA_FORTUNES environment variable, else kFortunesDir. An error says how to install the package.
std::string read_fortunes(const std::string& dir = "");

// A character vocabulary: ids 0..size()-1 for characters (bytes). Characters outside it encode to
// unknown_id() when one was given, and are an error otherwise.
class CharVocab {
 public:
  // Every distinct byte of `text`, in byte order.
  static CharVocab from_text(const std::string& text);
  // The fixed 96-symbol vocabulary of the benchmarks: '\n' -> 0, printable ASCII 32..126 -> 1..95, and
  // anything else -> ' ' (id 1).
  static CharVocab printable_ascii();
  // Explicit characters, ids in the given order; `unknown` (when >= 0) is the id used for other characters.
  explicit CharVocab(const std::string& chars, int64_t unknown = -1);

  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  const std::string& chars() const { return chars_; }
  int64_t unknown_id() const { return unknown_; }
  int64_t id(char c) const;  // an error naming the character when it is not in the vocabulary
  char character(int64_t id) const;

  // text -> (len(text)) int64 ids; ids (any shape, int64) -> text in row-major order.
  Tensor encode(const std::string& text) const;
  std::string decode(const Tensor& ids) const;

 private:
  CharVocab() = default;
  std::string chars_;
  int64_t unknown_ = -1;
  std::array<int64_t, 256> ids_{};  // -1 for characters outside the vocabulary
};

// Windows of an encoded text: example i is (input ids[i*stride : i*stride+seq_len],
// target ids[i*stride+1 : i*stride+seq_len+1]), both (seq_len) int64. stride defaults to seq_len
// (non-overlapping windows). get_batch gathers B windows into (B, seq_len) with one copy.
class CharDataset : public Dataset {
 public:
  CharDataset(Tensor ids, int64_t seq_len, int64_t stride = 0);
  int64_t size() const override { return count_; }
  Example get(int64_t i) const override;
  Batch get_batch(const Tensor& indices) const override;
  int64_t seq_len() const { return seq_len_; }
  const Tensor& ids() const { return ids_; }

 private:
  Tensor ids_;  // (N) int64, contiguous
  int64_t seq_len_;
  int64_t stride_;
  int64_t count_;
};

// Encodes `text` and splits it at (1 - val_fraction) of its length into a training and a validation
// CharDataset (the validation part may be empty when val_fraction is 0).
std::pair<std::shared_ptr<CharDataset>, std::shared_ptr<CharDataset>> char_datasets(
    const std::string& text, const CharVocab& vocab, int64_t seq_len, double val_fraction = 0.1, int64_t stride = 0);

}  // namespace strata::data
