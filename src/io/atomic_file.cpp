// AtomicFile: temporary file + fsync + rename + directory fsync.
#include "strata/io/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
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

// The pid of a temporary-file suffix ("12345"), or 0 when it is not a positive decimal pid.
long parse_pid(const char* s) {
  if (*s == '\0') return 0;
  long pid = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return 0;
    pid = pid * 10 + (*s - '0');
    if (pid > INT_MAX) return 0;
  }
  return pid;
}

// kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means it exists (another user's).
bool process_exists(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH; }

}  // namespace

int remove_stale_temp_files(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  const std::string dir = parent_dir(path);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  const long self = static_cast<long>(::getpid());
  int removed = 0;
  while (const dirent* e = ::readdir(d)) {
    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) != 0) continue;
    const long pid = parse_pid(e->d_name + prefix.size());
    if (pid == 0 || pid == self || process_exists(pid)) continue;
    const std::string stale = (slash == std::string::npos ? std::string() : dir + "/") + e->d_name;
    if (::unlink(stale.c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

namespace detail {
void set_write_fault_hook(std::function<void(uint64_t written, size_t next)> hook) { fault_hook() = std::move(hook); }
}  // namespace detail

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  STRATA_CHECK(!path_.empty(), "[save] empty file path");
  remove_stale_temp_files(path_);  // left by writers that were killed mid-save
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
