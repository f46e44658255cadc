#pragma once
// Reading whole files for the data readers: plain bytes, or gzip streams inflated through zlib (detected by
// the gzip magic bytes, not by the file name). Errors are strata::Error naming the reader and the file.
#include <cstdint>
#include <string>
#include <vector>

namespace strata::data::detail {

struct FileBytes {
  std::vector<uint8_t> bytes;  // the file's content, inflated when it was gzip
  bool gzipped = false;
};

// `who` is the reader's name for messages, e.g. "read_idx".
FileBytes read_file_bytes(const std::string& path, const char* who);

}  // namespace strata::data::detail
