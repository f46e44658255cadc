// `strata lab`: lists the concept labs or runs one (or all) of them (labs/lab.h).
#include <cstdio>

#include "strata/core/error.h"
#include "strata/labs/lab.h"
#include "strata/tools/commands.h"

namespace strata::tools {

namespace {

const char* kLabHelp = R"(usage: strata lab --list
       strata lab <number | name> [options]
       strata lab --all [options]

Concept labs (docs/labs.md): each idea of the study notes (concepts 151-200 and the worked examples) as a small
experiment with the library, in under a minute on 2 cores. A lab prints what the concept is, the numbers it
measures and the claims those numbers bear out, and writes <out>/<name>/lab.html (its plots) and results.json.
The exit status is 0 when every claim held and 3 when one did not.

Options:
  --list          number, name and title of every lab
  --all           run every lab in turn
  --quick         a reduced size (seconds; what the test suite runs); the claims still apply
  --seed N        seed of every random draw (default 0)
  --threads N     OpenMP threads while a lab runs (default 1: the models are small; 0 keeps OMP_NUM_THREADS)
  --out DIR       where the pages go (default runs/labs)
  --no-page       print only; write no files
  --help          this text
)";

}  // namespace

int lab_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--seed", "--out", "--threads"}, {"--list", "--all", "--quick", "--no-page", "--help"},
                      "lab");
  if (a.options.count("--help")) {
    out << kLabHelp;
    return 0;
  }
  const std::vector<labs::Lab>& all = labs::all_labs();
  if (a.options.count("--list")) {
    usage_check(a.positional.empty(), "strata lab: --list takes no lab name");
    for (const labs::Lab& lab : all) {
      char line[200];
      std::snprintf(line, sizeof line, "%4s  %-32s %s\n", lab.number ? std::to_string(lab.number).c_str() : "-",
                    lab.name.c_str(), lab.title.c_str());
      out << line;
    }
    return 0;
  }
  labs::LabOptions options;
  options.quick = a.options.count("--quick") != 0;
  if (a.options.count("--seed")) {
    int64_t seed = parse_int(a.options["--seed"], "--seed");
    usage_check(seed >= 0, "strata lab: --seed must be non-negative, got ", seed);
    options.seed = static_cast<uint64_t>(seed);
  }
  if (a.options.count("--threads")) {
    int64_t threads = parse_int(a.options["--threads"], "--threads");
    usage_check(threads >= 0 && threads <= 1024, "strata lab: --threads must be 0 (keep) or a thread count, got ",
                threads);
    options.threads = static_cast<int>(threads);
  }
  if (a.options.count("--out")) options.out_dir = a.options["--out"];
  if (a.options.count("--no-page")) options.out_dir.clear();

  std::vector<const labs::Lab*> chosen;
  if (a.options.count("--all")) {
    usage_check(a.positional.empty(), "strata lab: --all takes no lab name");
    for (const labs::Lab& lab : all) chosen.push_back(&lab);
  } else {
    usage_check(a.positional.size() == 1, "strata lab: expected one lab number or name, or --list (see --help)");
    try {
      chosen.push_back(&labs::find_lab(a.positional[0]));
    } catch (const Error& e) {
      throw UsageError(e.what());  // a lab name on the command line: a usage mistake (exit 2)
    }
  }
  std::vector<std::string> failed;
  for (const labs::Lab* lab : chosen) {
    if (chosen.size() > 1) out << "\n================================================================\n";
    labs::LabResult r = labs::run_lab(*lab, options, out);
    if (!r.all_hold()) failed.push_back(lab->name);
  }
  if (failed.empty()) return 0;
  out << "\nA claim did not hold in:";
  for (const std::string& f : failed) out << " " << f;
  out << "\n";
  return 3;
}

}  // namespace strata::tools
