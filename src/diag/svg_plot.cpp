// Plain-SVG plots for the training report: frames with ticks, lines with gaps and min/max downsampling, bars,
// histograms and heatmaps. Coordinates are printed with one decimal: plenty at report sizes, and compact.
#include "diag/svg_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace strata::diag::svg {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

// A value axis: lo/hi are in transformed (log10 when log) units.
struct Axis {
  bool log = false;
  double lo = 0, hi = 1;
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
  double t(double v) const { return log ? std::log10(v) : v; }
  double frac(double v) const { return (t(v) - lo) / (hi - lo); }
};

// Axis over the valid values; `pad` widens a linear axis by that share of its span on each side.
Axis make_axis(const std::vector<double>& values, bool log, double pad, double must_lo = kNaN, double must_hi = kNaN) {
  Axis a;
  a.log = log;
  double lo = INFINITY, hi = -INFINITY;
  auto take = [&](double v) {
    if (!a.valid(v)) return;
    lo = std::min(lo, a.t(v));
    hi = std::max(hi, a.t(v));
  };
  for (double v : values) take(v);
  take(must_lo);
  take(must_hi);
  if (!(lo <= hi)) {  // nothing valid
    lo = 0;
    hi = 1;
  } else if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {
    double d = log ? 0.5 : (lo == 0 ? 1.0 : std::fabs(lo) * 0.1);
    lo -= d;
    hi += d;
  } else if (pad > 0) {  // on a log axis the pad is a share of the decades shown
    double d = (hi - lo) * pad;
    // Keep a fixed bound exactly (fractions stay within [0, 1]).
    if (!(std::isfinite(must_lo) && a.t(must_lo) == lo)) lo -= d;
    if (!(std::isfinite(must_hi) && a.t(must_hi) == hi)) hi += d;
  }
  a.lo = lo;
  a.hi = hi;
  return a;
}

// "Nice" ticks (1, 2, 5 x 10^k) covering [lo, hi] with about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> out;
  double span = hi - lo;
  if (!(span > 0) || !std::isfinite(span)) return out;
  double raw = span / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  double first = std::ceil(lo / step - 1e-9) * step;
  for (double v = first; v <= hi + step * 1e-9 && out.size() < 50; v += step) {
    out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  return out;
}

// Tick values (untransformed) for an axis.
std::vector<double> axis_ticks(const Axis& a, int target) {
  if (!a.log) return nice_ticks(a.lo, a.hi, target);
  int d0 = static_cast<int>(std::ceil(a.lo - 1e-9)), d1 = static_cast<int>(std::floor(a.hi + 1e-9));
  if (d1 - d0 + 1 >= 2) {
    // Every 1, 2, 5, 10, 20, ... decades, on multiples of the stride (1e-10, 1e-5, 1).
    int raw = std::max(1, (d1 - d0 + target) / (target + 1)), stride = 1;
    for (int m = 1; stride < raw; m *= 10) {
      for (int k : {1, 2, 5, 10}) {
        stride = k * m;
        if (stride >= raw) break;
      }
    }
    std::vector<double> out;
    int first = static_cast<int>(std::ceil(static_cast<double>(d0) / stride)) * stride;
    for (int d = first; d <= d1; d += stride) out.push_back(std::pow(10.0, d));
    if (out.empty()) out.push_back(std::pow(10.0, d0));
    return out;
  }
  // Less than two decades in view: 1-2-5 (or 1..9) multiples of each power of ten.
  std::vector<double> out;
  for (const std::vector<int>& mults : {std::vector<int>{1, 2, 5}, std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    out.clear();
    for (int d = static_cast<int>(std::floor(a.lo)); d <= static_cast<int>(std::ceil(a.hi)); ++d) {
      for (int m : mults) {
        double v = m * std::pow(10.0, d), t = std::log10(v);
        if (t >= a.lo - 1e-9 && t <= a.hi + 1e-9) out.push_back(v);
      }
    }
    if (out.size() >= 3) break;
  }
  if (out.size() < 2) {  // a narrow range: plain nice ticks in value space
    out.clear();
    for (double v : nice_ticks(std::pow(10.0, a.lo), std::pow(10.0, a.hi), target)) {
      if (v > 0) out.push_back(v);
    }
  }
  if (out.size() > 8) {  // keep every other one
    std::vector<double> thin;
    for (size_t i = 0; i < out.size(); i += 2) thin.push_back(out[i]);
    out = thin;
  }
  return out;
}

// The drawing area of a plot and the text around it.
struct Frame {
  int width = 0, height = 0;
  double left = 58, top = 28, right = 14, bottom = 44;
  double x0() const { return left; }
  double x1() const { return width - right; }
  double y0() const { return height - bottom; }  // bottom edge (y axis origin)
  double y1() const { return top; }
  double px(const Axis& a, double v) const { return x0() + a.frac(v) * (x1() - x0()); }
  double py(const Axis& a, double v) const { return y0() - a.frac(v) * (y0() - y1()); }
};

std::string open_svg(const PlotOptions& opt, size_t points, const std::string& extra_class = "") {
  std::string s = "<svg class=\"plot" + extra_class + "\" data-points=\"" + std::to_string(points) +
                  R"(" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" + std::to_string(opt.width) + " " +
                  std::to_string(opt.height) + "\" width=\"" + std::to_string(opt.width) + "\" height=\"" +
                  std::to_string(opt.height) + R"(" role="img">)";
  if (!opt.title.empty()) s += "<title>" + escape(opt.title) + "</title>";
  return s;
}

