#pragma once
// IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed (detected from the content):
//   bytes 0-1: 0, byte 2: element type (0x08 = unsigned byte, the only one supported here), byte 3: number of
//   dims; then each dim as a big-endian uint32; then the data, row-major. Images are 0x00000803 (N, rows, cols),
//   labels 0x00000801 (N).
// A malformed file (short header, wrong magic number, data size that disagrees with the dims, truncated or
// corrupt gzip stream) raises strata::Error naming the file, the byte offset and what was expected.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // prod(dims) bytes, row-major
};

// Any unsigned-byte IDX file; `expected_dims` >= 0 also requires that many dims.
IdxArray read_idx(const std::string& path, int64_t expected_dims = -1);
// An images file (0x00000803) -> float32 (N, 1, rows, cols), divided by 255 when `scale` (values in [0, 1]),
// else the raw 0..255 values.
Tensor read_idx_images(const std::string& path, bool scale = true);
// An images file -> float32 (N, 1, rows, cols) with each byte value v replaced by table[v] (one pass, so a
// whole preprocessing chain such as (v / 255 - mean) / std costs no more than reading).
Tensor read_idx_images(const std::string& path, const std::array<float, 256>& table);
// A labels file (0x00000801) -> int64 (N).
Tensor read_idx_labels(const std::string& path);

}  // namespace strata::data
