// data::read_idx / read_idx_images / read_idx_labels on arbitrary file content. The reader detects gzip from
// the magic bytes, so the gzip seeds also fuzz corrupt and truncated gzip streams here.
#include <cstdint>

#include "fuzz_common.h"
#include "strata/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = strata::fuzz::temp_path("idx", ".idx");
  strata::fuzz::write_file(path, data, size);
  try {
    (void)strata::data::read_idx(path);
  } catch (const strata::Error&) {
  }
  try {
    (void)strata::data::read_idx_images(path);
  } catch (const strata::Error&) {
  }
  try {
    (void)strata::data::read_idx_labels(path);
  } catch (const strata::Error&) {
  }
  return 0;
}