std::string text(double x, double y, const std::string& s, const char* anchor = "middle", const char* cls = nullptr,
                 const std::string& transform = "") {
  std::string out = "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" text-anchor=\"" + anchor + "\"";
  if (cls) out += std::string(" class=\"") + cls + "\"";
  if (!transform.empty()) out += " transform=\"" + transform + "\"";
  return out + ">" + escape(s) + "</text>";
}

// Title and axis labels.
std::string labels(const Frame& f, const PlotOptions& opt) {
  std::string s;
  if (!opt.title.empty()) s += text(f.x0(), 17, opt.title, "start", "title");
  if (!opt.x_label.empty()) s += text((f.x0() + f.x1()) / 2, f.height - 6, opt.x_label, "middle", "label");
  if (!opt.y_label.empty()) {
    double cy = (f.y0() + f.y1()) / 2;
    s += text(13, cy, opt.y_label, "middle", "label", "rotate(-90 13 " + fmt(cy) + ")");
  }
  return s;
}

// Grid, ticks and their labels for a value x axis (when x != nullptr) and a value y axis.
std::string axes(const Frame& f, const Axis* x, const Axis& y) {
  std::string s;
  if (x) {
    for (double v : axis_ticks(*x, 6)) {
      double p = f.px(*x, v);
      if (p < f.x0() - 0.5 || p > f.x1() + 0.5) continue;
      s += R"(<line class="gl" x1=")" + fmt(p) + "\" x2=\"" + fmt(p) + "\" y1=\"" + fmt(f.y1()) + "\" y2=\"" +
           fmt(f.y0()) + "\"/>";
      s += text(p, f.y0() + 14, format_number(v));
    }
  }
  for (double v : axis_ticks(y, 5)) {
    double p = f.py(y, v);
    if (p > f.y0() + 0.5 || p < f.y1() - 0.5) continue;
    s += R"(<line class="gl" x1=")" + fmt(f.x0()) + "\" x2=\"" + fmt(f.x1()) + "\" y1=\"" + fmt(p) + "\" y2=\"" +
         fmt(p) + "\"/>";
    s += text(f.x0() - 5, p + 4, format_number(v), "end");
  }
  s += R"(<rect class="frame" x=")" + fmt(f.x0()) + "\" y=\"" + fmt(f.y1()) + "\" width=\"" + fmt(f.x1() - f.x0()) +
       "\" height=\"" + fmt(f.y0() - f.y1()) + "\"/>";
  return s;
}

std::string no_data(const Frame& f) {
  return text((f.x0() + f.x1()) / 2, (f.y0() + f.y1()) / 2, "no data", "middle", "nodata");
}

