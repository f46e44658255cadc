#include "strata/data/text.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "data/file_bytes.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"

namespace strata::data {

namespace fs = std::filesystem;

std::string read_text_file(const std::string& path) {
  detail::FileBytes file = detail::read_file_bytes(path, "read_text_file");
  return std::string(file.bytes.begin(), file.bytes.end());
}

namespace {

// A fortune file with its "%" separator lines turned into blank lines.
std::string strip_separators(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line != "%") out += line;
    out += '\n';
  }
  return out;
}

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 32 && u < 127) return std::string("'") + c + "'";
  std::ostringstream os;
  os << "byte " << static_cast<int>(u);
  return os.str();
}

}  // namespace

std::string read_fortunes(const std::string& dir) {
  std::string folder = dir;
  if (folder.empty()) {
    const char* env = std::getenv("STRATA_FORTUNES");
    folder = env != nullptr && *env != '\0' ? env : kFortunesDir;
  }
  std::error_code ec;
  STRATA_CHECK(fs::is_directory(folder, ec), "[read_fortunes] no folder ", folder,
               ". Install Debian's `fortunes` package (scripts/install-deps.sh does), or pass the folder (or set "
               "STRATA_FORTUNES), or read any text file with read_text_file.");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_symlink() || !entry.is_regular_file() || ext == ".dat" || ext == ".u8") continue;
    files.push_back(entry.path().string());
  }
  STRATA_CHECK(!files.empty(), "[read_fortunes] no fortune files in ", folder);
  std::sort(files.begin(), files.end());
  std::string text;
  for (const auto& f : files) text += strip_separators(read_text_file(f));
  return text;
}

CharVocab::CharVocab(const std::string& chars, int64_t unknown) : chars_(chars), unknown_(unknown) {
  STRATA_CHECK(!chars_.empty(), "[CharVocab] the vocabulary is empty");
  ids_.fill(-1);
  for (size_t i = 0; i < chars_.size(); ++i) {
    auto& slot = ids_[static_cast<unsigned char>(chars_[i])];
    STRATA_CHECK(slot < 0, "[CharVocab] character ", printable(chars_[i]), " appears twice");
    slot = static_cast<int64_t>(i);
  }
  STRATA_CHECK(unknown_ < size(), "[CharVocab] unknown id ", unknown_, " is outside the vocabulary of ", size());
}

CharVocab CharVocab::from_text(const std::string& text) {
  std::array<bool, 256> seen{};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  std::string chars;
  for (int b = 0; b < 256; ++b)
    if (seen[b]) chars += static_cast<char>(b);
  STRATA_CHECK(!chars.empty(), "[CharVocab::from_text] the text is empty");
  return CharVocab(chars);
}

CharVocab CharVocab::printable_ascii() {
  std::string chars = "\n";
  for (int c = 32; c < 127; ++c) chars += static_cast<char>(c);
  return CharVocab(chars, /*unknown=*/1);
}

int64_t CharVocab::id(char c) const {
  const int64_t i = ids_[static_cast<unsigned char>(c)];
  if (i >= 0) return i;
  STRATA_CHECK(unknown_ >= 0, "[CharVocab] character ", printable(c), " is not in the vocabulary of ", size());
  return unknown_;
}

char CharVocab::character(int64_t id) const {
  STRATA_CHECK(id >= 0 && id < size(), "[CharVocab] id ", id, " is outside the vocabulary of ", size());
  return chars_[static_cast<size_t>(id)];
}

Tensor CharVocab::encode(const std::string& text) const {
  Tensor out = empty({static_cast<int64_t>(text.size())}, kInt64);
  int64_t* p = out.data_ptr<int64_t>();
  for (size_t i = 0; i < text.size(); ++i) p[i] = id(text[i]);
  return out;
}

std::string CharVocab::decode(const Tensor& ids) const {
  STRATA_CHECK(ids.dtype() == kInt64, "[CharVocab::decode] expected int64 ids, got ", ids.dtype());
  std::string out;
  for (int64_t i : ids.to_vector<int64_t>()) out += character(i);
  return out;
}

CharDataset::CharDataset(Tensor ids, int64_t seq_len, int64_t stride)
    : ids_(std::move(ids)), seq_len_(seq_len), stride_(stride > 0 ? stride : seq_len) {
  STRATA_CHECK(ids_.defined() && ids_.dtype() == kInt64 && ids_.dim() == 1,
               "[CharDataset] expected a 1-D int64 tensor of ids, got ",
               ids_.defined() ? ids_.shape().str() : std::string("an undefined tensor"));
  STRATA_CHECK(seq_len_ >= 1, "[CharDataset] seq_len must be >= 1, got ", seq_len_);
  STRATA_CHECK(stride >= 0, "[CharDataset] stride must be >= 0 (0: seq_len), got ", stride);
  ids_ = ids_.contiguous();
  const int64_t n = ids_.size(0);
  // Each window needs seq_len + 1 ids (its targets run one further).
  count_ = n > seq_len_ ? (n - seq_len_ - 1) / stride_ + 1 : 0;
}

Example CharDataset::get(int64_t i) const {
  STRATA_CHECK(i >= 0 && i < count_, "[CharDataset] index ", i, " out of range for ", count_, " windows");
  const int64_t start = i * stride_;
  return {ids_.narrow(0, start, seq_len_), ids_.narrow(0, start + 1, seq_len_)};
}

Batch CharDataset::get_batch(const Tensor& indices) const {
  STRATA_CHECK(indices.dtype() == kInt64 && indices.dim() == 1, "[CharDataset] expected (B) int64 indices, got ",
               indices.shape(), " ", indices.dtype());
  const std::vector<int64_t> idx = indices.to_vector<int64_t>();
  const auto b = static_cast<int64_t>(idx.size());
  Tensor input = empty({b, seq_len_}, kInt64);
  Tensor target = empty({b, seq_len_}, kInt64);
  const int64_t* src = ids_.data_ptr<int64_t>();
  int64_t* in = input.data_ptr<int64_t>();
  int64_t* tg = target.data_ptr<int64_t>();
  for (int64_t r = 0; r < b; ++r) {
    STRATA_CHECK(idx[r] >= 0 && idx[r] < count_, "[CharDataset] index ", idx[r], " out of range for ", count_,
                 " windows");
    const int64_t* w = src + idx[r] * stride_;
    std::copy(w, w + seq_len_, in + r * seq_len_);
    std::copy(w + 1, w + 1 + seq_len_, tg + r * seq_len_);
  }
  return {input, target};
}

std::pair<std::shared_ptr<CharDataset>, std::shared_ptr<CharDataset>> char_datasets(
    const std::string& text, const CharVocab& vocab, int64_t seq_len, double val_fraction, int64_t stride) {
  STRATA_CHECK(val_fraction >= 0.0 && val_fraction < 1.0, "[char_datasets] val_fraction must be in [0, 1), got ",
               val_fraction);
  const Tensor ids = vocab.encode(text);
  const int64_t n = ids.size(0);
  const auto n_train = static_cast<int64_t>(static_cast<double>(n) * (1.0 - val_fraction));
  auto train = std::make_shared<CharDataset>(ids.narrow(0, 0, n_train), seq_len, stride);
  auto val = std::make_shared<CharDataset>(ids.narrow(0, n_train, n - n_train), seq_len, stride);
  STRATA_CHECK(train->size() > 0, "[char_datasets] a text of ", n, " characters has no training window of ",
               seq_len + 1);
  return {train, val};
}

}  // namespace strata::data
