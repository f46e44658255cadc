#pragma once
// CSV reader for numeric tables: every field is a number (surrounding spaces and double quotes allowed), an
// optional header line names the columns, and one column may be the label. Blank lines are skipped; "\r\n"
// line ends are accepted; gzip-compressed files are inflated. A bad number, a row with the wrong number of
// fields, or a label column that does not exist raises strata::Error naming the file, the line and the column.
#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/dtype.h"
#include "strata/core/tensor.h"
#include "strata/data/dataset.h"

namespace strata::data {

struct CsvOptions {
  char delimiter = ',';
  // The first (non-blank) line names the columns.
  bool header = true;
  // The label column, by name (needs a header; wins over label_index) ...
  std::string label_column;
  // ... or by index (negative counts from the end: -1 is the last column).
  int64_t label_index = -1;
  // false: no label column; every column is a feature and `labels` stays undefined.
  bool has_label = true;
  // int64 for classification (values must be whole numbers), float32 (or float64) for regression.
  DType label_dtype = kInt64;
};

struct CsvData {
  Tensor features;                         // float32 (N, F)
  Tensor labels;                           // label_dtype (N); undefined without a label column
  std::vector<std::string> feature_names;  // from the header, else "0", "1", ... (column indices)
  std::string label_name;

  // A TensorDataset of (features, labels).
  std::shared_ptr<TensorDataset> dataset() const { return std::make_shared<TensorDataset>(features, labels); }
};

CsvData read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace strata::data
