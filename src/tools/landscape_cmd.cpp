// `strata landscape`: loss along the line from a run's initial to its final weights, and on a random
// filter-normalised plane through the final weights (diag/landscape.h), on a fixed subset of the training data.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/diag/landscape.h"
#include "strata/io/atomic_file.h"
#include "strata/io/safetensors.h"
#include "strata/ops/creation.h"
#include "strata/tools/commands.h"
#include "strata/tools/run.h"
#include "tools/run_folder.h"
#include "tools/run_report.h"

namespace strata::tools {

namespace {

const char* kLandscapeHelp = R"(usage: strata landscape <run dir> [options]

Slices of the loss landscape of a trained run (docs/landscape.md): the loss along the straight line
theta(a) = (1-a) init + a final for a in [-0.25, 1.25] (Goodfellow et al. 2015), and on the plane
final + a d1 + b d2 for a, b in [-range, range], d1 and d2 random Gaussian directions with every filter
rescaled to the norm of the final weights' filter, biases and norm parameters left out (Li et al. 2018).
The loss is the config's, on the first N training examples, in eval mode (batch norm uses the final
run's statistics). Reads <run dir>/config.json, init.safetensors and model.safetensors; writes
<run dir>/landscape.json (atomically) and prints a summary: the loss at a = 0, 0.5, 1, whether the line
descends monotonically, and for the plane its minimum, the centre, the mean relative rise at radius 0.5
and 1 (sharpness), the curvatures at the centre and the fraction of non-convex grid points.

Options:
  --points N          points on the line (default 25)
  --steps N           grid points per axis of the plane, odd (default 15: 225 evaluations)
  --range R           half-width of the plane in direction units (default 1)
  --eval-examples N   training examples the loss is measured on (default 512)
  --seed N            seed of the random directions (default 0)
  --no-surface        the line only
  --help              this text
)";

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

io::Json num(double v) { return std::isfinite(v) ? io::Json(v) : io::Json(nullptr); }

}  // namespace

