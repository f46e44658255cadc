// `strata profile cfg.json`: a per-op time profile of the config's training step (diag::Profiler).
#include <algorithm>

#include "strata/core/error.h"
#include "strata/diag/profiler.h"
#include "strata/tools/commands.h"
#include "strata/tools/run.h"
#include "strata/tools/run_config.h"

namespace strata::tools {

namespace {

const char* kProfileHelp = R"(usage: strata profile <config.json> [options]

Builds the config's model, loss, optimizer and data, trains W warm-up steps and then N profiled steps (the
training loop of `strata train`, with the doctor at its configured period, without validation or early
stopping), and prints where the time of a step goes: one row per op (forward self time), per autograd node
(backward), the optimizer's step, and the phases of the step. Writes nothing; the weights are thrown away.
docs/performance.md ("Profiling") says what each row measures.

Options:
  --steps N           profiled optimizer steps (default 20)
  --warmup W          warm-up steps before the profile starts (default 3, at least 1: the profile starts
                      when a step ends)
  --top K             print the K largest rows only (default: all)
  --json              print the profile as JSON instead of the table
  --help              this text
)";

}  // namespace

int profile_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--steps", "--warmup", "--top"}, {"--json", "--help"}, "profile");
  if (a.options.count("--help")) {
    out << kProfileHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata profile: expected one config file (see strata profile --help)");
  auto option = [&](const char* name, int64_t def, int64_t min) {
    if (!a.options.count(name)) return def;
    const int64_t v = parse_int(a.options[name], name);
    usage_check(v >= min, "strata profile: ", name, " must be >= ", min, ", got ", v);
    return v;
  };
  const int64_t steps = option("--steps", 20, 1);
  // The window opens when a step ends, so at least one warm-up step keeps the model's setup out of it.
  const int64_t warmup = option("--warmup", 3, 1);
  const int64_t top = option("--top", 0, 1);
  const std::string& path = a.positional[0];
  io::Json j = io::load_json_file(path);
  STRATA_CHECK(j.is_object(), path, ": expected a JSON object");
  j.annotate(path);
  RunConfig cfg = parse_run_config(j, path);
  // Enough epochs for every step however small the data; no validation passes inside the window.
  cfg.epochs = std::max<int64_t>(cfg.epochs, warmup + steps);
  cfg.data.validation_split = 0;
  cfg.early_stopping.enabled = false;
  RunOptions ro;
  ro.out = nullptr;
  ro.write_files = false;
  ro.max_steps = warmup + steps;
  diag::Profile p;
  {
    diag::Profiler prof({.warmup_steps = warmup, .max_steps = steps});
    run_training(cfg, ro);
    p = prof.result();
  }
  STRATA_CHECK(p.steps == steps, "strata profile: ", path, " trained ", p.steps, " profiled steps instead of ", steps,
               " (did training stop early?)");
  if (a.options.count("--json")) {
    out << p.to_json().dump(2) << "\n";
  } else {
    out << "strata profile " << path << ": " << warmup << " warm-up steps, then\n" << p.table(top);
  }
  return 0;
}

}  // namespace strata::tools
