#include "strata/data/idx.h"

#include <cstdio>
#include <sstream>

#include "data/file_bytes.h"
#include "strata/core/error.h"

namespace strata::data {

namespace {

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", v);
  return buf;
}

uint32_t be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

const char* kind_of(int64_t ndims) {
  return ndims == 3 ? " (images: unsigned bytes, 3 dims)" : ndims == 1 ? " (labels: unsigned bytes, 1 dim)" : "";
}

struct Parsed {
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;  // the whole (inflated) file
  size_t header = 0;           // the data starts here
};

Parsed parse_idx(const std::string& path, int64_t expected_dims) {
  detail::FileBytes f = detail::read_file_bytes(path, "read_idx");
  const std::vector<uint8_t>& b = f.bytes;
  const std::string where = "[read_idx] '" + path + "'" + (f.gzipped ? " (gzip; offsets in the inflated data)" : "");
  const size_t n = b.size();
  STRATA_CHECK(n >= 4, where, ": truncated header: ", n, " bytes, but the magic number alone needs 4");
  const uint32_t magic = be32(b.data());
  const std::string expected = expected_dims >= 0
                                   ? hex32(0x800u | static_cast<uint32_t>(expected_dims)) + kind_of(expected_dims)
                                   : std::string("0x000008NN (unsigned bytes, NN dims)");
  STRATA_CHECK(b[0] == 0 && b[1] == 0, where, ": offset 0: wrong magic number ", hex32(magic), ", expected ", expected,
               "; not an IDX file");
  STRATA_CHECK(b[2] == 0x08, where, ": offset 2: element type 0x", std::hex, static_cast<int>(b[2]), std::dec,
               " is not supported (magic ", hex32(magic), "); only unsigned bytes (0x08) are");
  const int64_t ndims = b[3];
  STRATA_CHECK(expected_dims < 0 || ndims == expected_dims, where, ": offset 0: wrong magic number ", hex32(magic),
               " (", ndims, " dims), expected ", expected);
  STRATA_CHECK(ndims >= 1, where, ": offset 3: an IDX file needs at least one dim, the header says 0");
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  STRATA_CHECK(n >= header, where, ": truncated header: ", ndims, " dims need ", header, " header bytes, the file has ",
               n);
  Parsed out;
  std::ostringstream dims_text;
  uint64_t count = 1;
  for (int64_t d = 0; d < ndims; ++d) {
    const uint32_t v = be32(b.data() + 4 + 4 * d);
    out.dims.push_back(v);
    dims_text << (d ? " x " : "") << v;
    // prod(dims) cannot exceed the bytes present; checking before multiplying also rules out overflow.
    STRATA_CHECK(v == 0 || count <= n / v, where, ": offset ", 4 + 4 * d, ": dims ", dims_text.str(),
                 "... need more bytes than the whole file has (", n, ")");
    count *= v;
  }
  const size_t payload = n - header;
  STRATA_CHECK(payload == count, where, ": the header (", header, " bytes) says ", dims_text.str(), " = ", count,
               " bytes of data, but ", payload, " follow",
               payload < count ? " (the file is truncated)" : " (extra bytes at the end)");
  out.header = header;
  out.bytes = std::move(f.bytes);
  return out;
}

}  // namespace

IdxArray read_idx(const std::string& path, int64_t expected_dims) {
  Parsed p = parse_idx(path, expected_dims);
  IdxArray a;
  a.dims = std::move(p.dims);
  p.bytes.erase(p.bytes.begin(), p.bytes.begin() + static_cast<std::ptrdiff_t>(p.header));
  a.data = std::move(p.bytes);
  return a;
}

Tensor read_idx_images(const std::string& path, const std::array<float, 256>& table) {
  const Parsed a = parse_idx(path, 3);
  Tensor t = Tensor::empty({a.dims[0], 1, a.dims[1], a.dims[2]}, kFloat32);
  float* p = t.data_ptr<float>();
  const uint8_t* src = a.bytes.data() + a.header;
  const size_t n = a.bytes.size() - a.header;
  for (size_t i = 0; i < n; ++i) p[i] = table[src[i]];
  return t;
}

Tensor read_idx_images(const std::string& path, bool scale) {
  std::array<float, 256> table;
  // x / 255 as torchvision's ToTensor computes it (a float32 division, not a multiply by 1/255).
  for (int v = 0; v < 256; ++v)
    table[static_cast<size_t>(v)] = scale ? static_cast<float>(v) / 255.0f : static_cast<float>(v);
  return read_idx_images(path, table);
}

Tensor read_idx_labels(const std::string& path) {
  const Parsed a = parse_idx(path, 1);
  Tensor t = Tensor::empty({a.dims[0]}, kInt64);
  int64_t* p = t.data_ptr<int64_t>();
  const uint8_t* src = a.bytes.data() + a.header;
  for (int64_t i = 0; i < a.dims[0]; ++i) p[i] = src[i];
  return t;
}

}  // namespace strata::data
