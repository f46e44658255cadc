// The concept lab's sections of the report (the "lab" key; see report.h and labs/lab.h).
#include <algorithm>
#include <string>
#include <vector>

#include "diag/report_parts.h"
#include "diag/svg_plot.h"
#include "strata/core/error.h"

namespace strata::diag::report_parts {

namespace {

using io::Json;
using svg::escape;

const Json& list_at(const Json& obj, const std::string& key) {
  static const Json kEmpty = Json::array();
  const Json* v = obj.find(key);
  if (!v) return kEmpty;
  STRATA_CHECK(v->is_array(), "[report] ", v->where(), ": expected a list, got ", v->type_name());
  return *v;
}

bool flag(const Json& obj, const std::string& key) {
  const Json* v = obj.find(key);
  return v && v->is_bool() && v->as_bool();
}

std::vector<std::string> texts(const Json& list) {
  std::vector<std::string> out;
  for (const Json& e : list.elements()) out.push_back(text_of(e));
  return out;
}

svg::PlotOptions block_opts(const Json& b) {
  svg::PlotOptions o = plot_opts(text_or(b, "title"), text_or(b, "x_label"), text_or(b, "y_label"), flag(b, "log_y"));
  o.log_x = flag(b, "log_x");
  o.width = 520;
  o.height = 290;
  return o;
}

std::string line_block(const Json& b) {
  std::vector<svg::Series> series;
  for (const Json& s : list_at(b, "series").elements()) {
    STRATA_CHECK(s.is_object(), "[report] ", s.where(), ": expected a series object, got ", s.type_name());
    svg::Series out;
    out.name = text_or(s, "name");
    out.y = numbers_or_empty(s.find("y"));
    out.x = numbers_or_empty(s.find("x"));
    if (out.x.empty()) out.x = iota_like(out.y.size());
    out.dashed = flag(s, "dashed");
    out.markers_only = flag(s, "markers_only");
    series.push_back(std::move(out));
  }
  return svg::line_plot(series, block_opts(b));
}

std::string bar_block(const Json& b) {
  std::vector<std::string> labels = texts(list_at(b, "labels"));
  std::vector<double> values = numbers_or_empty(b.find("values"));
  STRATA_CHECK(labels.size() == values.size(), "[report] ", b.where(), ": ", labels.size(), " labels for ",
               values.size(), " values");
  std::vector<svg::Bar> bars;
  for (size_t i = 0; i < labels.size(); ++i) bars.push_back({labels[i], values[i]});
  return svg::bar_plot(bars, block_opts(b));
}

std::string heatmap_block(const Json& b) {
  std::vector<std::vector<double>> z;
  for (const Json& row : list_at(b, "z").elements()) z.push_back(numbers(row));
  size_t cols = z.empty() ? 0 : z[0].size();
  std::vector<std::string> col_labels = texts(list_at(b, "col_labels"));
  std::vector<std::string> row_labels = texts(list_at(b, "row_labels"));
  for (size_t i = col_labels.size(); i < cols; ++i) col_labels.push_back(std::to_string(i));
  for (size_t i = row_labels.size(); i < z.size(); ++i) row_labels.push_back(std::to_string(i));
  svg::HeatmapStyle style;
  style.show_values = flag(b, "values");
  svg::PlotOptions o = block_opts(b);
  o.width = static_cast<int>(std::min<size_t>(560, 140 + 26 * cols));
  o.height = static_cast<int>(std::min<size_t>(520, 90 + 26 * z.size()));
  return svg::heatmap(col_labels, row_labels, z, style, o);
}

std::string table_block(const Json& b) {
  std::string html = "<table class=\"lab\">";
  std::string title = text_or(b, "title");
  if (!title.empty()) html += "<caption>" + escape(title) + "</caption>";
  html += "<tr>";
  for (const std::string& c : texts(list_at(b, "columns"))) html += "<th>" + escape(c) + "</th>";
  html += "</tr>";
  for (const Json& row : list_at(b, "rows").elements()) {
    STRATA_CHECK(row.is_array(), "[report] ", row.where(), ": expected a table row, got ", row.type_name());
    html += "<tr>";
    for (const std::string& c : texts(row)) html += "<td>" + escape(c) + "</td>";
    html += "</tr>";
  }
  return html + "</table>\n";
}

std::string claims_html(const Json& lab) {
  std::string html;
  for (const Json& c : list_at(lab, "claims").elements()) {
    STRATA_CHECK(c.is_object(), "[report] ", c.where(), ": expected a claim object, got ", c.type_name());
    bool holds = flag(c, "holds");
    html += std::string("<div class=\"finding ") + (holds ? "healthy" : "error") + "\"><div class=\"fhead\">" +
            "<span class=\"badge\">" + (holds ? "holds" : "fails") + "</span> " + escape(text_or(c, "text")) +
            "</div><div class=\"note\">measured: " + escape(text_or(c, "measured")) + "</div></div>\n";
  }
  return html;
}

}  // namespace

std::string lab_sections(const Json& data) {
  const Json* lab = data.find("lab");
  if (!lab) return "";
  STRATA_CHECK(lab->is_object(), "[report] ", lab->where(), ": expected an object, got ", lab->type_name());
  std::string about = "<p>" + escape(text_or(*lab, "concept")) + "</p>";
  std::string look_at = text_or(*lab, "look_at");
  if (!look_at.empty()) about += "<p><b>What to look at.</b> " + escape(look_at) + "</p>";
  std::string html = section("concept", "The idea", "", about);
  html += section("claims", "Claims", "What the measurements below must show; the test suite checks each one.",
                  claims_html(*lab));

  // Blocks in the order the lab made them; consecutive plots share a grid row.
  std::string body, plots;
  auto flush = [&] {
    if (!plots.empty()) body += grid(plots);
    plots.clear();
  };
  for (const Json& b : list_at(*lab, "blocks").elements()) {
    STRATA_CHECK(b.is_object(), "[report] ", b.where(), ": expected a block object, got ", b.type_name());
    std::string type = text_or(b, "type");
    if (type == "line") {
      plots += line_block(b);
    } else if (type == "bar") {
      plots += bar_block(b);
    } else if (type == "heatmap") {
      plots += heatmap_block(b);
    } else {
      flush();
      if (type == "heading") {
        body += "<h3>" + escape(text_or(b, "text")) + "</h3>\n";
      } else if (type == "text") {
        body += "<p>" + escape(text_or(b, "text")) + "</p>\n";
      } else if (type == "value") {
        body += "<p class=\"note\">" + escape(text_or(b, "name")) + ": <b>" + escape(text_or(b, "text")) + "</b></p>\n";
      } else if (type == "table") {
        body += table_block(b);
      } else {
        STRATA_FAIL("[report] ", b.where(), ": unknown block type \"", type,
                    "\" (expected heading, text, value, table, line, bar or heatmap)");
      }
    }
  }
  flush();
  std::string seconds = text_or(*lab, "seconds");
  return html + section("experiment", "The experiment",
                        seconds.empty() ? "" : "Measured in this run (" + seconds + " s).", body);
}

}  // namespace strata::diag::report_parts
