// diag::render_report / write_report and the SVG plotter under them: escaping, omitted sections, gaps for
// non-finite values, data-point counts, atomic writes, no network references, and a large input.
#include "strata/diag/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "diag/report_fixture.h"
#include "diag/svg_plot.h"
#include "strata/core/error.h"
#include "strata/io/atomic_file.h"

using namespace strata;
using io::Json;

namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

// data-points of every <svg class="plot" ...>, in order.
std::vector<long> plot_points(const std::string& html) {
  std::vector<long> out;
  std::regex re(R"re(<svg class="plot" data-points="(\d+)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it) {
    out.push_back(std::stol((*it)[1]));
  }
  return out;
}

// The <svg ...>...</svg> that contains `marker` (a plot title).
std::string plot_with(const std::string& html, const std::string& marker) {
  size_t m = html.find(marker);
  if (m == std::string::npos) return "";
  size_t b = html.rfind("<svg class=\"plot\"", m), e = html.find("</svg>", m);
  return html.substr(b, e + 6 - b);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata_report_XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace

TEST(ReportSvg, EscapesText) {
  EXPECT_EQ(diag::svg::escape("<b a='1'>\"x\" & y</b>"), "&lt;b a=&#39;1&#39;&gt;&quot;x&quot; &amp; y&lt;/b&gt;");
  Json d = Json::object();
  d["title"] = "<script>alert(1)</script>";
  d["summary"] = "a < b && c > d";
  Json l = Json::object({{"name", "evil<name>"}, {"type", "T&T"}});
  l["grad_norm"] = Json::array({1.0, 2.0});
  d["layers"] = Json::array({l});
  d["findings"] = Json::array({Json::object({{"id", "x\"y"}, {"evidence", "<img src=x onerror=alert(1)>"}})});
  std::string html = diag::render_report(d);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("evil<name>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("a &lt; b &amp;&amp; c &gt; d"), std::string::npos);
  EXPECT_NE(html.find("evil&lt;name&gt; (T&amp;T)"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("x&quot;y"), std::string::npos);
  // The only script is the self-check.
  EXPECT_EQ(count(html, "<script"), 1u);
}

TEST(ReportSvg, FormatsNumbers) {
  EXPECT_EQ(diag::svg::format_number(1000), "1000");
  EXPECT_EQ(diag::svg::format_number(0.003), "0.003");
  EXPECT_EQ(diag::svg::format_number(1e-5), "1e-5");
  EXPECT_EQ(diag::svg::format_number(2.5e7), "2.5e7");
  EXPECT_EQ(diag::svg::format_number(0.123456), "0.123");
  EXPECT_EQ(diag::svg::format_number(NAN), "nan");
  EXPECT_EQ(diag::svg::format_number(-INFINITY), "-inf");
}

TEST(Report, SectionsOmittedWhenAbsent) {
  std::string empty = diag::render_report(Json::object());
  EXPECT_EQ(count(empty, "<section"), 0u);
  EXPECT_EQ(count(empty, "class=\"plot\""), 0u);
  EXPECT_NE(empty.find("<h1>Training report</h1>"), std::string::npos);

  Json d = Json::object();
  d["epochs"] = Json::array({Json::object({{"epoch", 1}, {"loss", 0.5}}), Json::object({{"epoch", 2}, {"loss", 0.4}})});
  std::string html = diag::render_report(d);
  EXPECT_NE(html.find("<section id=\"loss\">"), std::string::npos);
  for (const char* id : {"metrics", "lr", "gradients", "updates", "activations", "histograms", "dead", "findings",
                         "summary", "confusion", "lr_find", "landscape"}) {
    EXPECT_EQ(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(plot_points(html), std::vector<long>({2}));

  // Every section present when every key is.
  std::string full = diag::render_report(test::full_report_data());
  for (const char* id : {"loss", "metrics", "lr", "gradients", "updates", "activations", "histograms", "dead",
                         "findings", "summary", "confusion", "lr_find", "landscape"}) {
    EXPECT_NE(full.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  }
}

TEST(Report, HealthyNoteWhenNoFindings) {
  Json d = Json::object();
  d["findings"] = Json::array();
  d["healthy_note"] = "no problems found: grad norms within 10x";
  std::string html = diag::render_report(d);
  EXPECT_NE(html.find("no problems found: grad norms within 10x"), std::string::npos);
  EXPECT_NE(html.find("finding healthy"), std::string::npos);
  d["findings"].push_back(Json::object({{"id", "dead_relu"}, {"severity", "warning"}, {"step", 120}}));
  html = diag::render_report(d);
  EXPECT_EQ(html.find("no problems found: grad norms"), std::string::npos);
  EXPECT_NE(html.find("<code>dead_relu</code>"), std::string::npos);
  EXPECT_NE(html.find("step 120"), std::string::npos);
  EXPECT_NE(html.find("1 finding (0 errors, 1 warning)"), std::string::npos);
}

TEST(ReportSvg, NullAndNonFinitePointsAreGaps) {
  diag::svg::Series s{"s", {0, 1, 2, 3, 4, 5}, {1.0, NAN, 3.0, 4.0, INFINITY, 6.0}};
  std::string svg = diag::svg::line_plot({s}, {});
  EXPECT_NE(svg.find("data-points=\"4\""), std::string::npos) << svg;
  // Runs {0}, {2, 3}, {5}: one polyline and two single-point circles.
  EXPECT_EQ(count(svg, "<polyline class=\"d\""), 1u);
  EXPECT_EQ(count(svg, "<circle class=\"d\""), 2u);

  // On a log axis, non-positive values cannot be drawn either.
  diag::svg::PlotOptions o;
  o.log_y = true;
  std::string lg = diag::svg::line_plot({{"", {0, 1, 2, 3}, {0.0, -1.0, 10.0, 100.0}}}, o);
  EXPECT_NE(lg.find("data-points=\"2\""), std::string::npos);

  // Through the report: JSON nulls are gaps.
  Json d = io::parse_json(R"({"steps": {"step": [0, 1, 2, 3, 4], "loss": [2.0, null, 1.5, null, 1.0]}})");
  std::string html = diag::render_report(d);
  EXPECT_EQ(plot_points(html), std::vector<long>({3}));
}

TEST(ReportSvg, EmptySeriesSayNoData) {
  std::string none = diag::svg::line_plot({}, {});
  EXPECT_NE(none.find("data-points=\"0\""), std::string::npos);
  EXPECT_NE(none.find("no data"), std::string::npos);
  std::string all_nan = diag::svg::line_plot({{"a", {1, 2}, {NAN, NAN}}, {"b", {}, {}}}, {});
  EXPECT_NE(all_nan.find("data-points=\"0\""), std::string::npos);
  EXPECT_NE(all_nan.find("no data"), std::string::npos);
  EXPECT_EQ(all_nan.find("class=\"d\""), std::string::npos);
  EXPECT_NE(diag::svg::bar_plot({}, {}).find("no data"), std::string::npos);
  EXPECT_NE(diag::svg::histogram_plot({}, {}, {}).find("no data"), std::string::npos);
  EXPECT_NE(diag::svg::heatmap({}, {}, {}, {}, {}).find("no data"), std::string::npos);
  // A zero or NaN bar is not drawn; its value is printed instead.
  std::string bars = diag::svg::bar_plot({{"a", 1.0}, {"b", 0.0}, {"c", NAN}}, [] {
    diag::svg::PlotOptions o;
    o.log_y = true;
    return o;
  }());
  EXPECT_NE(bars.find("data-points=\"1\""), std::string::npos);
  EXPECT_NE(bars.find(">nan</text>"), std::string::npos);
}

TEST(Report, DataPointCounts) {
  std::string html = diag::render_report(test::full_report_data(5, 60));
  std::vector<long> pts = plot_points(html);
  ASSERT_EQ(static_cast<int>(pts.size()), test::full_report_plot_count(5));
  for (long p : pts) EXPECT_GT(p, 0);
  EXPECT_NE(plot_with(html, "<title>Loss per epoch").find("data-points=\"16\""), std::string::npos);  // 8 + 8
  EXPECT_NE(plot_with(html, "<title>Training loss per step").find("data-points=\"60\""), std::string::npos);
  EXPECT_NE(plot_with(html, "<title>Gradient norm per layer").find("data-points=\"300\""), std::string::npos);
  EXPECT_NE(plot_with(html, "<title>Latest gradient norm").find("data-points=\"5\""), std::string::npos);
  EXPECT_NE(plot_with(html, "<title>Confusion matrix").find("data-points=\"100\""), std::string::npos);
  EXPECT_NE(plot_with(html, "<title>Loss surface").find("data-points=\"441\""), std::string::npos);
  EXPECT_NE(plot_with(html, "<title>Loss against learning rate").find("data-points=\"160\""), std::string::npos);
  std::string hist = html.substr(html.find("<section id=\"histograms\""));
  EXPECT_NE(plot_with(hist, "<title>features.0 (Conv2d)").find("data-points=\"20\""), std::string::npos);
}

TEST(Report, OnlyTheSvgNamespaceMentionsHttp) {
  std::string html = diag::render_report(test::full_report_data());
  const std::string ns = "http://www.w3.org/2000/svg";
  size_t n = 0;
  for (size_t p = html.find("http"); p != std::string::npos; p = html.find("http", p + 4)) {
    EXPECT_EQ(html.compare(p, ns.size(), ns), 0) << html.substr(p, 60);
    ++n;
  }
  EXPECT_EQ(n, count(html, "<svg class=\"plot\""));
  // Nothing that could load a resource.
  for (const char* bad : {"<link", "src=", "@import", "url(", "<iframe", "<img"}) {
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  }
}

TEST(Report, WritesAtomically) {
  TempDir dir;
  std::string path = dir.path + "/report.html";
  Json d = test::full_report_data(3, 20);
  diag::write_report(d, path);
  EXPECT_EQ(read_file(path), diag::render_report(d));

  // A write that fails midway leaves the previous report whole and no temporary file behind.
  std::string before = read_file(path);
  io::detail::set_write_fault_hook([](uint64_t, size_t) { throw Error("simulated disk full"); });
  Json other = Json::object({{"title", "second"}});
  EXPECT_THROW(diag::write_report(other, path), Error);
  io::detail::set_write_fault_hook({});
  EXPECT_EQ(read_file(path), before);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "report.html");
  }
  EXPECT_EQ(files, 1u);
}

TEST(Report, WrongTypesNameTheKey) {
  Json d = io::parse_json(R"({"steps": {"loss": "falling"}})", "report.json");
  try {
    diag::render_report(d);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("steps.loss"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("expected a list of numbers"), std::string::npos) << e.what();
  }
  Json h = io::parse_json(R"({"layers": [{"name": "a", "histogram": {"edges": [0, 1], "counts": [1, 2]}}]})");
  EXPECT_THROW(diag::render_report(h), Error);
  EXPECT_THROW(diag::render_report(Json::array()), Error);
}

TEST(ReportSvg, DownsampleKeepsSpikes) {
  std::vector<double> y(1000);
  for (size_t i = 0; i < y.size(); ++i) y[i] = std::sin(0.05 * i);
  y[537] = 100.0;
  y[811] = -50.0;
  std::vector<size_t> keep = diag::svg::downsample_minmax(y, 0, y.size(), 500);
  EXPECT_LE(keep.size(), 500u);
  EXPECT_GE(keep.size(), 400u);
  EXPECT_EQ(keep.front(), 0u);
  EXPECT_EQ(keep.back(), 999u);
  EXPECT_TRUE(std::is_sorted(keep.begin(), keep.end()));
  EXPECT_NE(std::find(keep.begin(), keep.end(), 537u), keep.end());
  EXPECT_NE(std::find(keep.begin(), keep.end(), 811u), keep.end());
  // Short ranges are kept whole.
  EXPECT_EQ(diag::svg::downsample_minmax(y, 10, 20, 500).size(), 10u);
}

TEST(Report, LargeInputIsDownsampled) {
  // 100 layers x 1000 steps: every line is cut to at most 500 vertices (150 here: the plot's budget is shared
  // between its 100 lines) and the page stays a few MB. The time is reported, not asserted (speed lives in bench/).
  Json d = test::full_report_data(100, 1000);
  auto t0 = std::chrono::steady_clock::now();
  std::string html = diag::render_report(d);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("render_seconds", std::to_string(seconds));
  RecordProperty("bytes", std::to_string(html.size()));
  std::printf("[ report ] 100 layers x 1000 steps: %.1f kB in %.3f s\n", html.size() / 1024.0, seconds);
  EXPECT_LT(html.size(), 4u << 20);
  std::vector<long> pts = plot_points(html);
  EXPECT_EQ(static_cast<int>(pts.size()), test::full_report_plot_count(100));
  std::regex poly(R"re(<polyline class="d" points="([^"]*)")re");
  size_t lines = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), poly); it != std::sregex_iterator(); ++it) {
    std::string pts_text = (*it)[1];
    size_t vertices = count(pts_text, " ") + 1;
    EXPECT_LE(vertices, 500u);
    ++lines;
  }
  EXPECT_GE(lines, 700u);  // 7 per-layer plots x 100 layers
  // The per-step loss (one line) keeps its own 500-vertex budget.
  EXPECT_NE(plot_with(html, "<title>Training loss per step").find("data-points=\"500\""), std::string::npos);
}

TEST(ReportSvg, LogTicksOnRoundValues) {
  diag::svg::PlotOptions o;
  o.log_y = true;
  // 100 decades: ticks every 20 decades, on multiples of 20.
  std::string wide = diag::svg::line_plot({{"", {0, 1}, {1e-99, 1.0}}}, o);
  for (const char* t : {">1e-80</text>", ">1e-20</text>", ">1</text>"}) EXPECT_NE(wide.find(t), std::string::npos) << t;
  EXPECT_EQ(wide.find(">1e-9</text>"), std::string::npos);
  // Less than a decade: 1-2-5 multiples.
  std::string narrow = diag::svg::line_plot({{"", {0, 1}, {0.0011, 0.009}}}, o);
  for (const char* t : {">0.002</text>", ">0.005</text>"}) EXPECT_NE(narrow.find(t), std::string::npos) << t;
}
