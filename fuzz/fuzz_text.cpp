// data::read_text_file on arbitrary file content (gzip detected from the magic bytes), then the character
// vocabulary, encoding and windowed datasets built from it.
#include <cstdint>

#include "fuzz_common.h"
#include "strata/data/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = strata::fuzz::temp_path("text", ".txt");
  strata::fuzz::write_file(path, data, size);
  try {
    const std::string text = strata::data::read_text_file(path);
    const auto vocab = strata::data::CharVocab::from_text(text);
    const strata::Tensor ids = vocab.encode(text);
    if (vocab.decode(ids) != text) std::abort();  // encode/decode must round-trip
    auto [train, val] = strata::data::char_datasets(text, vocab, 4, 0.25);
    if (train->size() > 0) (void)train->get(train->size() - 1);
  } catch (const strata::Error&) {
  }
  return 0;
}
