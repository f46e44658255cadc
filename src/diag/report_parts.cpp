// The report's shared pieces (report_parts.h).
#include "diag/report_parts.h"

#include <limits>

#include "strata/core/error.h"

namespace strata::diag::report_parts {

using io::Json;
using svg::escape;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

// A list of numbers; null (how non-finite values are stored) becomes NaN.
std::vector<double> numbers(const Json& v) {
  STRATA_CHECK(v.is_array(), "[report] ", v.where(), ": expected a list of numbers, got ", v.type_name());
  std::vector<double> out;
  out.reserve(v.size());
  for (const Json& e : v.elements()) {
    if (e.is_number()) {
      out.push_back(e.as_double());
    } else {
      STRATA_CHECK(e.is_null(), "[report] ", e.where(), ": expected a number or null, got ", e.type_name());
      out.push_back(kNaN);
    }
  }
  return out;
}

std::vector<double> numbers_or_empty(const Json* v) { return v ? numbers(*v) : std::vector<double>{}; }

std::string text_of(const Json& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_number()) return svg::format_number(v.as_double());
  if (v.is_null()) return "";
  return v.dump();
}

std::string text_or(const Json& obj, const std::string& key) {
  const Json* v = obj.find(key);
  return v ? text_of(*v) : "";
}

std::vector<double> iota_like(size_t n) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i);
  return x;
}

std::string section(const std::string& id, const std::string& title, const std::string& explain,
                    const std::string& content) {
  return "<section id=\"" + id + "\"><h2>" + escape(title) + "</h2><p class=\"explain\">" + escape(explain) + "</p>" +
         content + "</section>\n";
}

svg::PlotOptions plot_opts(const std::string& title, const std::string& x_label, const std::string& y_label,
                           bool log_y) {
  svg::PlotOptions o;
  o.title = title;
  o.x_label = x_label;
  o.y_label = y_label;
  o.log_y = log_y;
  o.width = 560;
  o.height = 300;
  return o;
}

std::string grid(const std::string& plots) { return "<div class=\"grid\">" + plots + "</div>"; }

}  // namespace strata::diag::report_parts
