#include "strata/data/csv.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "data/file_bytes.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"

namespace strata::data {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string_view> split(std::string_view line, char delim) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t pos = line.find(delim, start);
    if (pos == std::string_view::npos) {
      out.push_back(trim(line.substr(start)));
      return out;
    }
    out.push_back(trim(line.substr(start, pos - start)));
    start = pos + 1;
  }
}

bool blank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

bool parse_number(std::string_view s, double& v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string describe_column(const std::vector<std::string>& names, size_t c) {
  return "column " + std::to_string(c + 1) + " ('" + names[c] + "')";
}

}  // namespace

CsvData read_csv(const std::string& path, const CsvOptions& options) {
  STRATA_CHECK(options.label_dtype == kInt64 || options.label_dtype == kFloat32 || options.label_dtype == kFloat64,
               "[read_csv] label_dtype must be int64, float32 or float64, got ", options.label_dtype);
  STRATA_CHECK(options.delimiter != '"' && options.delimiter != '\n' && options.delimiter != '\r',
               "[read_csv] invalid delimiter");
  const detail::FileBytes f = detail::read_file_bytes(path, "read_csv");
  const std::string_view text(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size());
  const std::string where = "[read_csv] '" + path + "'";

  std::vector<std::string> names;
  size_t ncols = 0;
  int64_t first_line = 0;  // the line that fixed the column count
  int64_t label = -1;      // label column index
  std::vector<float> features;
  std::vector<double> labels;
  int64_t rows = 0;

  auto resolve_label = [&] {
    if (!options.has_label) return;
    if (!options.label_column.empty()) {
      STRATA_CHECK(options.header, where, ": label column '", options.label_column,
                   "' is given by name, but the file has no header (header = false); give label_index instead");
      for (size_t c = 0; c < names.size(); ++c)
        if (names[c] == options.label_column) label = static_cast<int64_t>(c);
      if (label < 0) {
        std::string all;
        for (size_t c = 0; c < names.size(); ++c) all += (c ? ", '" : "'") + names[c] + "'";
        STRATA_FAIL(where, ": label column '", options.label_column, "' not found in the header on line ", first_line,
                    "; the columns are ", all);
      }
    } else {
      const int64_t n = static_cast<int64_t>(ncols);
      label = options.label_index < 0 ? options.label_index + n : options.label_index;
      STRATA_CHECK(label >= 0 && label < n, where, ": label column index ", options.label_index,
                   " is out of range for ", n, " columns (line ", first_line, ")");
    }
    STRATA_CHECK(ncols >= 2 || !options.has_label, where, ": only one column (line ", first_line,
                 "), so nothing is left for features beside the label");
  };

  int64_t line_no = 0;
  size_t pos = 0;
  std::vector<double> row;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (blank(line)) continue;
    const std::vector<std::string_view> fields = split(line, options.delimiter);
    if (ncols == 0) {
      ncols = fields.size();
      first_line = line_no;
      if (options.header) {
        for (std::string_view s : fields) names.emplace_back(s);
        resolve_label();
        continue;
      }
      for (size_t c = 0; c < ncols; ++c) names.push_back(std::to_string(c));
      resolve_label();
    }
    STRATA_CHECK(fields.size() == ncols, where, ": line ", line_no, " has ", fields.size(), " fields, expected ", ncols,
                 " (as on line ", first_line, (options.header ? ", the header)" : ")"));
    row.resize(ncols);
    for (size_t c = 0; c < ncols; ++c) {
      STRATA_CHECK(parse_number(fields[c], row[c]), where, ": line ", line_no, ", ", describe_column(names, c),
                   ": bad number '", fields[c], "'");
      // NaN and inf would only surface later, as a NaN loss or an unwritable JSON number; features (and float32
      // labels) beyond float32's range would become inf.
      const bool as_float = static_cast<int64_t>(c) != label || options.label_dtype == kFloat32;
      STRATA_CHECK(std::isfinite(row[c]), "[read_csv] ", path, ":", line_no, ":", c + 1, ": ",
                   describe_column(names, c), ": '", fields[c], "' is not a finite number");
      STRATA_CHECK(!as_float || std::abs(row[c]) <= std::numeric_limits<float>::max(), "[read_csv] ", path, ":",
                   line_no, ":", c + 1, ": ", describe_column(names, c), ": ", fields[c],
                   " is out of float32's range (|x| <= 3.4e38)");
    }
    for (size_t c = 0; c < ncols; ++c) {
      if (static_cast<int64_t>(c) == label) {
        const double v = row[c];
        if (options.label_dtype == kInt64) {
          STRATA_CHECK(std::isfinite(v) && std::floor(v) == v && std::abs(v) < 9.0e18, where, ": line ", line_no, ", ",
                       describe_column(names, c), ": label ", fields[c],
                       " is not a whole number (int64 labels are for classification; use label_dtype float32 for "
                       "regression)");
        }
        labels.push_back(v);
      } else {
        features.push_back(static_cast<float>(row[c]));
      }
    }
    ++rows;
  }
  STRATA_CHECK(ncols > 0, where, ": the file has no rows");

  CsvData out;
  const int64_t nfeat = static_cast<int64_t>(ncols) - (label >= 0 ? 1 : 0);
  for (size_t c = 0; c < ncols; ++c) {
    if (static_cast<int64_t>(c) == label) out.label_name = names[c];
    else out.feature_names.push_back(names[c]);
  }
  out.features = from_vector(features, {rows, nfeat});
  if (label >= 0) {
    if (options.label_dtype == kInt64) {
      std::vector<int64_t> l(labels.size());
      for (size_t i = 0; i < labels.size(); ++i) l[i] = static_cast<int64_t>(labels[i]);
      out.labels = from_vector(l, {rows});
    } else {
      out.labels = from_vector(labels, {rows}).to(options.label_dtype);
    }
  }
  return out;
}

}  // namespace strata::data
