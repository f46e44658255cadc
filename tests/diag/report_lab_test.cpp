// The report's concept-lab sections ("lab" key): the idea, the claims with their verdicts, and the blocks in
// order (headings, text, tables, line / bar / heatmap plots); bad blocks are errors naming the key.
#include <gtest/gtest.h>

#include <string>

#include "strata/core/error.h"
#include "strata/diag/report.h"
#include "test_util.h"

namespace {

using strata::io::Json;
using strata::testing::error_of;

Json lab_data() {
  Json lab = Json::object();
  lab["concept"] = "Softmax turns <scores> into probabilities.";
  lab["look_at"] = "the table";
  lab["claims"] = Json::array({Json::object({{"text", "sums to 1"}, {"holds", true}, {"measured", "1.0"}}),
                               Json::object({{"text", "is magic"}, {"holds", false}, {"measured", "no"}})});
  Json blocks = Json::array();
  blocks.push_back(Json::object({{"type", "heading"}, {"text", "Step one"}}));
  blocks.push_back(Json::object({{"type", "table"},
                                 {"title", "probabilities"},
                                 {"columns", Json::array({"class", "p"})},
                                 {"rows", Json::array({Json::array({"A", "65.9%"}), Json::array({"B", "24.2%"})})}}));
  Json series = Json::array({Json::object({{"name", "loss"}, {"y", Json::array({3.0, 2.0, Json(), 1.0})}})});
  blocks.push_back(Json::object({{"type", "line"}, {"title", "curve"}, {"log_y", true}, {"series", series}}));
  blocks.push_back(Json::object(
      {{"type", "bar"}, {"labels", Json::array({"A", "B", "C"})}, {"values", Json::array({0.6, 0.3, 0.1})}}));
  blocks.push_back(Json::object(
      {{"type", "heatmap"}, {"z", Json::array({Json::array({1.0, 2.0}), Json::array({3.0, 4.0})})}, {"values", true}}));
  blocks.push_back(Json::object({{"type", "text"}, {"text", "after the plots"}}));
  lab["blocks"] = blocks;
  Json d = Json::object({{"title", "Lab 161. Softmax"}});
  d["lab"] = lab;
  return d;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(ReportLab, RendersTheIdeaClaimsAndBlocksInOrder) {
  std::string html = strata::diag::render_report(lab_data());
  EXPECT_HAS(html, "<title>Strata lab: Lab 161. Softmax</title>");
  EXPECT_HAS(html, "Softmax turns &lt;scores&gt; into probabilities.");
  EXPECT_HAS(html, "<section id=\"claims\">");
  EXPECT_EQ(count(html, "<span class=\"badge\">holds</span>"), 1u);
  EXPECT_EQ(count(html, "<span class=\"badge\">fails</span>"), 1u);
  EXPECT_EQ(count(html, "class=\"plot\""), 3u);
  EXPECT_HAS(html, "<td>65.9%</td>");
  // Blocks keep their order: heading, table, the three plots in one grid, then the text.
  size_t heading = html.find("<h3>Step one</h3>"), table = html.find("<table class=\"lab\">"),
         plots = html.find("<div class=\"grid\">"), text = html.find("after the plots");
  EXPECT_LT(heading, table);
  EXPECT_LT(table, plots);
  EXPECT_LT(plots, text);
  EXPECT_EQ(html.find("<section id=\"loss\">"), std::string::npos);
}

TEST(ReportLab, BadBlocksAreErrorsNamingTheKey) {
  Json d = lab_data();
  d["lab"]["blocks"].push_back(Json::object({{"type", "pie"}}));
  EXPECT_HAS(error_of([&] { strata::diag::render_report(d); }), "unknown block type \"pie\"");
  d = lab_data();
  d["lab"]["blocks"].push_back(
      Json::object({{"type", "bar"}, {"labels", Json::array({"A"})}, {"values", Json::array({1.0, 2.0})}}));
  EXPECT_HAS(error_of([&] { strata::diag::render_report(d); }), "1 labels for 2 values");
  d = lab_data();
  d["lab"]["claims"] = "all good";
  EXPECT_HAS(error_of([&] { strata::diag::render_report(d); }), "expected a list");
}

}  // namespace
