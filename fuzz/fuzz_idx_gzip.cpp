// data::read_idx on the fuzz input gzip-compressed by the harness: fuzzes the IDX structure seen through the
// reader's inflate path (a mutated gzip stream rarely stays valid; fuzz_idx covers corrupt streams).
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_common.h"
#include "strata/data/idx.h"

namespace {

std::vector<uint8_t> gzip(const uint8_t* data, size_t size) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<uint8_t> out(deflateBound(&zs, size) + 32);
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> gz = gzip(data, size);
  const std::string& path = strata::fuzz::temp_path("idx_gzip", ".idx.gz");
  strata::fuzz::write_file(path, gz.data(), gz.size());
  try {
    (void)strata::data::read_idx(path);
  } catch (const strata::Error&) {
  }
  try {
    (void)strata::data::read_idx_images(path, false);
  } catch (const strata::Error&) {
  }
  try {
    (void)strata::data::read_idx_labels(path);
  } catch (const strata::Error&) {
  }
  return 0;
}
