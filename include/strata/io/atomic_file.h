#pragma once
// AtomicFile: writes a file so that a crash or an error never leaves a half-written file at `path`.
// Bytes go to "<path>.tmp.<pid>"; commit() fsyncs it, renames it over `path` and fsyncs the directory.
// Destroying an uncommitted AtomicFile (an exception midway) removes the temporary file. Temporaries that a
// killed writer left behind ("<path>.tmp.<pid>" whose pid no longer exists) are removed when the next
// AtomicFile for the same path is created; a live process's temporary is never touched.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace strata::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void commit();
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return tmp_; }
  uint64_t bytes_written() const { return written_; }

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  uint64_t written_ = 0;
  bool committed_ = false;
};

// Removes "<path>.tmp.<pid>" files of `path` whose process no longer exists (never this process's, nor any
// whose pid is alive); returns how many. A pid reused by an unrelated process keeps its file (conservative).
int remove_stale_temp_files(const std::string& path);

namespace detail {
// Test hook: called before each write with the bytes written so far and the size of the next write;
// a hook that throws simulates a failure midway through a save. Pass an empty function to clear it.
void set_write_fault_hook(std::function<void(uint64_t written, size_t next)> hook);
}  // namespace detail

}  // namespace strata::io