std::string finish(const PlotOptions& opt, size_t points, const std::string& body) {
  return open_svg(opt, points) + body + "</svg>";
}

// Guide lines for x_marks / y_marks that fall inside the axes.
std::string marks(const Frame& f, const Axis* x, const Axis& y, const PlotOptions& opt) {
  std::string s;
  if (x) {
    for (const Mark& m : opt.x_marks) {
      if (!x->valid(m.value)) continue;
      double p = f.px(*x, m.value);
      if (p < f.x0() || p > f.x1()) continue;
      s += R"(<line class="mark" x1=")" + fmt(p) + "\" x2=\"" + fmt(p) + "\" y1=\"" + fmt(f.y1()) + "\" y2=\"" +
           fmt(f.y0()) + "\"/>";
      bool right_half = p > (f.x0() + f.x1()) / 2;
      s += text(right_half ? p - 4 : p + 4, f.y1() + 12, m.label, right_half ? "end" : "start", "marktext");
    }
  }
  for (const Mark& m : opt.y_marks) {
    if (!y.valid(m.value)) continue;
    double p = f.py(y, m.value);
    if (p > f.y0() || p < f.y1()) continue;
    s += R"(<line class="mark" x1=")" + fmt(f.x0()) + "\" x2=\"" + fmt(f.x1()) + "\" y1=\"" + fmt(p) + "\" y2=\"" +
         fmt(p) + "\"/>";
    s += text(f.x1() - 4, p - 4, m.label, "end", "marktext");
  }
  return s;
}

struct Rgb {
  double r, g, b;
};

std::string hex(Rgb c) {
  auto cl = [](double v) { return static_cast<int>(std::lround(std::clamp(v, 0.0, 255.0))); };
  char buf[8];
  std::snprintf(buf, sizeof(buf), "#%02x%02x%02x", cl(c.r), cl(c.g), cl(c.b));
  return buf;
}

// Piecewise-linear viridis-like ramp, t in [0, 1].
Rgb viridis(double t) {
  static constexpr std::array<Rgb, 6> kStops = {
      {{68, 1, 84}, {65, 68, 135}, {42, 120, 142}, {34, 168, 132}, {122, 209, 81}, {253, 231, 37}}};
  t = std::clamp(t, 0.0, 1.0) * (kStops.size() - 1);
  size_t i = std::min(static_cast<size_t>(t), kStops.size() - 2);
  double u = t - i;
  const Rgb &a = kStops[i], &b = kStops[i + 1];
  return {a.r + (b.r - a.r) * u, a.g + (b.g - a.g) * u, a.b + (b.b - a.b) * u};
}

Rgb blues(double t) {
  t = std::clamp(t, 0.0, 1.0);
  return {247 + (8 - 247) * t, 251 + (69 - 251) * t, 255 + (148 - 255) * t};
}

}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  // Whole numbers below a million print in full (confusion-matrix counts, tick values such as 1000).
  if (v == std::floor(v) && std::fabs(v) < 1e6) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  std::string s = buf;
  // 1e-05 -> 1e-5, 1e+06 -> 1e6
  size_t e = s.find('e');
  if (e != std::string::npos) {
    std::string mant = s.substr(0, e), exp = s.substr(e + 1);
    bool neg = !exp.empty() && exp[0] == '-';
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp = exp.substr(1);
    while (exp.size() > 1 && exp[0] == '0') exp = exp.substr(1);
    s = mant + "e" + (neg ? "-" : "") + exp;
  }
  return s;
}

std::vector<size_t> downsample_minmax(const std::vector<double>& y, size_t begin, size_t end, size_t budget) {
  std::vector<size_t> out;
  if (end <= begin) return out;
  size_t n = end - begin;
  budget = std::max<size_t>(budget, 4);
  if (n <= budget) {
    for (size_t i = begin; i < end; ++i) out.push_back(i);
    return out;
  }
  size_t buckets = (budget - 2) / 2;
  out.push_back(begin);
  for (size_t b = 0; b < buckets; ++b) {
    size_t lo = begin + 1 + (n - 2) * b / buckets, hi = begin + 1 + (n - 2) * (b + 1) / buckets;
    if (lo >= hi) continue;
    size_t imin = lo, imax = lo;
    for (size_t i = lo; i < hi; ++i) {
      if (y[i] < y[imin]) imin = i;
      if (y[i] > y[imax]) imax = i;
    }
    out.push_back(std::min(imin, imax));
    if (imin != imax) out.push_back(std::max(imin, imax));
  }
  out.push_back(end - 1);
  return out;
}

