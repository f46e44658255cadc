// Worked example: optimizers. SGD, SGD with momentum, RMSprop and Adam on the Rosenbrock function, a long, narrow,
// curved valley: each at its best learning rate from a small sweep, the same number of steps, loss curves and
// the paths they take.
#include <cmath>
#include <limits>
#include <memory>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/optim/adam.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"

namespace strata::labs {

namespace optimizers_lab {

// f(x, y) = (1 - x)^2 + 100 (y - x^2)^2: minimum 0 at (1, 1), at the end of a curved valley whose walls are
// about 100 times steeper than its floor.
Tensor rosenbrock(const Tensor& p) {
  Tensor x = p.select(0, 0), y = p.select(0, 1);
  return add(square(rsub(x, 1.0)), mul(square(sub(y, square(x))), 100.0));
}

struct Run {
  std::vector<double> loss, xs, ys;
  double final_loss = 0;
};

Run descend(const std::string& kind, double lr, const std::vector<double>& start, int64_t steps) {
  Tensor p = from_vector(start, {2}, TensorOptions(kFloat64));
  p.requires_grad_(true);
  std::unique_ptr<optim::Optimizer> opt;
  if (kind == "SGD") opt = std::make_unique<optim::SGD>(TensorList{p}, optim::SGDOptions{.lr = lr});
  if (kind == "SGD + momentum 0.9")
    opt = std::make_unique<optim::SGD>(TensorList{p}, optim::SGDOptions{.lr = lr, .momentum = 0.9});
  if (kind == "RMSprop") opt = std::make_unique<optim::RMSprop>(TensorList{p}, optim::RMSpropOptions{.lr = lr});
  if (kind == "Adam") opt = std::make_unique<optim::Adam>(TensorList{p}, optim::AdamOptions{.lr = lr});
  STRATA_CHECK(opt != nullptr, "[optimizers lab] unknown optimizer ", kind);
  Run r;
  for (int64_t i = 0; i <= steps; ++i) {
    std::vector<double> v = kit::values(p);
    r.xs.push_back(v[0]);
    r.ys.push_back(v[1]);
    opt->zero_grad();
    Tensor l = rosenbrock(p);
    double lv = l.item();
    r.loss.push_back(lv);
    if (!std::isfinite(lv) || i == steps) break;
    l.backward();
    opt->step();
  }
  r.final_loss = std::isfinite(r.loss.back()) ? r.loss.back() : std::numeric_limits<double>::infinity();
  return r;
}

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t steps = lab.pick<int64_t>(1000, 500);
  Generator gen(lab.seed());
  const std::vector<double> start = {-1.5 + 0.1 * gen.normal_double(), 1.5 + 0.1 * gen.normal_double()};
  lab.note(
      "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, the Rosenbrock function: the minimum f = 0 is at (1, 1), at "
      "the end of a long, curved, narrow valley. Start (" +
      fmt(start[0], 3) + ", " + fmt(start[1], 3) + "), " + std::to_string(steps) + " steps for everyone.");
  struct Sweep {
    std::string name;
    std::vector<double> lrs;
  };
  const std::vector<Sweep> sweeps = {{"SGD", {1e-4, 3e-4, 1e-3, 2e-3, 4e-3}},
                                     {"SGD + momentum 0.9", {3e-5, 1e-4, 3e-4, 1e-3, 3e-3}},
                                     {"RMSprop", {1e-3, 3e-3, 1e-2, 3e-2, 1e-1}},
                                     {"Adam", {3e-3, 1e-2, 3e-2, 1e-1, 3e-1}}};
  std::vector<std::vector<std::string>> rows;
  std::vector<Run> best;
  std::vector<double> best_lr;
  for (const Sweep& s : sweeps) {
    std::vector<std::string> row = {s.name};
    Run b;
    double blr = 0;
    b.final_loss = std::numeric_limits<double>::infinity();
    for (double lr : s.lrs) {
      Run r = descend(s.name, lr, start, steps);
      row.push_back(fmt(lr) + ": " + (std::isfinite(r.final_loss) ? fmt(r.final_loss) : "diverged"));
      if (r.final_loss < b.final_loss) b = r, blr = lr;
    }
    rows.push_back(row);
    best.push_back(b);
    best_lr.push_back(blr);
  }
  lab.table("final loss for each learning rate of the sweep", {"optimizer", "lr 1", "lr 2", "lr 3", "lr 4", "lr 5"},
            rows);
  rows.clear();
  std::vector<Series> curves, paths;
  for (size_t i = 0; i < sweeps.size(); ++i) {
    rows.push_back({sweeps[i].name, fmt(best_lr[i]), fmt(best[i].final_loss), fmt(best[i].xs.back(), 4),
                    fmt(best[i].ys.back(), 4)});
    curves.push_back({sweeps[i].name + " (lr " + fmt(best_lr[i]) + ")", kit::iota(best[i].loss.size()), best[i].loss});
    paths.push_back({sweeps[i].name, best[i].xs, best[i].ys});
  }
  std::vector<double> vx, vy;
  for (int i = 0; i <= 40; ++i) {
    double x = -1.6 + 2.7 * i / 40.0;
    vx.push_back(x);
    vy.push_back(x * x);
  }
  paths.push_back({"valley floor y = x^2", vx, vy, true});
  lab.table("each optimizer at its best learning rate", {"optimizer", "best lr", "final loss", "x", "y"}, rows);
  lab.line_plot({"Loss at the best learning rate", "step", "f(x, y)", false, true}, curves);
  lab.line_plot({"Paths in the (x, y) plane (minimum at (1, 1))", "x", "y"}, paths);
  lab.note(
      "Plain SGD is held back by the steep walls: a learning rate large enough to move along the flat floor "
      "makes it bounce across (or out of) the valley, so it must creep. Momentum accumulates the small, "
      "consistent push along the floor while the back-and-forth across it cancels. RMSprop and Adam divide "
      "each coordinate's step by the recent size of its gradient, so the steep and flat directions get "
      "similar step sizes; Adam adds momentum on top. Measured here, RMSprop without momentum ends in the same "
      "range as SGD: steps of about lr per coordinate keep zigzagging across the curved floor instead of "
      "settling.");
  const double sgd = best[0].final_loss, mom = best[1].final_loss, adam = best[3].final_loss;
  lab.claim("at their best learning rates, SGD with momentum and Adam end at least 10x lower than plain SGD",
            mom * 10 <= sgd && adam * 10 <= sgd, "SGD " + fmt(sgd) + ", momentum " + fmt(mom) + ", Adam " + fmt(adam));
}

}  // namespace optimizers_lab

Lab lab_optimizers() {
  return {0,
          "optimizers",
          "Optimizers: SGD, momentum, RMSprop, Adam",
          "An optimizer turns gradients into parameter updates. Plain SGD steps against the gradient at one fixed "
          "rate; momentum keeps a running average of past gradients, so consistent directions build up speed and "
          "oscillating ones cancel; RMSprop scales each parameter's step by the root mean square of its recent "
          "gradients; Adam combines both, with bias correction for the first steps.",
          "the best-learning-rate table and the log-scale loss plot: in the same number of steps, momentum and "
          "Adam get far closer to the minimum than SGD at its best rate; the path plot shows SGD creeping along "
          "the valley.",
          optimizers_lab::run};
}

}  // namespace strata::labs
