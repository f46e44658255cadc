// Opens a rendered report.html in headless Chromium (Debian package `chromium`, from scripts/install-deps.sh) and
// checks what a reader would see: every plot drew data (the page's self-check writes body data-plots="K/K") and
// the page logged nothing to the console (no script errors). A second page with a deliberate console.error and
// an empty plot shows that both checks can fail.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "diag/report_fixture.h"
#include "strata/diag/report.h"

using namespace strata;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata_browser_XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// STRATA_CHROMIUM overrides the binary; otherwise Debian's /usr/bin/chromium.
std::string chromium_path() {
  const char* env = std::getenv("STRATA_CHROMIUM");
  std::string p = env && *env ? env : "/usr/bin/chromium";
  return access(p.c_str(), X_OK) == 0 ? p : "";
}

struct BrowserRun {
  int rc = -1;
  std::string dom;  // --dump-dom output: the DOM after scripts ran
  std::string log;  // stderr
};

BrowserRun open_in_chromium(const std::string& chromium, const std::string& html, const std::string& dir) {
  std::string cmd = "timeout 60 '" + chromium +
                    "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                    "--disable-background-networking --disable-component-update --disable-sync --user-data-dir='" +
                    dir + "/profile' --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom 'file://" +
                    html + "' >'" + dir + "/dom.html' 2>'" + dir + "/stderr.txt'";
  int status = std::system(cmd.c_str());
  BrowserRun r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.dom = read_file(dir + "/dom.html");
  r.log = read_file(dir + "/stderr.txt");
  return r;
}

// Console messages from the page (console.log/error, uncaught exceptions). Chromium 156 logs them as
//   [pid:tid:date:INFO:CONSOLE:12] "message", source: file:///.../report.html (12)
// and older releases as "...:INFO:CONSOLE(12)] ..."; dbus, GPU and sandbox warnings are other lines.
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> out;
  std::regex console(R"(:CONSOLE[:(]\d+)");
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, console)) out.push_back(line);
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace

TEST(ReportBrowser, EveryPlotDrawsAndTheConsoleStaysQuiet) {
  std::string chromium = chromium_path();
  ASSERT_FALSE(chromium.empty()) << "chromium not found at /usr/bin/chromium: run scripts/install-deps.sh (it "
                                    "installs the Debian package `chromium` this test opens the report in)";
  TempDir dir;
  std::string html = dir.path + "/report.html";
  diag::write_report(test::full_report_data(), html);
  BrowserRun r = open_in_chromium(chromium, html, dir.path);
  ASSERT_EQ(r.rc, 0) << r.log;
  const int k = test::full_report_plot_count();
  ASSERT_GT(k, 0);
  std::string expect = "data-plots=\"" + std::to_string(k) + "/" + std::to_string(k) + "\"";
  std::smatch m;
  std::regex_search(r.dom, m, std::regex(R"re(data-plots="[^"]*")re"));
  EXPECT_NE(r.dom.find(expect), std::string::npos) << "expected " << expect << ", the page says " << m.str(0);
  std::vector<std::string> console = console_lines(r.log);
  EXPECT_TRUE(console.empty()) << "the page logged to the console:\n" << joined(console);
}

TEST(ReportBrowser, DetectsConsoleErrorsAndEmptyPlots) {
  std::string chromium = chromium_path();
  ASSERT_FALSE(chromium.empty()) << "chromium not found at /usr/bin/chromium: run scripts/install-deps.sh";
  TempDir dir;
  // One plot whose points are all null, and a deliberate console error.
  io::Json d = io::parse_json(R"({"steps": {"step": [0, 1], "loss": [null, null]}})");
  std::string page = diag::render_report(d);
  page.insert(page.rfind("</body>"), "<script>console.error(\"deliberate-report-error\")</script>");
  std::string html = dir.path + "/broken.html";
  std::ofstream(html) << page;
  BrowserRun r = open_in_chromium(chromium, html, dir.path);
  ASSERT_EQ(r.rc, 0) << r.log;
  EXPECT_NE(r.dom.find("data-plots=\"0/1\""), std::string::npos) << r.dom;
  std::vector<std::string> console = console_lines(r.log);
  ASSERT_EQ(console.size(), 1u) << r.log;
  EXPECT_NE(console[0].find("deliberate-report-error"), std::string::npos) << console[0];
}