std::string palette_color(size_t i) {
  static constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                             "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[i % 10];
}

std::string ramp_color(size_t i, size_t n) {
  // Stop short of the pale yellow end so the last layer stays visible on white.
  double t = n <= 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(n - 1);
  return hex(viridis(0.88 * t));
}

std::string line_plot(const std::vector<Series>& series, const PlotOptions& opt) {
  Frame f{opt.width, opt.height};
  bool legend = std::any_of(series.begin(), series.end(), [](const Series& s) { return !s.name.empty(); });
  if (legend) f.right = 150;

  // Valid points per series, split into runs at gaps.
  std::vector<double> xs, ys;
  Axis vx{opt.log_x}, vy{opt.log_y};
  for (const Series& s : series) {
    size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i) {
      if (vx.valid(s.x[i]) && vy.valid(s.y[i])) {
        xs.push_back(s.x[i]);
        ys.push_back(s.y[i]);
      }
    }
  }
  Axis ax = make_axis(xs, opt.log_x, 0.0);
  Axis ay = make_axis(ys, opt.log_y, 0.05, opt.y_min, opt.y_max);

  std::string body = axes(f, &ax, ay);
  size_t drawn = 0;
  size_t per_line = opt.max_points_per_line;
  if (!series.empty()) per_line = std::min(per_line, std::max<size_t>(50, opt.max_points_per_plot / series.size()));

  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    std::string color = s.color.empty() ? palette_color(k) : s.color;
    size_t n = std::min(s.x.size(), s.y.size());
    size_t valid = 0;
    for (size_t i = 0; i < n; ++i) valid += vx.valid(s.x[i]) && vy.valid(s.y[i]);
    if (valid == 0) continue;
    std::string lines, dots;
    size_t series_drawn = 0;
    if (s.markers_only) {
      for (size_t j = 0; j < n; ++j) {
        if (!(vx.valid(s.x[j]) && vy.valid(s.y[j]))) continue;
        dots += R"(<circle class="d" cx=")" + fmt(f.px(ax, s.x[j])) + "\" cy=\"" + fmt(f.py(ay, s.y[j])) +
                R"(" r="4" fill=")" + color + "\"/>";
        ++series_drawn;
      }
      drawn += series_drawn;
      if (!s.name.empty()) body += "<g><title>" + escape(s.name) + "</title></g>";
      body += dots;
      continue;
    }
    std::vector<std::pair<double, double>> vertices;
    size_t i = 0;
    while (i < n) {
      while (i < n && !(vx.valid(s.x[i]) && vy.valid(s.y[i]))) ++i;
      size_t b = i;
      while (i < n && vx.valid(s.x[i]) && vy.valid(s.y[i])) ++i;
      if (b == i) break;
      size_t budget = std::max<size_t>(4, per_line * (i - b) / valid);
      std::vector<size_t> keep = downsample_minmax(s.y, b, i, budget);
      series_drawn += keep.size();
      if (keep.size() == 1) {
        dots += R"(<circle class="d" cx=")" + fmt(f.px(ax, s.x[keep[0]])) + "\" cy=\"" + fmt(f.py(ay, s.y[keep[0]])) +
                R"(" r="2.5" fill=")" + color + "\"/>";
        continue;
      }
      lines += R"(<polyline class="d" points=")";
      for (size_t j = 0; j < keep.size(); ++j) {
        if (j) lines += ' ';
        lines += fmt(f.px(ax, s.x[keep[j]])) + "," + fmt(f.py(ay, s.y[keep[j]]));
      }
      lines += "\"/>";
      // Few points (per-epoch curves): show each one.
      if (valid <= 30) {
        for (size_t j : keep) {
          dots += "<circle cx=\"" + fmt(f.px(ax, s.x[j])) + "\" cy=\"" + fmt(f.py(ay, s.y[j])) + R"(" r="2.2" fill=")" +
                  color + "\"/>";
        }
      }
    }
    drawn += series_drawn;
    body += R"(<g fill="none" stroke=")" + color + R"(" stroke-width="1.6")" +
            (s.dashed ? std::string(" stroke-dasharray=\"5 3\"") : std::string()) + ">";
    if (!s.name.empty()) body += "<title>" + escape(s.name) + "</title>";
    body += lines;
    body += "</g>";
    body += dots;
  }
  if (drawn == 0) body += no_data(f);
  body += marks(f, &ax, ay, opt);

  if (legend) {
    // Up to `rows` entries; with more series, an evenly spaced selection and a count.
    std::vector<size_t> named;
    for (size_t k = 0; k < series.size(); ++k) {
      if (!series[k].name.empty()) named.push_back(k);
    }
    size_t rows = static_cast<size_t>((f.y0() - f.y1()) / 15);
    std::vector<size_t> shown = named;
    if (named.size() > rows) {
      shown.clear();
      size_t m = std::max<size_t>(rows, 3) - 1;
      for (size_t j = 0; j < m; ++j) shown.push_back(named[j * (named.size() - 1) / (m - 1)]);
    }
    double lx = f.x1() + 10, ly = f.y1() + 8;
    for (size_t k : shown) {
      const Series& s = series[k];
      std::string color = s.color.empty() ? palette_color(k) : s.color;
      std::string name = s.name.size() > 21 ? s.name.substr(0, 20) + "\xE2\x80\xA6" : s.name;
      body += "<line x1=\"" + fmt(lx) + "\" x2=\"" + fmt(lx + 16) + "\" y1=\"" + fmt(ly) + "\" y2=\"" + fmt(ly) +
              "\" stroke=\"" + color + R"(" stroke-width="2.5")" + (s.dashed ? " stroke-dasharray=\"4 2\"" : "") + "/>";
      body += "<text x=\"" + fmt(lx + 21) + "\" y=\"" + fmt(ly + 4) + R"(" class="legend"><title>)" + escape(s.name) +
              "</title>" + escape(name) + "</text>";
      ly += 15;
    }
    if (shown.size() < named.size()) {
      body += text(lx, ly + 4, std::to_string(named.size()) + " series in all", "start", "legend");
    }
  }
  body += labels(f, opt);
  return finish(opt, drawn, body);
}

