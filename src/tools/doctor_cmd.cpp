// `strata doctor cfg.json [--steps N] [--fix]`: a short run with every monitor on, its findings, and with
// --fix the remedied config trained side by side with the original.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "strata/core/error.h"
#include "strata/io/atomic_file.h"
#include "strata/tools/commands.h"
#include "strata/tools/run.h"
#include "strata/tools/run_config.h"
#include "tools/doctor_fix.h"

namespace strata::tools {

namespace {

const char* kDoctorHelp = R"(usage: strata doctor <config.json> [options]

A short training run of the config with every monitor of the training doctor on (docs/doctor.md):
per-layer gradient norms, update/weight ratios, activation statistics, dead ReLU units, saturated
sigmoid/tanh units, identical weight rows, the loss trend, the train/validation gap and anomaly mode
(the op and layer where nan/inf first appears). Prints each finding with its evidence, cause and
remedy, or "no problems found" with the numbers that support it. When the config holds no validation
split, 10% of the training data is held out so that overfitting can be seen. Writes the run to
<output_dir>/<name>-doctor/ (diagnosis.json, report.html, ...).

With --fix, every finding that has a mechanical remedy (sigmoid -> ReLU with He init, gradient clipping,
a lower or higher learning rate, Leaky ReLU, random init, the right loss, dropout and early stopping)
is applied to a copy of the config, written to <output_dir>/<name>-doctor/fixed_config.json, trained
the same way in <name>-doctor-fixed/, and the two runs are printed side by side.

Options:
  --steps N           optimizer steps of the run (default 300, or fewer if the config's epochs end first)
  --period N          monitors sample every N steps (default 2)
  --fix               apply the remedies and compare
  --output-dir DIR    parent folder of the run folders (default: the config's output_dir, runs)
  --help              this text
)";

struct Outcome {
  RunResult result;
  RunConfig config;
};

Outcome doctor_run(const io::Json& json, const std::string& source, const std::string& name, int64_t steps,
                   int64_t period) {
  RunConfig cfg = parse_run_config(json, source);
  cfg.name = name;
  RunOptions ro;
  ro.out = nullptr;
  ro.diagnose = true;
  ro.max_steps = steps;
  ro.doctor_period = period;
  return {run_training(cfg, ro), cfg};
}

double last(const train::History& h, const char* key) {
  if (h.epochs.empty()) return std::nan("");
  auto it = h.epochs.back().find(key);
  return it == h.epochs.back().end() ? std::nan("") : it->second;
}

std::string cell(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string ids_of(const std::vector<diag::Finding>& f) {
  if (f.empty()) return "none";
  std::string s;
  for (const auto& x : f) s += (s.empty() ? "" : ", ") + x.id;
  return s;
}

void print_findings(std::ostream& out, const RunResult& r) {
  if (r.findings.empty()) {
    out << diag::healthy_summary(r.record) << "\n";
  } else {
    out << r.findings.size() << " finding(s):\n" << diag::format_findings(r.findings);
  }
}

}  // namespace

int doctor_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--steps", "--period", "--output-dir"}, {"--fix", "--help"}, "doctor");
  if (a.options.count("--help")) {
    out << kDoctorHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata doctor: expected one config file (see strata doctor --help)");
  const int64_t steps = a.options.count("--steps") ? parse_int(a.options["--steps"], "--steps") : 300;
  const int64_t period = a.options.count("--period") ? parse_int(a.options["--period"], "--period") : 2;
  usage_check(steps >= 1, "strata doctor: --steps must be >= 1, got ", steps);
  usage_check(period >= 1, "strata doctor: --period must be >= 1, got ", period);
  const std::string& path = a.positional[0];
  RunConfig base = load_run_config(path);
  io::Json json = base.json;
  if (a.options.count("--output-dir")) json.set("output_dir", a.options["--output-dir"]);
  if (base.data.validation_split == 0) {
    io::Json data = json.at("data");
    data.set("validation_split", 0.1);
    json.set("data", data);
    out << "No validation split in " << path << ": holding out 10% of the training data to watch overfitting.\n";
  }
  out << "Doctor: training " << base.name << " for up to " << steps << " steps with every monitor on...\n";
  Outcome before = doctor_run(json, path, base.name + "-doctor", steps, period);
  print_findings(out, before.result);
  out << "Wrote " << before.result.run_dir << "/{diagnosis.json, report.html}\n";
  if (!a.options.count("--fix")) return 0;

  std::vector<std::string> ids;
  for (const auto& f : before.result.findings) ids.push_back(f.id);
  io::Json fixed = json;
  const std::vector<std::string> changes = apply_fixes(fixed, ids);
  if (changes.empty()) {
    out << "\n--fix: " << (ids.empty() ? "nothing to fix." : "no mechanical remedy for these findings.") << "\n";
    return 0;
  }
  const std::string fixed_path = before.result.run_dir + "/fixed_config.json";
  {
    const std::string text = fixed.dump(2) + "\n";
    io::AtomicFile f(fixed_path);
    f.write(text.data(), text.size());
    f.commit();
  }
  out << "\n--fix changed the config (written to " << fixed_path << "):\n";
  for (const auto& c : changes) out << "  - " << c << "\n";
  out << "Training the fixed config the same way...\n";
  Outcome after = doctor_run(fixed, fixed_path, base.name + "-doctor-fixed", steps, period);
  print_findings(out, after.result);

  const auto& hb = before.result.history;
  const auto& ha = after.result.history;
  auto test = [](const RunResult& r, const char* key) {
    if (!r.test) return std::nan("");
    auto it = r.test->logs.find(key);
    return it == r.test->logs.end() ? std::nan("") : it->second;
  };
  // A GAN's last sample check: what the generator covers.
  auto sample = [](const RunResult& r, double diag::SampleCheck::*field) {
    return r.record.sample_checks.empty() ? std::nan("") : r.record.sample_checks.back().*field;
  };
  auto covered = [](const RunResult& r, bool modes) {
    if (r.record.sample_checks.empty()) return std::nan("");
    const diag::SampleCheck& c = r.record.sample_checks.back();
    const int64_t total = modes ? c.modes : c.classes, got = modes ? c.modes_covered : c.classes_covered;
    return total > 0 ? static_cast<double>(got) : std::nan("");
  };
  char line[256];
  out << "\n";
  std::snprintf(line, sizeof line, "%-22s %14s %14s\n", "", "before", "after");
  out << line;
  const std::pair<const char*, std::pair<double, double>> rows[] = {
      {"train loss (last ep.)", {last(hb, "loss"), last(ha, "loss")}},
      {"val loss (last ep.)", {last(hb, "val_loss"), last(ha, "val_loss")}},
      {"val accuracy", {last(hb, "val_accuracy"), last(ha, "val_accuracy")}},
      {"test loss", {test(before.result, "loss"), test(after.result, "loss")}},
      {"test accuracy", {test(before.result, "accuracy"), test(after.result, "accuracy")}},
      {"modes covered", {covered(before.result, true), covered(after.result, true)}},
      {"classes covered", {covered(before.result, false), covered(after.result, false)}},
      {"sample diversity",
       {sample(before.result, &diag::SampleCheck::diversity_ratio),
        sample(after.result, &diag::SampleCheck::diversity_ratio)}},
      {"steps", {static_cast<double>(hb.global_step), static_cast<double>(ha.global_step)}},
  };
  for (const auto& [name, v] : rows) {
    if (std::isnan(v.first) && std::isnan(v.second)) continue;
    std::snprintf(line, sizeof line, "%-22s %14s %14s\n", name, cell(v.first).c_str(), cell(v.second).c_str());
    out << line;
  }
  out << "findings before: " << ids_of(before.result.findings) << "\n";
  out << "findings after:  " << ids_of(after.result.findings) << "\n";
  return 0;
}

}  // namespace strata::tools
