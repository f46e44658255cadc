// safetensors reader and writer (see include/strata/io/safetensors.h).
#include "strata/io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "strata/core/error.h"
#include "strata/io/atomic_file.h"
#include "strata/io/json.h"

namespace strata::io {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

// The reference implementation refuses headers above 100 MB; so do we (it bounds the allocation).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct Entry {
  std::string name;
  DType dtype = kFloat32;
  std::string raw_dtype;  // set for a raw entry (dtype then unused)
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
  size_t order = 0;  // position in the header
};

// zlib's CRC-32 of n bytes, as 8 lowercase hex digits (the form stored under kChecksumKey).
std::string crc32_hex(const void* data, uint64_t n) {
  uLong crc = ::crc32_z(0L, Z_NULL, 0);
  if (n > 0) crc = ::crc32_z(crc, static_cast<const Bytef*>(data), static_cast<z_size_t>(n));
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08lx", static_cast<unsigned long>(crc & 0xffffffffUL));
  return buf;
}

// The "strata.crc32" metadata value: a JSON object {tensor name: crc hex}, or an empty map when absent.
std::map<std::string, std::string> parse_checksums(const std::string& path, const Metadata& meta) {
  std::map<std::string, std::string> sums;
  const auto it = meta.find(kChecksumKey);
  if (it == meta.end()) return sums;
  const Json j = parse_json(it->second, path + " (__metadata__ \"" + kChecksumKey + "\")");
  STRATA_CHECK(j.is_object(), path, ": __metadata__ \"", kChecksumKey, "\" must be a JSON object of checksums");
  for (const auto& k : j.keys()) {
    const Json& v = j.at(k);
    STRATA_CHECK(v.is_string() && v.as_string().size() == 8, path, ": __metadata__ \"", kChecksumKey,
                 "\": the checksum of ", json_quote(k), " must be 8 hex digits, got ", v.dump());
    sums[k] = v.as_string();
  }
  return sums;
}

