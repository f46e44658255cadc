#pragma once
// Concept labs: one small experiment per idea of the study notes (concepts 151-200 and the worked examples),
// each run by `strata lab <number | name>` in under a minute on 2 cores. A lab trains or measures something
// real with the library, prints the numbers that make its point, checks its claims against them, and writes a
// small HTML page with its plots (the training report's renderer, diag/report.h).
//
//   const labs::Lab& lab = labs::find_lab("vanishing_gradient");   // or "163"
//   labs::LabResult r = labs::run_lab(lab, {.quick = true}, std::cout);
//   r.all_hold();                                                  // every claim held
//
// Adding a lab touches two places: its own file src/labs/<name>.cpp, which defines `labs::Lab lab_<name>()`,
// and one line in src/labs/registry.cpp. The lab's body gets a LabRun: the options, the output, and the page.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "strata/io/json.h"

namespace strata::labs {

struct LabOptions {
  // A reduced size (a few seconds) for the test suite; the claims must still hold.
  bool quick = false;
  // The page and the numbers go to <out_dir>/<name>/lab.html and results.json; empty writes nothing.
  std::string out_dir = "runs/labs";
  // Seed of every random draw in the lab (weights, data, shuffling).
  uint64_t seed = 0;
  // OpenMP threads while the lab runs (restored afterwards); 0 keeps the current setting. One by default: the
  // labs' models are small, 2 threads measured no faster on 2 cores, and a second OpenMP team on a busy machine
  // stalls (spin-waiting threads, 10-50x slower).
  int threads = 1;
};

// A statement the lab's measurements must bear out, with the numbers that decided it.
struct Claim {
  std::string text;  // "the LSTM solves the lag-50 adding problem (MSE < 0.05)"
  bool holds = false;
  std::string measured;  // "LSTM MSE 0.004, RNN MSE 0.167"
};

// A plotted line: y against x (x empty: 0, 1, 2, ...).
struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  bool dashed = false;
  bool markers_only = false;
};

struct PlotSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
};

struct Lab;

// What a lab's body works with: the options, the terminal, and the page under construction. Everything
// printed through note/table/value also goes on the page, in the same order.
class LabRun {
 public:
  LabRun(const Lab& lab, const LabOptions& options, std::ostream& out);

  bool quick() const { return options_.quick; }
  uint64_t seed() const { return options_.seed; }
  // `full` normally, `quick_value` under --quick.
  template <class T>
  T pick(T full, T quick_value) const {
    return options_.quick ? quick_value : full;
  }
  std::ostream& out() { return out_; }

  // A heading and a paragraph (printed, and on the page).
  void heading(const std::string& text);
  void note(const std::string& text);
  // A measured number: printed as "  name: 0.123 unit", on the page, and in results.json "values".
  void value(const std::string& name, double v, const std::string& unit = "");
  // A table (printed aligned, and on the page); every row has columns.size() cells.
  void table(const std::string& title, const std::vector<std::string>& columns,
             const std::vector<std::vector<std::string>>& rows);
  // Plots (page only).
  void line_plot(const PlotSpec& spec, const std::vector<Series>& series);
  void bar_plot(const PlotSpec& spec, const std::vector<std::string>& labels, const std::vector<double>& values);
  // z[row][col], row 0 at the top; `values` prints each cell (small matrices, images up to ~16x16).
  void heatmap(const PlotSpec& spec, const std::vector<std::vector<double>>& z, bool values = false,
               const std::vector<std::string>& col_labels = {}, const std::vector<std::string>& row_labels = {});
  // Records a claim; prints "  [holds] text (measured)" or "  [FAILS] ...". Returns `holds`.
  bool claim(const std::string& text, bool holds, const std::string& measured);

  // The report data of the page (diag/report.h): a lab may add standard sections ("layers", "landscape",
  // "findings", "tradeoff", "images") next to its own blocks.
  io::Json& page() { return page_; }
  // results.json's "values" object, for numbers that need no printed line.
  io::Json& values() { return values_; }
  const std::vector<Claim>& claims() const { return claims_; }

 private:
  void add_block(io::Json block);

  const Lab& lab_;
  LabOptions options_;
  std::ostream& out_;
  io::Json page_;
  io::Json values_;
  std::vector<Claim> claims_;
};

struct Lab {
  int number = 0;       // 151..200: the concept's number in the notes; 0: a worked example
  std::string name;     // "vanishing_gradient": the command-line name and src/labs/<name>.cpp
  std::string title;    // "Vanishing gradient"
  std::string idea;     // what the idea is, in our words (a few sentences)
  std::string look_at;  // what to look at in the output
  std::function<void(LabRun&)> run;
};

struct LabResult {
  std::vector<Claim> claims;
  double seconds = 0;
  std::string page_path;  // empty when out_dir was empty
  bool all_hold() const;
};

// Every lab, numbered ones first in number order, then the worked examples by name.
const std::vector<Lab>& all_labs();
// By number ("163") or name ("vanishing_gradient"); a strata::Error naming the closest names otherwise.
const Lab& find_lab(const std::string& number_or_name);
// Runs the lab: prints its header, runs the body, prints the claims and writes the page and results.json
// (atomically). An error inside the lab propagates.
LabResult run_lab(const Lab& lab, const LabOptions& options, std::ostream& out);

}  // namespace strata::labs
