#pragma once
// Reader for the golden files written by tests/golden/make_golden.py (PyTorch-made reference data).
// Format (little-endian): "STRATAGD" u32 version=1 u32 n_records, then per record:
//   u32 name_len, name, u32 n_inputs, n_inputs x tensor (inputs), tensor (output), tensor (grad_output),
//   n_inputs x tensor (gradients of the inputs; dtype code 255 = none)
// tensor: u8 dtype (0 float32, 1 float64, 2 int64, 3 bool, 255 none), u32 ndim, ndim x i64 sizes, raw data.
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

// Reads every record of one file; a malformed file throws strata::Error naming the file and offset.
std::vector<GoldenRecord> read_golden_file(const std::string& path);
// All tests/golden/*.bin files.
std::vector<std::string> golden_files();

}  // namespace strata::testing