class FileReader {
 public:
  explicit FileReader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    STRATA_CHECK(fd_ >= 0, path, ": cannot open: ", std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      STRATA_FAIL(path, ": not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~FileReader() { ::close(fd_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  uint64_t size() const { return size_; }

  // Reads exactly n bytes at `offset` (the caller has checked offset + n <= size()).
  void read(uint64_t offset, void* dst, uint64_t n) const {
    char* p = static_cast<char*>(dst);
    while (n > 0) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, 1ull << 30));
      const ssize_t r = ::pread(fd_, p, chunk, static_cast<off_t>(offset));
      if (r < 0 && errno == EINTR) continue;
      STRATA_CHECK(r > 0, path_, ": read failed at byte ", offset, " (the file changed or is truncated)");
      p += r;
      offset += static_cast<uint64_t>(r);
      n -= static_cast<uint64_t>(r);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

std::string tensor_ctx(const std::string& path, const std::string& name) {
  return path + ": tensor " + json_quote(name);
}

// The item size of a raw dtype, 0 for any other name.
size_t raw_itemsize(const std::string& dtype) {
  if (dtype == "I8" || dtype == "U8") return 1;
  if (dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I32" || dtype == "U32") return 4;
  return 0;
}

Entry parse_entry(const std::string& path, const std::string& name, const Json& v, uint64_t data_size, bool read_raw) {
  const std::string ctx = tensor_ctx(path, name);
  STRATA_CHECK(v.is_object(), ctx, ": expected an object with dtype, shape and data_offsets, got ", v.type_name());
  for (const auto& k : v.keys()) {
    STRATA_CHECK(k == "dtype" || k == "shape" || k == "data_offsets", ctx, ": unexpected field ", json_quote(k));
  }
  for (const char* k : {"dtype", "shape", "data_offsets"}) {
    STRATA_CHECK(v.contains(k), ctx, ": missing field \"", k, "\"");
  }
  Entry e;
  e.name = name;
  const Json& dt = v.at("dtype");
  STRATA_CHECK(dt.is_string(), ctx, ": dtype must be a string, got ", dt.type_name());
  size_t item = read_raw ? raw_itemsize(dt.as_string()) : 0;
  if (item != 0) {
    e.raw_dtype = dt.as_string();
  } else {
    e.dtype = dtype_from_safetensors(dt.as_string(), ctx);
    item = itemsize(e.dtype);
  }

  const Json& shape = v.at("shape");
  STRATA_CHECK(shape.is_array(), ctx, ": shape must be an array, got ", shape.type_name());
  uint64_t numel = 1;
  for (const Json& d : shape.elements()) {
    STRATA_CHECK(d.is_int(), ctx, ": shape ", shape.dump(), " has a non-integer dim ", d.dump());
    const int64_t n = d.as_int();
    STRATA_CHECK(n >= 0, ctx, ": shape ", shape.dump(), " has a negative dim");
    uint64_t next = 0;
    STRATA_CHECK(
        !__builtin_mul_overflow(numel, static_cast<uint64_t>(n), &next) && next <= static_cast<uint64_t>(INT64_MAX),
        ctx, ": shape ", shape.dump(), " has more elements than fit in int64");
    numel = next;
    e.shape.push_back(n);
  }
  uint64_t nbytes = 0;
  STRATA_CHECK(!__builtin_mul_overflow(numel, static_cast<uint64_t>(item), &nbytes), ctx, ": shape ", shape.dump(),
               " is too large");

  const Json& off = v.at("data_offsets");
  STRATA_CHECK(off.is_array() && off.size() == 2 && off.at(size_t{0}).is_int() && off.at(size_t{1}).is_int(), ctx,
               ": data_offsets must be two integers, got ", off.dump());
  const int64_t b = off.at(size_t{0}).as_int(), en = off.at(size_t{1}).as_int();
  STRATA_CHECK(b >= 0 && en >= 0, ctx, ": negative data_offsets ", off.dump());
  STRATA_CHECK(b <= en, ctx, ": data_offsets ", off.dump(), " end before they begin");
  e.begin = static_cast<uint64_t>(b);
  e.end = static_cast<uint64_t>(en);
  STRATA_CHECK(e.end <= data_size, ctx, ": data_offsets ", off.dump(), " run past the data section (", data_size,
               " bytes)");
  STRATA_CHECK(e.end - e.begin == nbytes, ctx, ": shape ", shape.dump(), " x ", item, " bytes (", dt.as_string(),
               ") = ", nbytes, " bytes, but data_offsets ", off.dump(), " hold ", e.end - e.begin, " bytes");
  return e;
}

}  // namespace

const char* safetensors_dtype(DType t) {
  switch (t) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::Bool: return "BOOL";
    case DType::Float16: return "F16";
    case DType::BFloat16: return "BF16";
  }
  STRATA_FAIL("[safetensors] unknown dtype");
}

DType dtype_from_safetensors(const std::string& name, const std::string& context) {
  if (name == "F32") return kFloat32;
  if (name == "F64") return kFloat64;
  if (name == "I64") return kInt64;
  if (name == "BOOL") return kBool;
  if (name == "F16") return kFloat16;
  if (name == "BF16") return kBFloat16;
  static const char* known[] = {"I8", "U8", "I16", "U16", "I32", "U32", "U64", "F8_E4M3", "F8_E5M2", "C64"};
  for (const char* k : known) {
    STRATA_CHECK(name != k, context, ": dtype ", name,
                 " is not supported (Strata reads F32, F64, I64, BOOL, F16, BF16)");
  }
  STRATA_FAIL(context, ": unknown dtype ", json_quote(name));
}

void save_safetensors(const std::string& path, const nn::StateDict& tensors, const Metadata& metadata) {
  save_safetensors(path, tensors, metadata, {});
}

void save_safetensors(const std::string& path, const nn::StateDict& tensors, const Metadata& metadata,
                      const RawTensors& raw) {
  STRATA_CHECK(!metadata.contains(kChecksumKey), path, ": the __metadata__ key \"", kChecksumKey,
               "\" is reserved for the checksums Strata writes itself");
  Json header = Json::object();
  header.set("__metadata__", Json::object());  // filled below, once the checksums are known
  Json sums = Json::object();
  std::vector<Tensor> data;
  data.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    STRATA_CHECK(name != "__metadata__", path, ": a tensor cannot be named \"__metadata__\"");
    STRATA_CHECK(t.defined(), tensor_ctx(path, name), ": undefined tensor");
    Tensor c = t.to(kCPU).contiguous();
    const uint64_t nbytes = static_cast<uint64_t>(c.numel()) * c.itemsize();
    Json shape = Json::array();
    for (int64_t d : c.shape()) shape.push_back(d);
    header.set(name, Json::object({{"dtype", safetensors_dtype(c.dtype())},
                                   {"shape", std::move(shape)},
                                   {"data_offsets", Json::array({offset, offset + nbytes})}}));
    offset += nbytes;
    sums.set(name, crc32_hex(c.numel() > 0 ? c.raw_data() : nullptr, nbytes));
    data.push_back(std::move(c));
  }
  for (const auto& [name, r] : raw) {
    STRATA_CHECK(name != "__metadata__" && !tensors.contains(name) && !header.contains(name), tensor_ctx(path, name),
                 ": duplicate or reserved name");
    const size_t item = raw_itemsize(r.dtype);
    STRATA_CHECK(item != 0, tensor_ctx(path, name), ": raw dtype must be I8, U8, I16, U16, I32 or U32, got \"", r.dtype,
                 "\"");
    uint64_t numel = 1;
    Json shape = Json::array();
    for (int64_t d : r.shape) {
      STRATA_CHECK(d >= 0, tensor_ctx(path, name), ": negative dim");
      numel *= static_cast<uint64_t>(d);
      shape.push_back(d);
    }
    STRATA_CHECK(numel * item == r.bytes.size(), tensor_ctx(path, name), ": ", r.bytes.size(), " bytes for ", numel,
                 " elements of ", r.dtype);
    header.set(name, Json::object({{"dtype", r.dtype},
                                   {"shape", std::move(shape)},
                                   {"data_offsets", Json::array({offset, offset + r.bytes.size()})}}));
    offset += r.bytes.size();
    sums.set(name, crc32_hex(r.bytes.data(), r.bytes.size()));
  }
  Json meta = Json::object();
  for (const auto& [k, v] : metadata) meta.set(k, v);
  meta.set(kChecksumKey, sums.dump());
  header.set("__metadata__", std::move(meta));
  std::string text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len[8];
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));

  AtomicFile out(path);
  out.write(len, 8);
  out.write(text.data(), text.size());
  for (const Tensor& c : data) {
    if (c.numel() > 0) out.write(c.raw_data(), static_cast<size_t>(c.numel()) * c.itemsize());
  }
  for (const auto& [name, r] : raw) {
    if (!r.bytes.empty()) out.write(r.bytes.data(), r.bytes.size());
  }
  out.commit();
}