std::string bar_plot(const std::vector<Bar>& bars, const PlotOptions& opt) {
  Frame f{opt.width, opt.height};
  f.bottom = 58;  // room for slanted category labels
  std::vector<double> vals;
  vals.reserve(bars.size());
  for (const Bar& b : bars) vals.push_back(b.value);
  // Linear bars start at zero.
  Axis ay = make_axis(vals, opt.log_y, 0.05, opt.log_y ? kNaN : 0.0, opt.y_max);
  std::string body = axes(f, nullptr, ay);
  size_t drawn = 0;
  double slot = bars.empty() ? 0 : (f.x1() - f.x0()) / static_cast<double>(bars.size());
  size_t label_stride = std::max<size_t>(1, static_cast<size_t>(std::ceil(12.0 / std::max(slot, 1e-9))));
  double base = opt.log_y ? f.y0() : f.py(ay, 0.0);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double cx = f.x0() + slot * (i + 0.5);
    if (ay.valid(b.value)) {
      double top = f.py(ay, b.value);
      double y = std::min(top, base), h = std::max(std::fabs(base - top), 0.8);
      body += R"(<rect class="d" x=")" + fmt(cx - slot * 0.4) + "\" y=\"" + fmt(y) + "\" width=\"" +
              fmt(std::max(slot * 0.8, 0.6)) + "\" height=\"" + fmt(h) + "\" fill=\"" + ramp_color(i, bars.size()) +
              "\"><title>" + escape(b.label) + ": " + escape(format_number(b.value)) + "</title></rect>";
      ++drawn;
    } else {
      body += text(cx, f.y0() - 3, format_number(b.value), "middle", "bad");
    }
    if (i % label_stride == 0) {
      std::string name = b.label.size() > 14 ? b.label.substr(0, 13) + "\xE2\x80\xA6" : b.label;
      double ly = f.y0() + 10;
      body += text(cx, ly, name, "end", "small", "rotate(-40 " + fmt(cx) + " " + fmt(ly) + ")");
    }
  }
  if (drawn == 0) body += no_data(f);
  body += marks(f, nullptr, ay, opt);
  PlotOptions o = opt;
  body += labels(f, o);
  return finish(opt, drawn, body);
}

