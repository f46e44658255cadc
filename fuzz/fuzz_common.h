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

// <dir>/strata_fuzz_<tag>_<pid><suffix>: one file per fuzzing process, rewritten for every input and removed
// at exit. <dir> is /dev/shm (tmpfs) when there is one, else $TMPDIR or /tmp: on ext4, rewriting a file by
// truncation makes close() flush it to disk (auto_da_alloc), measured 3.5x slower per input than tmpfs.
inline const std::string& temp_path(const char* tag, const char* suffix = "") {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (dir != nullptr && *dir != '\0' ? dir : "/tmp");
    return base + "/strata_fuzz_" + tag + "_" + std::to_string(getpid()) + suffix;
  }();
  static const bool cleanup = [] { return std::atexit([] { std::remove(path.c_str()); }) == 0; }();
  (void)cleanup;
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