int landscape_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--points", "--steps", "--range", "--eval-examples", "--seed"},
                      {"--no-surface", "--help"}, "landscape");
  if (a.options.count("--help")) {
    out << kLandscapeHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata landscape: expected one run folder (see strata landscape --help)");
  const std::string dir = a.positional[0];
  diag::LineOptions lo;
  diag::SurfaceOptions so;
  int64_t examples = 512;
  if (a.options.count("--points")) lo.points = parse_int(a.options["--points"], "--points");
  if (a.options.count("--steps")) so.steps = parse_int(a.options["--steps"], "--steps");
  if (a.options.count("--range")) so.range = parse_double(a.options["--range"], "--range");
  if (a.options.count("--seed")) so.seed = static_cast<uint64_t>(parse_int(a.options["--seed"], "--seed"));
  if (a.options.count("--eval-examples")) examples = parse_int(a.options["--eval-examples"], "--eval-examples");
  const bool surface_on = a.options.count("--no-surface") == 0;
  usage_check(lo.points >= 2, "--points: expected at least 2, got ", lo.points);
  usage_check(!surface_on || (so.steps >= 3 && so.steps % 2 == 1), "--steps: expected an odd number >= 3, got ",
              so.steps);
  usage_check(so.range > 0, "--range: expected a positive number, got ", so.range);
  usage_check(examples >= 1, "--eval-examples: expected at least 1, got ", examples);

  STRATA_CHECK(std::filesystem::is_directory(dir), dir, ": no such run folder (strata train writes one)");
  std::string note;
  const std::string config_path = dir + "/config.json", init_path = dir + "/init.safetensors",
                    final_path = detail::weights_or_latest_checkpoint(dir + "/model.safetensors", note);
  STRATA_CHECK(std::filesystem::exists(config_path), config_path, ": not found; is ", dir, " a run folder?");
  STRATA_CHECK(std::filesystem::exists(init_path), init_path,
               ": not found (runs trained before strata saved initial weights have none); retrain with this "
               "version of strata train");
  STRATA_CHECK(std::filesystem::exists(final_path), final_path, ": not found (did the training finish?)");
  out << note;
  const RunConfig config = load_run_config(config_path);
  const Datasets data = load_datasets(config);
  auto model = load_model(config, data, final_path);
  nn::StateDict final_weights;  // copies: state_dict() shares storage with the model
  for (const auto& [k, t] : model->state_dict()) final_weights.insert(k, t.clone());
  const nn::StateDict theta0 = io::load_safetensors(init_path).tensors;
  try {
    model->load_state_dict(theta0, /*strict=*/true);  // checks keys and shapes
  } catch (const Error& e) {
    STRATA_FAIL(init_path, ": the weights do not fit the model of ", config_path, ": ", e.what());
  }
  model->load_state_dict(final_weights, /*strict=*/true);

  // The fixed evaluation set: the first N training examples, gathered once.
  const int64_t n = std::min(examples, data.train->size());
  std::vector<data::Batch> batches;
  for (int64_t start = 0; start < n; start += config.eval_batch_size) {
    const int64_t len = std::min(config.eval_batch_size, n - start);
    batches.push_back(data.train->get_batch(arange(start, start + len, 1, TensorOptions(kInt64))));
  }
  auto loss = build_loss(config.loss, data.classification ? dataset_targets(*data.train) : Tensor(), data.num_classes);
  auto eval_loss = [&] {
    double sum = 0;
    for (const data::Batch& b : batches) {
      sum += (*loss)(model->forward(b.input), b.target).item() * static_cast<double>(b.input.size(0));
    }
    return sum / static_cast<double>(n);
  };

  out << "Loss landscape of " << dir << " (" << model->num_parameters() << " parameters) on " << n
      << " training examples\n";
  const auto t0 = std::chrono::steady_clock::now();
  const diag::Line line = diag::loss_along_line(*model, theta0, final_weights, eval_loss, lo);
  const diag::LineSummary ls = diag::summarize(line);
  out << "Line init -> final (" << lo.points << " points, alpha " << lo.from << " .. " << lo.to << "):\n"
      << "  loss at alpha 0 (init) " << fmt("%.4f", ls.loss0) << ", 0.5 " << fmt("%.4f", ls.loss_half) << ", 1 (final) "
      << fmt("%.4f", ls.loss1) << "\n"
      << "  " << (ls.monotone ? "monotone decrease" : "not monotone") << " on [0, 1]"
      << (ls.monotone ? "" : " (largest rise between neighbouring points " + fmt("%.4g", ls.max_rise) + ")")
      << "; minimum " << fmt("%.4f", ls.min_loss) << " at alpha " << fmt("%.4g", ls.min_alpha) << "\n";
  io::Json summary = io::Json::object();
  io::Json jl = io::Json::object();
  jl.set("loss_alpha0", num(ls.loss0));
  jl.set("loss_alpha_half", num(ls.loss_half));
  jl.set("loss_alpha1", num(ls.loss1));
  jl.set("monotone", ls.monotone);
  jl.set("max_rise", num(ls.max_rise));
  jl.set("min_loss", num(ls.min_loss));
  jl.set("min_alpha", num(ls.min_alpha));
  summary.set("line", jl);

  std::optional<diag::Surface> surface;
  if (surface_on) {
    surface = diag::loss_surface(*model, eval_loss, so);
    const diag::SurfaceSummary ss = diag::summarize(*surface);
    out << "Plane through the final weights (" << so.steps << " x " << so.steps << ", range " << so.range << ", seed "
        << so.seed << "):\n"
        << "  centre " << fmt("%.4f", ss.center) << ", minimum " << fmt("%.4f", ss.min_loss) << " at (a, b) = ("
        << fmt("%.3g", ss.min_a) << ", " << fmt("%.3g", ss.min_b) << ")\n"
        << "  mean rise relative to the centre: " << fmt("%.3g", ss.rise_half) << " at radius 0.5, "
        << fmt("%.3g", ss.rise_one) << " at radius 1\n"
        << "  curvature at the centre: " << fmt("%.4g", ss.curvature_min) << " .. " << fmt("%.4g", ss.curvature_max)
        << "; non-convex grid points " << fmt("%.1f", 100 * ss.nonconvex_fraction) << "%";
    if (ss.nonfinite_points > 0) out << "; " << ss.nonfinite_points << " points not finite";
    out << "\n";
    io::Json js = io::Json::object();
    js.set("center", num(ss.center));
    js.set("min_loss", num(ss.min_loss));
    js.set("min_a", num(ss.min_a));
    js.set("min_b", num(ss.min_b));
    js.set("rise_radius_half", num(ss.rise_half));
    js.set("rise_radius_one", num(ss.rise_one));
    js.set("curvature_min", num(ss.curvature_min));
    js.set("curvature_max", num(ss.curvature_max));
    js.set("nonconvex_fraction", num(ss.nonconvex_fraction));
    js.set("nonfinite_points", ss.nonfinite_points);
    summary.set("surface", js);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  io::Json j = diag::to_json(line, surface ? &*surface : nullptr);
  j.set("summary", summary);
  j.set("eval_examples", n);
  if (surface) j.set("seed", static_cast<int64_t>(so.seed));
  const std::string path = dir + "/landscape.json";
  const std::string text = j.dump(2) + "\n";
  io::AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
  out << "Wrote " << path << " (" << fmt("%.1f", secs) << " s)\n";
  add_to_report(dir, "landscape", j);
  return 0;
}

}  // namespace strata::tools
