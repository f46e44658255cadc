// The lab runner: LabRun (what a lab's body prints and puts on its page), finding a lab, running it.
#include "strata/labs/lab.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/core/threading.h"
#include "strata/diag/report.h"
#include "strata/io/atomic_file.h"

namespace strata::labs {

namespace {

using io::Json;

// JSON has no NaN or infinity: they are stored as null (the report draws a gap).
Json num(double v) { return std::isfinite(v) ? Json(v) : Json(); }

Json numbers(const std::vector<double>& v) {
  Json out = Json::array();
  for (double x : v) out.push_back(num(x));
  return out;
}

Json strings(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const std::string& s : v) out.push_back(s);
  return out;
}

std::string short_number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  std::ostringstream os;
  os << std::setprecision(4) << v;
  return os.str();
}

// Edit distance, for "did you mean" suggestions.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

void write_text(const std::string& path, const std::string& text) {
  io::AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

}  // namespace

LabRun::LabRun(const Lab& lab, const LabOptions& options, std::ostream& out)
    : lab_(lab), options_(options), out_(out), page_(Json::object()), values_(Json::object()) {
  Json info = Json::object();
  info["number"] = lab_.number;
  info["concept"] = lab_.idea;
  info["look_at"] = lab_.look_at;
  info["claims"] = Json::array();
  info["blocks"] = Json::array();
  page_["lab"] = std::move(info);
}

void LabRun::add_block(Json block) { page_["lab"]["blocks"].push_back(std::move(block)); }

void LabRun::heading(const std::string& text) {
  out_ << "\n" << text << "\n";
  add_block(Json::object({{"type", "heading"}, {"text", text}}));
}

void LabRun::note(const std::string& text) {
  out_ << text << "\n";
  add_block(Json::object({{"type", "text"}, {"text", text}}));
}

void LabRun::value(const std::string& name, double v, const std::string& unit) {
  std::string text = short_number(v) + (unit.empty() ? "" : " " + unit);
  out_ << "  " << name << ": " << text << "\n";
  values_[name] = num(v);
  add_block(Json::object({{"type", "value"}, {"name", name}, {"text", text}}));
}

void LabRun::table(const std::string& title, const std::vector<std::string>& columns,
                   const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) width[c] = columns[c].size();
  for (const auto& row : rows) {
    STRATA_CHECK(row.size() == columns.size(), "[lab ", lab_.name, "] table \"", title, "\": a row has ", row.size(),
                 " cells for ", columns.size(), " columns");
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    out_ << " ";
    for (size_t c = 0; c < cells.size(); ++c) {
      out_ << " " << (c == 0 ? std::left : std::right) << std::setw(static_cast<int>(width[c])) << cells[c];
    }
    out_ << std::right << "\n";
  };
  if (!title.empty()) out_ << title << "\n";
  print_row(columns);
  Json json_rows = Json::array();
  for (const auto& row : rows) {
    print_row(row);
    json_rows.push_back(strings(row));
  }
  add_block(Json::object({{"type", "table"}, {"title", title}, {"columns", strings(columns)}, {"rows", json_rows}}));
}

namespace {
Json plot_block(const char* type, const PlotSpec& spec) {
  return Json::object({{"type", type},
                       {"title", spec.title},
                       {"x_label", spec.x_label},
                       {"y_label", spec.y_label},
                       {"log_x", spec.log_x},
                       {"log_y", spec.log_y}});
}
}  // namespace

void LabRun::line_plot(const PlotSpec& spec, const std::vector<Series>& series) {
  Json block = plot_block("line", spec);
  Json list = Json::array();
  for (const Series& s : series) {
    Json j = Json::object({{"name", s.name}, {"y", numbers(s.y)}});
    if (!s.x.empty()) j["x"] = numbers(s.x);
    if (s.dashed) j["dashed"] = true;
    if (s.markers_only) j["markers_only"] = true;
    list.push_back(std::move(j));
  }
  block["series"] = std::move(list);
  add_block(std::move(block));
}

void LabRun::bar_plot(const PlotSpec& spec, const std::vector<std::string>& labels, const std::vector<double>& values) {
  STRATA_CHECK(labels.size() == values.size(), "[lab ", lab_.name, "] bar plot \"", spec.title, "\": ", labels.size(),
               " labels for ", values.size(), " values");
  Json block = plot_block("bar", spec);
  block["labels"] = strings(labels);
  block["values"] = numbers(values);
  add_block(std::move(block));
}