SafetensorsFile load_safetensors(const std::string& path) { return load_safetensors(path, false); }

SafetensorsFile load_safetensors(const std::string& path, bool read_raw) {
  FileReader in(path);
  const uint64_t size = in.size();
  STRATA_CHECK(size >= 8, path, ": file too short for a safetensors header length (", size, " bytes, need 8)");
  unsigned char len[8];
  in.read(0, len, 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(len[i]) << (8 * i);
  STRATA_CHECK(n <= size - 8, path, ": header length ", n, " runs past the end of the file (", size, " bytes)");
  STRATA_CHECK(n <= kMaxHeaderBytes, path, ": header length ", n, " exceeds the ", kMaxHeaderBytes, "-byte limit");
  STRATA_CHECK(n >= 2, path, ": header of ", n, " bytes is too short for a JSON object");
  std::string text(static_cast<size_t>(n), '\0');
  in.read(8, text.data(), n);
  const uint64_t data_start = 8 + n;
  const uint64_t data_size = size - data_start;

  const Json header = parse_json(text, path + " (safetensors header)");
  STRATA_CHECK(header.is_object(), path, ": the header must be a JSON object, got ", header.type_name());

  SafetensorsFile result;
  std::vector<Entry> entries;
  for (const auto& key : header.keys()) {
    const Json& v = header.at(key);
    if (key == "__metadata__") {
      STRATA_CHECK(v.is_object(), path, ": __metadata__ must be an object of strings, got ", v.type_name());
      for (const auto& mk : v.keys()) {
        const Json& mv = v.at(mk);
        STRATA_CHECK(mv.is_string(), path, ": __metadata__ value ", json_quote(mk), " must be a string, got ",
                     mv.type_name());
        result.metadata[mk] = mv.as_string();
      }
      continue;
    }
    Entry e = parse_entry(path, key, v, data_size, read_raw);
    e.order = entries.size();
    entries.push_back(std::move(e));
  }

  // The tensors must tile the data section exactly: sorted by offset, each starts where the last ended.
  std::vector<const Entry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : sorted) {
    if (e->begin < pos) {
      STRATA_FAIL(tensor_ctx(path, e->name), ": data [", e->begin, ", ", e->end, ") overlaps tensor ",
                  json_quote(prev->name), " [", prev->begin, ", ", prev->end, ")");
    }
    if (e->begin > pos) {
      STRATA_FAIL(tensor_ctx(path, e->name), ": data starts at ", e->begin, " but the previous tensor",
                  prev ? " " + json_quote(prev->name) : std::string(), " ends at ", pos, " (a hole of ", e->begin - pos,
                  " bytes in the data section)");
    }
    pos = e->end;
    prev = e;
  }
  STRATA_CHECK(pos == data_size, path, ": the tensors cover ", pos, " bytes of the ", data_size, "-byte data section (",
               data_size - pos, " trailing bytes belong to no tensor)");

  // Checksums (files Strata wrote since they existed): every tensor must have one and match it.
  const std::map<std::string, std::string> sums = parse_checksums(path, result.metadata);
  result.metadata.erase(kChecksumKey);
  if (!sums.empty()) {
    for (const auto& kv : sums) {
      const std::string& name = kv.first;  // not a structured binding: clang 14 (make fuzz) cannot capture one
      STRATA_CHECK(std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.name == name; }), path,
                   ": __metadata__ \"", kChecksumKey, "\" has a checksum for tensor ", json_quote(name),
                   ", which the file does not hold (corrupt header?)");
    }
  }
  auto verify = [&](const Entry& e, const void* bytes) {
    if (sums.empty()) return;
    const auto it = sums.find(e.name);
    STRATA_CHECK(it != sums.end(), tensor_ctx(path, e.name), ": no checksum in __metadata__ \"", kChecksumKey,
                 "\" although the file has checksums for other tensors (corrupt header?)");
    const std::string got = crc32_hex(bytes, e.end - e.begin);
    STRATA_CHECK(got == it->second, tensor_ctx(path, e.name), ": checksum mismatch: the data's CRC-32 is ", got,
                 " but the file records ", it->second, " (the file is corrupt)");
  };

  for (const Entry* e : sorted) {
    if (!e->raw_dtype.empty()) {
      RawTensor r{e->raw_dtype, e->shape, std::vector<uint8_t>(static_cast<size_t>(e->end - e->begin))};
      if (!r.bytes.empty()) in.read(data_start + e->begin, r.bytes.data(), r.bytes.size());
      verify(*e, r.bytes.data());
      result.raw.emplace_back(e->name, std::move(r));
      continue;
    }
    // (Shape(std::vector) memcpys from data(), which is null for a 0-d shape: build that case directly.)
    const Shape shape = e->shape.empty() ? Shape() : Shape(e->shape.data(), e->shape.size());
    Tensor t = Tensor::empty(shape, e->dtype);
    const uint64_t nbytes = e->end - e->begin;
    if (nbytes > 0) in.read(data_start + e->begin, t.raw_data(), nbytes);
    verify(*e, nbytes > 0 ? t.raw_data() : nullptr);
    if (e->dtype == kBool) {
      const auto* p = static_cast<const unsigned char*>(t.raw_data());
      for (uint64_t i = 0; i < nbytes; ++i) {
        STRATA_CHECK(p[i] <= 1, tensor_ctx(path, e->name), ": BOOL element ", i, " has byte value ",
                     static_cast<int>(p[i]), " (must be 0 or 1)");
      }
    }
    result.tensors.insert(e->name, t);
  }
  return result;
}

}  // namespace strata::io
