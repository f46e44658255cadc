// Lab 186, loss landscape: the loss along the straight line from the initial to the trained weights, and on a
// plane of two filter-normalised random directions around the trained weights (diag/landscape.h), for a deep
// plain MLP and the same MLP with residual connections.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/diag/landscape.h"
#include "strata/labs/lab.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/init.h"
#include "strata/nn/linear.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace loss_landscape_lab {

constexpr int64_t kWidth = 32;
constexpr int64_t kBlocks = 10;

nn::ModulePtr linear(int64_t in, int64_t out, double gain) {
  auto l = std::make_shared<nn::Linear>(in, out);
  nn::init::kaiming_normal_(l->param("weight"), 0.0, "fan_in", "relu");
  {
    NoGradGuard no_grad;
    l->param("weight").mul_(gain);
  }
  nn::init::zeros_(l->param("bias"));
  return l;
}

// 2 -> 32, then 10 blocks ReLU -> Linear(32, 32) (plain, He init) or x + (ReLU -> Linear) (residual, the inner
// layer scaled down so that the sum stays in range), then ReLU -> Linear(32, 3).
nn::ModulePtr build(bool residual) {
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(linear(2, kWidth, 1.0));
  for (int64_t i = 0; i < kBlocks; ++i) {
    auto block = std::make_shared<nn::Sequential>();
    block->push_back(std::make_shared<nn::ReLU>());
    block->push_back(linear(kWidth, kWidth, residual ? 0.3 : 1.0));
    if (residual) {
      m->push_back(std::make_shared<kit::Residual>(block));
    } else {
      m->push_back(block);
    }
  }
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(linear(kWidth, 3, 1.0));
  return m;
}

nn::StateDict copy_state(const nn::Module& model) {
  nn::StateDict s;
  for (const auto& [k, v] : model.state_dict()) s.insert(k, v.detach().clone());
  return s;
}

struct Result {
  diag::Line line;
  diag::Surface surface;
  diag::LineSummary line_sum;
  diag::SurfaceSummary surf_sum;
  double acc = 0;
};

Result study(bool residual, const kit::XY& data, const kit::XY& probe, int64_t epochs, int64_t steps, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = build(residual);
  nn::StateDict init = copy_state(*model);
  nn::CrossEntropyLoss loss;
  optim::Adam opt(model->parameters(), {.lr = 3e-3});
  train::FitOptions fo;
  fo.epochs = epochs;
  fo.clip_grad_norm = 5.0;
  kit::fit(*model, loss, opt, data, 32, fo, nullptr, seed);
  Result r;
  r.acc = kit::accuracy(*model, data);
  nn::StateDict trained = copy_state(*model);
  auto eval_loss = [&] { return loss((*model)(probe.x), probe.y).item(); };
  r.line = diag::loss_along_line(*model, init, trained, eval_loss, {.points = 25});
  r.surface = diag::loss_surface(*model, eval_loss, {.steps = steps, .range = 1.0, .seed = seed});
  r.line_sum = diag::summarize(r.line);
  r.surf_sum = diag::summarize(r.surface);
  return r;
}

