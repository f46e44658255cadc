// report_data: everything a run measured, in the report's schema.
#include "tools/run_report.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/diag/report.h"
#include "strata/diag/summary.h"
#include "strata/io/atomic_file.h"

namespace strata::tools {

io::Json report_data(const RunConfig& config, const Datasets& data, const RunResult& r) {
  io::Json j = diag::to_json(r.record);
  j.set("title", config.name);
  j.set("subtitle", config.source + " - " + std::to_string(r.record.steps.size()) + " optimizer steps, " +
                        std::to_string(r.history.epochs.size()) + " epoch(s)" +
                        (r.history.stopped_early ? " (stopped: " + r.history.stop_reason + ")" : ""));
  j.set("findings", diag::to_json(r.findings));
  if (r.findings.empty()) j.set("healthy_note", diag::healthy_summary(r.record));
  if (r.model) {
    std::vector<int64_t> shape{1};
    shape.insert(shape.end(), data.example_shape.begin(), data.example_shape.end());
    try {
      j.set("summary", diag::summarize(*r.model, Shape(shape)).to_string());
    } catch (const Error&) {
      // A model the summary cannot trace still gets its report.
    }
  }
  if (r.test && r.test->confusion.defined()) {
    io::Json classes = io::Json::array();
    for (const auto& c : data.class_names) classes.push_back(c);
    io::Json matrix = io::Json::array();
    const Tensor& m = r.test->confusion;
    const std::vector<int64_t> v = m.contiguous().to_vector<int64_t>();
    const int64_t n = m.size(0);
    for (int64_t i = 0; i < n; ++i) {
      io::Json row = io::Json::array();
      for (int64_t k = 0; k < n; ++k) row.push_back(v[static_cast<size_t>(i * n + k)]);
      matrix.push_back(row);
    }
    io::Json c = io::Json::object();
    c.set("classes", classes);
    c.set("matrix", matrix);
    j.set("confusion", c);
  }
  for (const char* extra : {"lr_find", "landscape"}) {
    const std::string path = r.run_dir + "/" + extra + ".json";
    if (!r.run_dir.empty() && std::filesystem::exists(path)) j.set(extra, io::load_json_file(path));
  }
  return j;
}

namespace {

std::string base64(const std::string& bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

io::Json embed_images(const io::Json& images, const std::string& dir) {
  io::Json out = io::Json::array();
  for (const io::Json& i : images.elements()) {
    io::Json o = i;
    std::ifstream in(dir + "/" + i.at("file").as_string(), std::ios::binary);
    STRATA_CHECK(in.good(), "[report] cannot read ", dir, "/", i.at("file").as_string());
    std::ostringstream ss;
    ss << in.rdbuf();
    o.set("png_base64", base64(ss.str()));
    out.push_back(o);
  }
  return out;
}

void add_to_report(const std::string& run_dir, const std::string& key, const io::Json& value) {
  const std::string data_path = run_dir + "/report_data.json";
  if (!std::filesystem::exists(data_path)) return;  // a run from before reports: nothing to add to
  io::Json j = io::load_json_file(data_path);
  j.set(key, value);
  const std::string text = j.dump() + "\n";
  io::AtomicFile f(data_path);
  f.write(text.data(), text.size());
  f.commit();
  diag::write_report(j, run_dir + "/report.html");
}

}  // namespace strata::tools