std::string histogram_plot(const std::vector<double>& edges, const std::vector<double>& counts,
                           const PlotOptions& opt) {
  Frame f{opt.width, opt.height};
  f.left = 44;
  f.bottom = opt.x_label.empty() ? 24 : 40;
  size_t n = edges.size() >= 1 ? std::min(counts.size(), edges.size() - 1) : 0;
  std::vector<double> xs, cs;
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(edges[i]) && std::isfinite(edges[i + 1]) && std::isfinite(counts[i])) {
      xs.push_back(edges[i]);
      xs.push_back(edges[i + 1]);
      cs.push_back(counts[i]);
    }
  }
  Axis ax = make_axis(xs, false, 0.0);
  Axis ay = make_axis(cs, opt.log_y, 0.05, opt.log_y ? kNaN : 0.0);
  std::string body = axes(f, &ax, ay);
  size_t drawn = 0;
  double base = opt.log_y ? f.y0() : f.py(ay, 0.0);
  for (size_t i = 0; i < n; ++i) {
    if (!(std::isfinite(edges[i]) && std::isfinite(edges[i + 1]) && ay.valid(counts[i]) && counts[i] > 0)) continue;
    double xa = f.px(ax, edges[i]), xb = f.px(ax, edges[i + 1]), top = f.py(ay, counts[i]);
    body += R"(<rect class="d" x=")" + fmt(std::min(xa, xb)) + "\" y=\"" + fmt(top) + "\" width=\"" +
            fmt(std::max(std::fabs(xb - xa), 0.6)) + "\" height=\"" + fmt(std::max(base - top, 0.6)) +
            R"(" fill="#4c78a8"/>)";
    ++drawn;
  }
  if (drawn == 0) body += no_data(f);
  body += labels(f, opt);
  return finish(opt, drawn, body);
}

