#pragma once
// Pieces the report's section writers share (report.cpp, report_lab.cpp): reading numbers and text from the
// report data, and the section / plot frame every section uses.
#include <string>
#include <vector>

#include "diag/svg_plot.h"
#include "strata/io/json.h"

namespace strata::diag::report_parts {

// A list of numbers; null (how non-finite values are stored) becomes NaN. Anything else is an error naming
// the key.
std::vector<double> numbers(const io::Json& v);
std::vector<double> numbers_or_empty(const io::Json* v);
// A string as is, a number formatted short, null as "", anything else as JSON text.
std::string text_of(const io::Json& v);
std::string text_or(const io::Json& obj, const std::string& key);
std::vector<double> iota_like(size_t n);

// <section id=..><h2>title</h2><p class="explain">..</p>content</section>
std::string section(const std::string& id, const std::string& title, const std::string& explain,
                    const std::string& content);
svg::PlotOptions plot_opts(const std::string& title, const std::string& x_label, const std::string& y_label,
                           bool log_y = false);
std::string grid(const std::string& plots);

// The concept lab's sections ("lab" key; labs/lab.h), empty without it: what the concept is, the claims and
// the experiment's blocks in order.
std::string lab_sections(const io::Json& data);

}  // namespace strata::diag::report_parts
