// Worked example, exponentially weighted averages: v_t = beta v_{t-1} + (1 - beta) x_t over a noisy daily series,
// bias correction v_t / (1 - beta^t), and Adam's first moment, which is exactly this average of the gradients.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/ops/creation.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace exponentially_weighted_averages_lab {

struct Ewa {
  std::vector<double> raw, corrected;
};

Ewa ewa(const std::vector<double>& x, double beta) {
  Ewa e;
  double v = 0, power = 1;
  for (double xi : x) {
    v = beta * v + (1 - beta) * xi;
    power *= beta;
    e.raw.push_back(v);
    e.corrected.push_back(v / (1 - power));
  }
  return e;
}

double mean_abs_error(const std::vector<double>& a, const std::vector<double>& b, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += std::fabs(a[i] - b[i]);
  return s / static_cast<double>(end - begin);
}

// Standard deviation of the day-to-day changes: how jagged a curve is.
double roughness(const std::vector<double>& v, size_t begin) {
  std::vector<double> d;
  for (size_t i = begin + 1; i < v.size(); ++i) d.push_back(v[i] - v[i - 1]);
  double m = 0, s = 0;
  for (double x : d) m += x;
  m /= static_cast<double>(d.size());
  for (double x : d) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(d.size()));
}

void run(LabRun& lab) {
  using kit::fmt;
  lab.heading("A year of noisy daily temperatures");
  const size_t days = 365;
  Generator gen(lab.seed());
  std::vector<double> level, x;
  for (size_t t = 0; t < days; ++t) {
    double l = 12 - 8 * std::cos(2 * std::numbers::pi * static_cast<double>(t) / 365.0);
    level.push_back(l);
    x.push_back(l + 3 * gen.normal_double());
  }
  Ewa e90 = ewa(x, 0.9), e98 = ewa(x, 0.98);
  std::vector<double> days_x = kit::iota(days, 1);
  lab.line_plot({"Daily values and their exponentially weighted averages", "day", "temperature"},
                {{"measured", days_x, x, false, true},
                 {"true level", days_x, level, true},
                 {"beta 0.9", days_x, e90.corrected},
                 {"beta 0.98", days_x, e98.corrected}});
  double err_raw = mean_abs_error(x, level, 60, days), err90 = mean_abs_error(e90.corrected, level, 60, days);
  double err98 = mean_abs_error(e98.corrected, level, 60, days);
  double rough90 = roughness(e90.corrected, 60), rough98 = roughness(e98.corrected, 60);
  lab.table("from day 60 on (bias-corrected averages)", {"series", "mean |value - true level|", "std of daily change"},
            {{"measured", fmt(err_raw), fmt(roughness(x, 60))},
             {"beta 0.9", fmt(err90), fmt(rough90)},
             {"beta 0.98", fmt(err98), fmt(rough98)}});
  lab.note(
      "beta averages over roughly 1 / (1 - beta) days: 0.98 is smoother than 0.9 but lags further behind the "
      "seasonal trend, so here it ends up further from the true level.");
  lab.claim(
      "beta 0.9's average is closer to the true level than the raw measurements, and beta 0.98's lag makes it "
      "further off than beta 0.9's",
      err90 < 0.7 * err_raw && err98 > err90,
      "mean error raw " + fmt(err_raw) + ", beta 0.9 " + fmt(err90) + ", beta 0.98 " + fmt(err98));
  lab.claim("beta 0.98 is smoother (day-to-day changes at most half of beta 0.9's)", rough98 <= 0.5 * rough90,
            fmt(rough98) + " vs " + fmt(rough90));

  lab.heading("Bias correction: the average starts at v_0 = 0");
  std::vector<std::vector<std::string>> rows;
  for (size_t t : {size_t{0}, size_t{1}, size_t{2}, size_t{4}, size_t{9}, size_t{49}}) {
    rows.push_back({std::to_string(t + 1), fmt(x[t]), fmt(e98.raw[t]), fmt(e98.corrected[t]), fmt(level[t])});
  }
  lab.table("beta 0.98", {"day", "measured", "v_t", "v_t / (1 - 0.98^t)", "true level"}, rows);
  std::vector<double> first = kit::iota(40, 1);
  lab.line_plot({"The first 40 days, beta 0.98", "day", "temperature"},
                {{"measured", first, {x.begin(), x.begin() + 40}, false, true},
                 {"true level", first, {level.begin(), level.begin() + 40}, true},
                 {"uncorrected v_t", first, {e98.raw.begin(), e98.raw.begin() + 40}},
                 {"bias-corrected", first, {e98.corrected.begin(), e98.corrected.begin() + 40}}});
  double d_raw = std::fabs(e98.raw[0] - 0.02 * x[0]), d_cor = std::fabs(e98.corrected[0] - x[0]);
  lab.claim("on day 1 the uncorrected average is (1 - beta) x_1 = 0.02 x_1 and the corrected one is x_1",
            d_raw < 1e-12 && d_cor < 1e-12,
            "v_1 " + fmt(e98.raw[0]) + " = 0.02 x " + fmt(x[0]) + "; corrected " + fmt(e98.corrected[0]));
  double early_raw = mean_abs_error(e98.raw, level, 0, 20), early_cor = mean_abs_error(e98.corrected, level, 0, 20);
  lab.claim("over the first 20 days the corrected average is at least 3x closer to the true level",
            early_cor * 3 <= early_raw,
            "mean error " + fmt(early_cor) + " corrected vs " + fmt(early_raw) + " uncorrected");

  lab.heading("Adam's first moment is this average of the gradients");
  const int64_t dim = 4, steps = 50;
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, adam_eps = 1e-8;
  Tensor p = zeros({dim}, TensorOptions(kFloat64)).requires_grad_();
  optim::Adam adam({p}, {.lr = lr, .beta1 = b1, .beta2 = b2, .eps = adam_eps});
  std::vector<double> m(dim, 0), v(dim, 0);
  double max_m_diff = 0, max_step_rel = 0, first_step_uncorrected_ratio = 0;
  for (int64_t t = 1; t <= steps; ++t) {
    std::vector<double> g(dim);
    for (int64_t i = 0; i < dim; ++i) g[static_cast<size_t>(i)] = x[static_cast<size_t>(t * dim + i) % days] / 10.0;
    std::vector<double> before = kit::values(p);
    p.set_grad(from_vector(g, {dim}));
    adam.step();
    std::vector<double> after = kit::values(p);
    std::vector<double> exp_avg = kit::values(adam.state(p)->tensors.at("exp_avg"));
    double c1 = 1 - std::pow(b1, static_cast<double>(t)), c2 = 1 - std::pow(b2, static_cast<double>(t));
    for (size_t i = 0; i < static_cast<size_t>(dim); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      max_m_diff = std::max(max_m_diff, std::fabs(exp_avg[i] - m[i]));
      double expected = lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + adam_eps);
      double taken = before[i] - after[i];
      max_step_rel = std::max(max_step_rel, std::fabs(taken - expected) / std::fabs(expected));
      if (t == 1 && i == 0) first_step_uncorrected_ratio = (lr * m[i] / (std::sqrt(v[i]) + adam_eps)) / taken;
    }
  }
  lab.value("largest |exp_avg - EWA(gradients)| over " + std::to_string(steps) + " steps", max_m_diff);
  lab.value("largest relative difference between Adam's step and lr * m_hat / (sqrt(v_hat) + eps)", max_step_rel);
  lab.value("first step without bias correction / Adam's first step", first_step_uncorrected_ratio);
  lab.note(
      "Without the correction Adam's first step would be (1 - beta1) / sqrt(1 - beta2) = 0.1 / 0.0316 = 3.16x its "
      "corrected size, and unequal across parameters with different gradient scales; the correction makes the first "
      "step lr in size.");
  lab.claim("Adam's state exp_avg equals the EWA (beta 0.9) of the gradients fed to it (float64, difference < 1e-12)",
            max_m_diff < 1e-12, "largest difference " + fmt(max_m_diff));
  lab.claim("Adam's step equals lr * m_hat / (sqrt(v_hat) + eps) with both moments bias-corrected (relative < 1e-9)",
            max_step_rel < 1e-9, "largest relative difference " + fmt(max_step_rel));
}

}  // namespace exponentially_weighted_averages_lab

Lab lab_exponentially_weighted_averages() {
  return {0,
          "exponentially_weighted_averages",
          "Exponentially weighted averages",
          "An exponentially weighted average keeps one number, v_t = beta v_{t-1} + (1 - beta) x_t, which weighs the "
          "recent past most and forgets old values geometrically; it averages over roughly 1 / (1 - beta) points. "
          "Starting from v_0 = 0 makes the early values too small, which dividing by 1 - beta^t corrects. Momentum, "
          "RMSprop and Adam keep exactly such averages of the gradients and their squares.",
          "the first plot (0.98 smoother but later than 0.9), the first-40-days plot (the uncorrected curve starts "
          "near 0 and crawls up), and the Adam numbers: differences at rounding level.",
          exponentially_weighted_averages_lab::run};
}

}  // namespace strata::labs
