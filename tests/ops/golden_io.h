#pragma once
// Reader for the golden files written by tests/golden/make_golden.py (PyTorch-made reference data).
// Format (little-endian): "STRATAGD" u32 version=1 u32 n_records, then per record:
//   u32 name_len, name, u32 n_inputs, n_inputs x tensor (inputs), tensor (output), tensor (grad_output),
//   n_inputs x tensor (gradients of the inputs; dtype code 255 = none)
// tensor: u8 dtype (0 float32, 1 float64, 2 int64, 3 bool, 255 none), u32 ndim, ndim x i64 sizes, raw data.
#include <cstring>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata::testing {

struct GoldenRecord {
  std::string name;
  TensorList inputs;
  Tensor output;
  Tensor grad_output;
  TensorList input_grads;  // undefined where PyTorch gave none
};

// Sequential little-endian reader over one golden file (also used by the files of other formats:
// tests/golden/e2e/). Running past the end throws strata::Error naming the file and offset.
class GoldenReader {
 public:
  GoldenReader(std::string path, std::vector<char> data) : path_(std::move(path)), data_(std::move(data)) {}
  static GoldenReader open(const std::string& path);

  template <class T>
  T read() {
    T v;
    need(sizeof(T), "a number");
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string();  // u32 length + bytes
  Tensor read_tensor();       // undefined for dtype code 255
  bool done() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }
  const std::string& path() const { return path_; }

 private:
  void need(size_t n, const char* what);
  std::string path_;
  std::vector<char> data_;
  size_t pos_ = 0;
};

// Reads every record of one file; a malformed file throws strata::Error naming the file and offset.
std::vector<GoldenRecord> read_golden_file(const std::string& path);
// All tests/golden/*.bin files.
std::vector<std::string> golden_files();

// "" when got matches want elementwise within atol + rtol * |want| (and in shape), else where and how it
// differs: the shared comparison of the layer-level golden tests.
std::string golden_mismatch(const Tensor& got, const Tensor& want, double atol, double rtol);

}  // namespace strata::testing