void LabRun::heatmap(const PlotSpec& spec, const std::vector<std::vector<double>>& z, bool values,
                     const std::vector<std::string>& col_labels, const std::vector<std::string>& row_labels) {
  Json block = plot_block("heatmap", spec);
  Json rows = Json::array();
  for (const auto& r : z) rows.push_back(numbers(r));
  block["z"] = std::move(rows);
  block["values"] = values;
  if (!col_labels.empty()) block["col_labels"] = strings(col_labels);
  if (!row_labels.empty()) block["row_labels"] = strings(row_labels);
  add_block(std::move(block));
}

bool LabRun::claim(const std::string& text, bool holds, const std::string& measured) {
  out_ << "  [" << (holds ? "holds" : "FAILS") << "] " << text << " (" << measured << ")\n";
  claims_.push_back({text, holds, measured});
  page_["lab"]["claims"].push_back(Json::object({{"text", text}, {"holds", holds}, {"measured", measured}}));
  return holds;
}

bool LabResult::all_hold() const {
  return std::all_of(claims.begin(), claims.end(), [](const Claim& c) { return c.holds; });
}

const Lab& find_lab(const std::string& key) {
  const std::vector<Lab>& labs = all_labs();
  for (const Lab& lab : labs) {
    if (lab.name == key || (lab.number != 0 && std::to_string(lab.number) == key)) return lab;
  }
  std::vector<std::pair<size_t, std::string>> near;
  for (const Lab& lab : labs) near.emplace_back(distance(key, lab.name), lab.name);
  std::sort(near.begin(), near.end());
  std::string hint;
  for (size_t i = 0; i < near.size() && i < 3; ++i) hint += (i ? ", " : "") + near[i].second;
  STRATA_FAIL("[lab] no lab \"", key, "\": give a number 151-200 or a name (closest: ", hint,
              "); `strata lab --list` lists them all");
}

LabResult run_lab(const Lab& lab, const LabOptions& options, std::ostream& out) {
  std::string label = lab.number ? std::to_string(lab.number) + ". " + lab.title : lab.title;
  out << "Lab " << label << (options.quick ? " (quick)" : "") << "\n\n" << lab.idea << "\n";
  if (!lab.look_at.empty()) out << "What to look at: " << lab.look_at << "\n";

  manual_seed(options.seed);
  LabRun run(lab, options, out);
  auto start = std::chrono::steady_clock::now();
  {
    // The thread setting is restored however the lab ends.
    struct Threads {
      int saved = get_num_threads();
      explicit Threads(int n) {
        if (n > 0) set_num_threads(n);
      }
      ~Threads() { set_num_threads(saved); }
    } threads(options.threads);
    lab.run(run);
  }
  LabResult result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.claims = run.claims();
  STRATA_CHECK(!result.claims.empty(), "[lab ", lab.name, "] made no claim: a lab must check what it shows");

  size_t held = std::count_if(result.claims.begin(), result.claims.end(), [](const Claim& c) { return c.holds; });
  char line[160];
  std::snprintf(line, sizeof(line), "\n%zu of %zu claims hold (%.1f s%s)\n", held, result.claims.size(), result.seconds,
                options.quick ? ", quick" : "");
  out << line;

  if (!options.out_dir.empty()) {
    std::filesystem::path dir = std::filesystem::path(options.out_dir) / lab.name;
    std::filesystem::create_directories(dir);
    Json& page = run.page();
    page["title"] = "Lab " + label;
    page["subtitle"] = std::string(options.quick ? "quick run, " : "") + "seed " + std::to_string(options.seed);
    page["lab"]["seconds"] = std::round(result.seconds * 10) / 10;
    diag::write_report(page, (dir / "lab.html").string());
    Json results = Json::object({{"lab", lab.name},
                                 {"number", lab.number},
                                 {"quick", options.quick},
                                 {"seed", static_cast<int64_t>(options.seed)},
                                 {"seconds", result.seconds},
                                 {"claims", page["lab"]["claims"]},
                                 {"values", run.values()}});
    write_text((dir / "results.json").string(), results.dump(2) + "\n");
    result.page_path = (dir / "lab.html").string();
    out << "Page: " << result.page_path << "\n";
  }
  return result;
}

}  // namespace strata::labs