void run(LabRun& lab) {
  using kit::fmt;
  kit::XY data = kit::spirals(lab.pick<int64_t>(768, 384), 3, 0.02, lab.seed());
  kit::XY probe = kit::rows(data, 0, std::min<int64_t>(data.size(), 384));
  const int64_t epochs = 30;  // fewer leave the quick runs half-trained
  const int64_t steps = lab.pick<int64_t>(15, 9);
  Result plain = study(false, data, probe, epochs, steps, lab.seed());
  Result res = study(true, data, probe, epochs, steps, lab.seed());

  lab.heading("From the initial to the trained weights: loss at (1 - a) w0 + a w1");
  lab.line_plot({"Linear interpolation (a = 0: init, a = 1: trained)", "a", "loss", false, true},
                {{"plain", plain.line.alpha, plain.line.loss}, {"residual", res.line.alpha, res.line.loss}});
  lab.table("", {"network", "loss at init", "at a = 0.5", "trained", "monotone on [0, 1]", "accuracy"},
            {{"plain", fmt(plain.line_sum.loss0), fmt(plain.line_sum.loss_half), fmt(plain.line_sum.loss1),
              plain.line_sum.monotone ? "yes" : "no", kit::pct(plain.acc)},
             {"residual", fmt(res.line_sum.loss0), fmt(res.line_sum.loss_half), fmt(res.line_sum.loss1),
              res.line_sum.monotone ? "yes" : "no", kit::pct(res.acc)}});

  lab.heading("Around the trained weights: a plane of two filter-normalised random directions");
  std::vector<std::string> ticks;
  for (double a : plain.surface.a) ticks.push_back(fmt(a, 2));
  std::vector<std::string> rticks(ticks.rbegin(), ticks.rend());
  auto grid = [](const diag::Surface& s) {
    std::vector<std::vector<double>> z;
    for (auto it = s.loss.rbegin(); it != s.loss.rend(); ++it) {
      std::vector<double> row;
      for (double v : *it) row.push_back(std::log10(std::isfinite(v) ? v : 1e3));
      z.push_back(row);
    }
    return z;
  };
  lab.heatmap({"plain: log10 loss over [-1, 1]^2 (centre: trained)", "direction 1", "direction 2"},
              grid(plain.surface));
  lab.heatmap({"residual: log10 loss over [-1, 1]^2 (centre: trained)", "direction 1", "direction 2"},
              grid(res.surface));
  lab.table("rise = mean of (loss - centre) / centre at that distance from the centre",
            {"network", "loss at centre", "lowest in the slice", "rise at 0.5", "rise at 1.0", "non-convex points"},
            {{"plain", fmt(plain.surf_sum.center), fmt(plain.surf_sum.min_loss), fmt(plain.surf_sum.rise_half),
              fmt(plain.surf_sum.rise_one), kit::pct(plain.surf_sum.nonconvex_fraction)},
             {"residual", fmt(res.surf_sum.center), fmt(res.surf_sum.min_loss), fmt(res.surf_sum.rise_half),
              fmt(res.surf_sum.rise_one), kit::pct(res.surf_sum.nonconvex_fraction)}});
  // The report's section reads a line as centred on the trained weights; ours runs from init (0) to trained (1),
  // so only the plane goes there.
  io::Json landscape = io::Json::object();
  landscape["surface"] = diag::to_json(plain.line, &plain.surface).at("surface");
  landscape["note"] = "the plain MLP's plane around its trained weights (the residual one is in the heatmap above)";
  lab.page()["landscape"] = landscape;

  lab.note(
      "Li et al. found the plain network's surface chaotic and the residual one's a smooth bowl for 56-layer "
      "convolutional networks. At this small size the summary numbers of the two vary more from seed to seed than "
      "between the networks (compare --seed 0, 1, 2), so the lab claims only what holds for both at every seed.");
  const double step = 2.0 / static_cast<double>(steps - 1);
  for (const Result* r : {&plain, &res}) {
    const diag::SurfaceSummary& s = r->surf_sum;
    std::string who = r == &plain ? "plain" : "residual";
    lab.claim(who +
                  ": the slice's lowest point is within one grid step of the trained weights and at most 10% "
                  "below their loss",
              std::fabs(s.min_a) <= step + 1e-9 && std::fabs(s.min_b) <= step + 1e-9 && s.center <= 1.1 * s.min_loss,
              "centre " + fmt(s.center) + ", minimum " + fmt(s.min_loss) + " at (" + fmt(s.min_a) + ", " +
                  fmt(s.min_b) + ")");
    lab.claim(who + ": the loss at radius 1 is at least 2x the trained loss (the minimum is a basin, not a plateau)",
              s.rise_one >= 1.0, "relative rise at radius 1: " + fmt(s.rise_one));
    lab.claim(who + ": along the line the trained loss is under half the initial loss",
              r->line_sum.loss1 < 0.5 * r->line_sum.loss0, fmt(r->line_sum.loss0) + " -> " + fmt(r->line_sum.loss1));
  }
}

}  // namespace loss_landscape_lab

Lab lab_loss_landscape() {
  return {186,
          "loss_landscape",
          "Loss landscape",
          "The loss is a function of millions of weights; we can only look at slices. The line from the initial to "
          "the trained weights shows whether training went steadily downhill; a plane through the trained weights "
          "along two random directions, each rescaled filter by filter to the size of the weights it perturbs, shows "
          "how sharp the minimum is. Li et al. found residual connections turn a deep network's chaotic surface into "
          "a smooth bowl.",
          "the line plot (both runs go downhill from init to trained), the two heatmaps (a basin around the trained "
          "weights at the centre) and the rise and non-convex columns of the table.",
          loss_landscape_lab::run};
}

}  // namespace strata::labs
