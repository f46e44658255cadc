// io::load_checkpoint on arbitrary file content (a safetensors file whose metadata holds a JSON document).
#include <cstdint>

#include "fuzz_common.h"
#include "strata/io/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = strata::fuzz::temp_path("checkpoint", ".ckpt.safetensors");
  strata::fuzz::write_file(path, data, size);
  try {
    strata::io::Checkpoint c = strata::io::load_checkpoint(path);
    (void)c.optimizer.dump();
    (void)c.scheduler.dump();
  } catch (const strata::Error&) {
  }
  return 0;
}