std::string heatmap(const std::vector<std::string>& col_labels, const std::vector<std::string>& row_labels,
                    const std::vector<std::vector<double>>& z, const HeatmapStyle& style, const PlotOptions& opt) {
  Frame f{opt.width, opt.height};
  f.left = 92;
  f.bottom = 64;
  if (!style.color_label.empty()) f.right = 74;
  size_t rows = z.size(), cols = 0;
  for (const auto& r : z) cols = std::max(cols, r.size());

  // Colour value per cell, mapped to [0, 1].
  auto cell_value = [&](size_t r, size_t c) -> double {
    if (c >= z[r].size() || !std::isfinite(z[r][c])) return kNaN;
    double v = z[r][c];
    if (style.row_normalize) {
      double sum = 0;
      for (double u : z[r]) {
        if (std::isfinite(u)) sum += u;
      }
      v = sum > 0 ? v / sum : 0.0;
    }
    if (style.log_color) v = v > 0 ? std::log10(v) : kNaN;
    return v;
  };
  double lo = INFINITY, hi = -INFINITY;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      double v = cell_value(r, c);
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (style.row_normalize && !style.log_color) {
    lo = 0;
    hi = std::max(hi, 1e-12);
  }
  auto color_of = [&](double v) {
    double t = std::isfinite(v) ? (hi > lo ? (v - lo) / (hi - lo) : 0.5) : 0.0;
    if (style.bands > 0) t = std::min(std::floor(t * style.bands), style.bands - 1.0) / std::max(style.bands - 1, 1);
    return style.sequential_blue ? blues(t) : viridis(t);
  };

  std::string body;
  size_t drawn = 0;
  double cw = cols ? (f.x1() - f.x0()) / cols : 0, ch = rows ? (f.y0() - f.y1()) / rows : 0;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      if (c >= z[r].size() || !std::isfinite(z[r][c])) continue;
      double v = cell_value(r, c);
      Rgb col = color_of(v);
      double x = f.x0() + c * cw, y = f.y1() + r * ch;
      // Cells overlap by a fraction of a pixel so no hairline gaps show between them.
      body += R"(<rect class="d" x=")" + fmt(x) + "\" y=\"" + fmt(y) + "\" width=\"" + fmt(cw + 0.4) + "\" height=\"" +
              fmt(ch + 0.4) + "\" fill=\"" + hex(col) + "\"><title>" +
              escape((r < row_labels.size() ? row_labels[r] : std::to_string(r)) + " / " +
                     (c < col_labels.size() ? col_labels[c] : std::to_string(c)) + ": " + format_number(z[r][c])) +
              "</title></rect>";
      if (style.show_values && cw >= 18 && ch >= 12) {
        double lum = 0.299 * col.r + 0.587 * col.g + 0.114 * col.b;
        body += text(x + cw / 2, y + ch / 2 + 4, format_number(z[r][c]), "middle", lum < 140 ? "cell light" : "cell");
      }
      ++drawn;
    }
  }
  body += R"(<rect class="frame" x=")" + fmt(f.x0()) + "\" y=\"" + fmt(f.y1()) + "\" width=\"" + fmt(f.x1() - f.x0()) +
          "\" height=\"" + fmt(f.y0() - f.y1()) + "\"/>";
  // Category labels, thinned to what fits.
  size_t cstride = std::max<size_t>(1, static_cast<size_t>(std::ceil(16.0 / std::max(cw, 1e-9))));
  for (size_t c = 0; c < cols && c < col_labels.size(); c += cstride) {
    double cx = f.x0() + (c + 0.5) * cw, ly = f.y0() + 10;
    std::string name = col_labels[c].size() > 12 ? col_labels[c].substr(0, 11) + "\xE2\x80\xA6" : col_labels[c];
    body += text(cx, ly, name, "end", "small", "rotate(-40 " + fmt(cx) + " " + fmt(ly) + ")");
  }
  size_t rstride = std::max<size_t>(1, static_cast<size_t>(std::ceil(14.0 / std::max(ch, 1e-9))));
  for (size_t r = 0; r < rows && r < row_labels.size(); r += rstride) {
    std::string name = row_labels[r].size() > 12 ? row_labels[r].substr(0, 11) + "\xE2\x80\xA6" : row_labels[r];
    body += text(f.x0() - 4, f.y1() + (r + 0.5) * ch + 4, name, "end", "small");
  }
  if (drawn == 0) body += no_data(f);
  if (!style.color_label.empty() && drawn > 0) {
    // Colour bar: bottom = lowest value; labelled at its ends (in data units).
    double bx = f.x1() + 14, bw = 12, top = f.y1(), bottom = f.y0();
    int steps = style.bands > 0 ? style.bands : 24;
    for (int i = 0; i < steps; ++i) {
      double t0 = static_cast<double>(i) / steps;
      double y = bottom - (i + 1) * (bottom - top) / steps;
      body += "<rect x=\"" + fmt(bx) + "\" y=\"" + fmt(y) + "\" width=\"" + fmt(bw) + "\" height=\"" +
              fmt((bottom - top) / steps + 0.4) + "\" fill=\"" + hex(color_of(lo + (t0 + 0.5 / steps) * (hi - lo))) +
              "\"/>";
    }
    auto unmap = [&](double v) { return style.log_color ? std::pow(10.0, v) : v; };
    body += text(bx + bw + 3, top + 8, format_number(unmap(hi)), "start", "small");
    body += text(bx + bw + 3, bottom, format_number(unmap(lo)), "start", "small");
    body += text(bx + bw / 2, top - 6, style.color_label, "middle", "small");
  }
  body += labels(f, opt);
  return finish(opt, drawn, body);
}

}  // namespace strata::diag::svg
