// AtomicFile: temporary file + fsync + rename + directory fsync.
#include "strata/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "strata/core/error.h"

namespace strata::io {

namespace {

std::function<void(uint64_t, size_t)>& fault_hook() {
  static std::function<void(uint64_t, size_t)> hook;
  return hook;
}

std::string errno_text() { return std::strerror(errno); }

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

namespace detail {
void set_write_fault_hook(std::function<void(uint64_t written, size_t next)> hook) { fault_hook() = std::move(hook); }
}  // namespace detail

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  STRATA_CHECK(!path_.empty(), "[save] empty file path");
  tmp_ = path_ + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  STRATA_CHECK(fd_ >= 0, path_, ": cannot create the temporary file ", tmp_, ": ", errno_text());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  STRATA_CHECK(fd_ >= 0 && !committed_, path_, ": write after commit");
  if (fault_hook()) fault_hook()(written_, n);
  const char* p = static_cast<const char*>(data);
  size_t left = n;
  while (left > 0) {
    const ssize_t w = ::write(fd_, p, left);
    if (w < 0 && errno == EINTR) continue;
    STRATA_CHECK(w > 0, path_, ": write failed after ", written_, " bytes: ", errno_text());
    p += w;
    left -= static_cast<size_t>(w);
    written_ += static_cast<uint64_t>(w);
  }
}

void AtomicFile::commit() {
  STRATA_CHECK(fd_ >= 0 && !committed_, path_, ": commit called twice");
  STRATA_CHECK(::fsync(fd_) == 0, path_, ": fsync failed: ", errno_text());
  const int rc = ::close(fd_);
  fd_ = -1;
  STRATA_CHECK(rc == 0, path_, ": close failed: ", errno_text());
  STRATA_CHECK(::rename(tmp_.c_str(), path_.c_str()) == 0, path_, ": cannot rename ", tmp_, " over it: ", errno_text());
  committed_ = true;
  // Make the rename itself durable.
  const int dfd = ::open(parent_dir(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace strata::io
