#include "data/file_bytes.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "strata/core/error.h"

namespace strata::data::detail {

namespace {

// A data file read from something that is not a regular file (a pipe, /dev/zero) stops here.
constexpr size_t kMaxStreamBytes = size_t{256} << 20;

std::vector<uint8_t> read_stream(std::ifstream& in, const std::string& path, const char* who) {
  std::vector<uint8_t> bytes;
  std::vector<char> chunk(1 << 16);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    STRATA_CHECK(bytes.size() + got <= kMaxStreamBytes, "[", who, "] '", path,
                 "' is not a regular file and gives more than ", kMaxStreamBytes >> 20, " MiB; give a regular file");
    bytes.insert(bytes.end(), chunk.data(), chunk.data() + got);
  }
  STRATA_CHECK(!in.bad(), "[", who, "] error reading '", path, "'");
  return bytes;
}

std::vector<uint8_t> read_raw(const std::string& path, const char* who) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  STRATA_CHECK(st.type() != std::filesystem::file_type::directory, "[", who, "] '", path,
               "' is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in.good(), "[", who, "] cannot open '", path, "': ", std::strerror(errno));
  if (!ec && st.type() != std::filesystem::file_type::regular) return read_stream(in, path, who);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  STRATA_CHECK(size >= 0, "[", who, "] cannot determine the size of '", path, "'");
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0) in.read(reinterpret_cast<char*>(bytes.data()), size);
  STRATA_CHECK(in.good() || (size == 0), "[", who, "] error reading '", path, "'");
  return bytes;
}

// Inflates every gzip member of `in` (concatenated members are one stream, as gzip -d treats them), straight
// into the output buffer.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path, const char* who) {
  // The last 4 bytes hold the uncompressed size mod 2^32: a good first guess for the buffer, unless it is
  // implausible (a truncated file ends in arbitrary bytes), when the buffer starts small and doubles.
  size_t guess = in.size() * 4;
  if (in.size() >= 18) {
    const size_t n = in.size();
    const size_t isize = static_cast<uint32_t>(in[n - 4]) | (static_cast<uint32_t>(in[n - 3]) << 8) |
                         (static_cast<uint32_t>(in[n - 2]) << 16) | (static_cast<uint32_t>(in[n - 1]) << 24);
    if (isize <= in.size() * 16) guess = isize;
  }
  std::vector<uint8_t> out(std::max<size_t>(guess, 1 << 16));
  size_t produced = 0;
  z_stream zs{};
  STRATA_CHECK(inflateInit2(&zs, 15 + 16) == Z_OK, "[", who, "] zlib inflateInit2 failed for '", path, "'");
  size_t consumed = 0;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_in = const_cast<Bytef*>(in.data() + consumed);
    zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - consumed, std::numeric_limits<uInt>::max()));
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max()));
    const uInt given_in = zs.avail_in, given_out = zs.avail_out;
    const int ret = inflate(&zs, Z_NO_FLUSH);
    consumed += given_in - zs.avail_in;
    produced += given_out - zs.avail_out;
    if (ret == Z_STREAM_END) {
      // Another member follows? Skip trailing zero padding, which some tools append.
      while (consumed < in.size() && in[consumed] == 0) ++consumed;
      if (consumed >= in.size() || inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && consumed >= in.size()) {
      inflateEnd(&zs);
      STRATA_FAIL("[", who, "] '", path, "': truncated gzip stream: the compressed data ends after ", in.size(),
                  " bytes (", produced, " bytes inflated) before the end-of-stream marker");
    }
    const std::string msg = zs.msg ? zs.msg : "zlib error " + std::to_string(ret);
    inflateEnd(&zs);
    STRATA_FAIL("[", who, "] '", path, "': corrupt gzip stream at compressed offset ", consumed, ": ", msg);
  }
  inflateEnd(&zs);
  out.resize(produced);
  return out;
}

}  // namespace

FileBytes read_file_bytes(const std::string& path, const char* who) {
  FileBytes f;
  f.bytes = read_raw(path, who);
  if (f.bytes.size() >= 2 && f.bytes[0] == 0x1f && f.bytes[1] == 0x8b) {
    f.bytes = gunzip(f.bytes, path, who);
    f.gzipped = true;
  }
  return f;
}

}  // namespace strata::data::detail
