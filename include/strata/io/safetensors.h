#pragma once
// safetensors (Hugging Face's weights format, also written by PyTorch through the safetensors package):
//   8-byte little-endian header length N | N bytes of JSON | data section
// The header maps each tensor name to {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
// (offsets into the data section) and may hold "__metadata__": {string: string}. Tensors are stored
// contiguous, row-major, little-endian, and together cover the data section without holes or overlaps.
// Supported dtypes: F32, F64, I64, BOOL, F16, BF16; and as raw bytes (RawTensor) I8, U8, I16, U16, I32, U32.
// Integrity: the writer stores the CRC-32 (zlib) of each tensor's bytes in "__metadata__" under kChecksumKey,
// one string holding a JSON object {"<tensor name>": "<8 lowercase hex digits>"} (metadata stays str -> str, so
// PyTorch's safetensors reads the file). The reader verifies them; a file without that key (PyTorch's) loads.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "strata/core/dtype.h"
#include "strata/nn/module.h"

namespace strata::io {

using Metadata = std::map<std::string, std::string>;

// The "__metadata__" key of the checksums; reserved: save_* rejects it, load_* removes it from .metadata.
inline constexpr const char* kChecksumKey = "strata.crc32";

// An entry of a dtype Strata has no Tensor for (e.g. the int8 weights of nn/quantized.h), as its bytes.
struct RawTensor {
  std::string dtype;  // "I8", "U8", "I16", "U16", "I32" or "U32"
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // little-endian, row-major: numel * itemsize bytes
};
using RawTensors = std::vector<std::pair<std::string, RawTensor>>;

struct SafetensorsFile {
  nn::StateDict tensors;  // in the order of their data in the file
  Metadata metadata;      // the "__metadata__" entry (empty when absent)
  RawTensors raw;         // only from load_safetensors(path, /*read_raw=*/true), in file order
};

// Writes `tensors` (CPU tensors of any layout; written contiguous, in insertion order) atomically:
// to "<path>.tmp.<pid>", fsynced, then renamed over `path`.
void save_safetensors(const std::string& path, const nn::StateDict& tensors, const Metadata& metadata = {});
// The same with raw entries after the tensors (a wrong byte count or an unknown raw dtype is an error).
void save_safetensors(const std::string& path, const nn::StateDict& tensors, const Metadata& metadata,
                      const RawTensors& raw);

// Reads and validates a file (and its checksums, when it has them). Anything malformed (a checksum mismatch, a
// truncated file, a header length past the end, bad JSON, unknown dtype, a shape that does not match the byte count,
// offsets out of bounds, overlapping or non-contiguous data, negative or overflowing dims, duplicate names, bool bytes
// other than 0/1) is a strata::Error naming the file, the tensor and what was wrong.
SafetensorsFile load_safetensors(const std::string& path);
// read_raw: entries of the raw dtypes go to .raw instead of being an error.
SafetensorsFile load_safetensors(const std::string& path, bool read_raw);

// "F32" <-> kFloat32, ...; an unknown name is an error naming `context`.
const char* safetensors_dtype(DType t);
DType dtype_from_safetensors(const std::string& name, const std::string& context);

}  // namespace strata::io
