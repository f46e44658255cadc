// CSVLogger and JSONLinesLogger: one line per epoch, each written with a single O_APPEND write so that a
// reader (or a crash) sees whole lines only.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include "monitor.h"
#include "strata/core/error.h"
#include "strata/io/json.h"
#include "strata/train/callbacks.h"

namespace strata::train {
namespace {

// Appends `text` to `path` with one write() on an O_APPEND descriptor.
void append_line(const std::string& path, const std::string& text, const char* who) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  STRATA_CHECK(fd >= 0, "[", who, "] cannot open ", path, ": ", std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      STRATA_FAIL("[", who, "] cannot write ", path, ": ", std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  STRATA_CHECK(::close(fd) == 0, "[", who, "] cannot close ", path, ": ", std::strerror(errno));
}

void truncate_file(const std::string& path, const char* who) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
  STRATA_CHECK(fd >= 0, "[", who, "] cannot open ", path, ": ", std::strerror(errno));
  ::close(fd);
}

std::string csv_field(const std::string& s, char sep) {
  if (s.find_first_of(std::string{sep, '"', '\n', '\r'}) == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Splits a header line (no quoting support needed for keys we wrote ourselves, but quoted keys are read).
std::vector<std::string> split_header(const std::string& line, char sep) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == sep && !quoted) {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

CSVLogger::CSVLogger(std::string path, bool append, char separator)
    : path_(std::move(path)), append_(append), sep_(separator) {
  STRATA_CHECK(!path_.empty(), "[CSVLogger] the path is empty");
  STRATA_CHECK(sep_ != '"' && sep_ != '\n' && sep_ != '\r', "[CSVLogger] bad separator");
}

void CSVLogger::on_train_begin(TrainState&) {
  keys_.clear();
  if (!append_) {
    truncate_file(path_, "CSVLogger");
    return;
  }
  // Appending to an existing log: keep its columns.
  std::ifstream in(path_);
  std::string header;
  if (in && std::getline(in, header) && !header.empty()) {
    std::vector<std::string> cols = split_header(header, sep_);
    STRATA_CHECK(!cols.empty() && cols[0] == "epoch", "[CSVLogger] ", path_,
                 ": cannot append, its first line is not a header starting with \"epoch\"");
    keys_.assign(cols.begin() + 1, cols.end());
  }
}

void CSVLogger::on_epoch_end(TrainState& state, Logs& epoch_logs) {
  std::string text;
  if (keys_.empty()) {
    for (const auto& [k, v] : epoch_logs) keys_.push_back(k);
    text += "epoch";
    for (const std::string& k : keys_) text += sep_ + csv_field(k, sep_);
    text += '\n';
  }
  text += std::to_string(state.epoch + 1);
  for (const std::string& k : keys_) {
    text += sep_;
    auto it = epoch_logs.find(k);
    if (it != epoch_logs.end()) text += internal::format_double(it->second);
  }
  text += '\n';
  append_line(path_, text, "CSVLogger");
}

JSONLinesLogger::JSONLinesLogger(std::string path, bool append) : path_(std::move(path)), append_(append) {
  STRATA_CHECK(!path_.empty(), "[JSONLinesLogger] the path is empty");
}

void JSONLinesLogger::on_train_begin(TrainState&) {
  if (!append_) truncate_file(path_, "JSONLinesLogger");
}

void JSONLinesLogger::on_epoch_end(TrainState& state, Logs& epoch_logs) {
  io::Json row = io::Json::object();
  row.set("epoch", io::Json(static_cast<int64_t>(state.epoch + 1)));
  for (const auto& [k, v] : epoch_logs) row.set(k, std::isfinite(v) ? io::Json(v) : io::Json(nullptr));
  append_line(path_, row.dump() + "\n", "JSONLinesLogger");
}

}  // namespace strata::train
