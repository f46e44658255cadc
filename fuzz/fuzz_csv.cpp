// data::read_csv on arbitrary file content. The first byte picks the options (header, delimiter, label
// column and dtype); the rest is the file.
#include <cstdint>

#include "fuzz_common.h"
#include "strata/data/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t opt = data[0];
  strata::data::CsvOptions options;
  options.header = (opt & 1) != 0;
  options.delimiter = (opt & 2) != 0 ? ';' : ',';
  options.has_label = (opt & 4) == 0;
  options.label_index = (opt & 8) != 0 ? 0 : -1;
  options.label_dtype = (opt & 16) != 0 ? strata::kFloat32 : strata::kInt64;
  if ((opt & 32) != 0 && options.header) options.label_column = "y";
  const std::string& path = strata::fuzz::temp_path("csv", ".csv");
  strata::fuzz::write_file(path, data + 1, size - 1);
  try {
    strata::data::CsvData d = strata::data::read_csv(path, options);
    (void)d.features.numel();
  } catch (const strata::Error&) {
  }
  return 0;
}
