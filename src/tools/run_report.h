#pragma once
// The data of a run's report.html (diag::render_report's schema, docs/report.md): curves and per-layer
// measurements from the doctor's monitors, the findings, the model summary, the confusion matrix, and the
// lr-find and landscape results when those files are in the run folder.
#include "strata/io/json.h"
#include "strata/tools/run.h"

namespace strata::tools {

io::Json report_data(const RunConfig& config, const Datasets& data, const RunResult& result);

// images: [{"file", "title", "caption"}] of PNG files in `dir`; returns them with "png_base64" (the file's
// bytes), which the report shows inline, so report.html stays one self-contained file.
io::Json embed_images(const io::Json& images, const std::string& dir);

// Re-renders <run_dir>/report.html from the files of a run folder after lr-find or landscape added theirs.
void add_to_report(const std::string& run_dir, const std::string& key, const io::Json& value);

}  // namespace strata::tools
