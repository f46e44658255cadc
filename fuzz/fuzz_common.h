#pragma once
// Shared by the libFuzzer harnesses: a per-process temporary file for the readers that only take paths, and
// the rule that only strata::Error is an expected outcome (anything else escapes and libFuzzer reports it).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "strata/core/error.h"

namespace strata::fuzz {

// $TMPDIR/strata_fuzz_<tag>_<pid><suffix>: one file per fuzzing process, rewritten for every input.
inline const std::string& temp_path(const char* tag, const char* suffix = "") {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/strata_fuzz_" + tag + "_" +
           std::to_string(getpid()) + suffix;
  }();
  return path;
}

// Writes the bytes to `path` (truncating); aborts if that fails, since the harness would then test nothing.
inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

}  // namespace strata::fuzz
