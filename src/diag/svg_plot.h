#pragma once
// A small plotter that writes plain inline SVG for the training report (diag/report.cpp): line plots, bar
// charts, histograms and heatmaps, with axes, ticks, labels, optional log scales and a legend. No scripts, no
// external resources: the output renders anywhere an <svg> element does.
//
// Every plot is one <svg class="plot" data-points="N">, where N counts the data points (line vertices, bars,
// histogram bins, heatmap cells) it actually draws; every drawn data element carries class "d". Non-finite
// values (and non-positive ones on a log axis) are skipped and leave a gap in a line; a plot with nothing to
// draw shows a "no data" message and data-points="0".
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace strata::diag::svg {

struct Series {
  std::string name;       // legend text; empty keeps the series out of the legend
  std::vector<double> x;  // x[i] pairs with y[i]; extra elements of the longer one are ignored
  std::vector<double> y;
  std::string color{};  // CSS colour; empty: the categorical palette, by position
  bool dashed = false;
  bool markers_only = false;  // a scatter: one marker per point, no line
};

// A labelled dashed guide line at a data value (the suggested LR, a rule-of-thumb level).
struct Mark {
  double value = 0;
  std::string label;
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  // The y range always covers these when finite (e.g. fractions: 0 and 1); data outside widens it.
  double y_min = std::numeric_limits<double>::quiet_NaN();
  double y_max = std::numeric_limits<double>::quiet_NaN();
  int width = 460;
  int height = 280;
  // Long lines are reduced to about this many vertices, keeping each bucket's min and max so spikes stay.
  size_t max_points_per_line = 500;
  // Many-series plots share this budget (100 layers x 1000 steps stays a few hundred kB per plot).
  size_t max_points_per_plot = 15000;
  std::vector<Mark> x_marks;  // vertical guide lines
  std::vector<Mark> y_marks;  // horizontal guide lines
};

std::string line_plot(const std::vector<Series>& series, const PlotOptions& opt);

struct Bar {
  std::string label;
  double value = 0;
};
// One bar per category, in the given order; a value that cannot be drawn shows its text ("0", "nan").
std::string bar_plot(const std::vector<Bar>& bars, const PlotOptions& opt);

// Bins [edges[i], edges[i+1]) with counts[i]; edges has counts.size() + 1 elements.
std::string histogram_plot(const std::vector<double>& edges, const std::vector<double>& counts, const PlotOptions& opt);

struct HeatmapStyle {
  bool show_values = false;      // print each cell's value (small matrices)
  bool row_normalize = false;    // colour by the share of the row (confusion matrices)
  bool log_color = false;        // colour by log10 (positive values only; others use the lowest colour)
  int bands = 0;                 // > 0: quantise the colour scale into this many bands (contour-like)
  bool sequential_blue = false;  // white-to-blue scale instead of the viridis-like one
  std::string color_label;       // title of the colour bar; empty: no colour bar
};
// z[row][col]; row 0 is drawn at the top. Labels are thinned when there are too many to print.
std::string heatmap(const std::vector<std::string>& col_labels, const std::vector<std::string>& row_labels,
                    const std::vector<std::vector<double>>& z, const HeatmapStyle& style, const PlotOptions& opt);

// HTML/XML text escaping of & < > " '.
std::string escape(std::string_view s);
// Short number text for ticks and labels: 3 significant digits, "1e-5" style exponents.
std::string format_number(double v);
// Indices of [begin, end) to keep so that at most about `budget` points remain: the first and last, and the
// min and max of each bucket, in order. All of them when the range already fits.
std::vector<size_t> downsample_minmax(const std::vector<double>& y, size_t begin, size_t end, size_t budget);
// Categorical palette colour i (cycles).
std::string palette_color(size_t i);
// A colour along a dark-blue -> green -> yellow ramp for item i of n (layer depth: early layers dark).
std::string ramp_color(size_t i, size_t n);

}  // namespace strata::diag::svg
