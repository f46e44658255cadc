// io::load_safetensors on arbitrary file content, with and without raw (int8/uint8/...) entries.
#include <cstdint>

#include "fuzz_common.h"
#include "strata/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = strata::fuzz::temp_path("safetensors", ".safetensors");
  strata::fuzz::write_file(path, data, size);
  for (bool raw : {false, true}) {
    try {
      strata::io::SafetensorsFile f = strata::io::load_safetensors(path, raw);
      for (const auto& [name, t] : f.tensors) (void)t.numel();
    } catch (const strata::Error&) {
    }
  }
  return 0;
}
