// Worked example, cross-entropy as surprise: -log q for a range of probabilities, -sum p log q by hand against
// the library's cross_entropy (hard labels, and soft labels through label smoothing), and cross-entropy never
// below the entropy, with equality only when the prediction equals the truth.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/losses.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/softmax.h"

namespace strata::labs {

namespace cross_entropy_lab {

// H(p, q) = -sum p log q for distributions given as vectors.
double cross_entropy_of(const std::vector<double>& p, const std::vector<double>& q) {
  double h = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] > 0) h -= p[i] * std::log(q[i]);
  return h;
}

Tensor logits_of(const std::vector<double>& q) {
  std::vector<double> l;
  for (double v : q) l.push_back(std::log(v));
  return from_vector(l, {1, static_cast<int64_t>(q.size())});
}

void run(LabRun& lab) {
  using kit::fmt;
  const TensorOptions f64(kFloat64);
  lab.heading("Surprise: the cost -log q of giving probability q to what actually happened");
  std::vector<std::vector<std::string>> rows;
  std::vector<double> qs = {0.99, 0.9, 0.7, 0.5, 0.3, 0.1, 0.01}, costs;
  double worst = 0;
  for (double q : qs) {
    // The library's loss for a 2-class prediction (q, 1 - q) when class 0 is the truth.
    double lib = cross_entropy(logits_of({q, 1 - q}), zeros({1}, TensorOptions(kInt64))).item();
    worst = std::max(worst, std::fabs(lib + std::log(q)));
    costs.push_back(lib);
    rows.push_back({fmt(q), fmt(lib, 4), fmt(lib / std::log(2.0), 4)});
  }
  lab.table("", {"q (true outcome)", "-log q (nats)", "-log2 q (bits)"}, rows);
  lab.line_plot({"Surprise against probability", "q", "-log q (nats)", true, false}, {{"-log q", qs, costs}});
  lab.claim(
      "the library's cross_entropy is -log q of the true class, and a confident wrong answer (q = 0.01) costs "
      "4.6 nats, 458x a confident right one (q = 0.99)",
      worst < 1e-12 && std::fabs(costs.back() - 4.605) < 1e-3 && costs.back() / costs.front() > 450,
      "largest difference " + fmt(worst) + ", " + fmt(costs.back(), 4) + " vs " + fmt(costs.front(), 4) +
          " nats = " + kit::times(costs.back() / costs.front()));

  lab.heading("-sum p log q by hand against the library");
  manual_seed(lab.seed());
  const int64_t n = 8, k = 4;
  Tensor logits = randn({n, k}, f64);
  Tensor target = from_vector(std::vector<int64_t>{0, 1, 2, 3, 3, 2, 1, 0}, {n});
  std::vector<double> z = kit::values(logits.reshape({n * k})), t = kit::values(target.to(kFloat64));
  double hard = 0, soft = 0;
  const double eps = 0.1;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> q(static_cast<size_t>(k)), p_hard(static_cast<size_t>(k)), p_soft(static_cast<size_t>(k));
    double norm = 0;
    for (int64_t j = 0; j < k; ++j) norm += std::exp(z[static_cast<size_t>(i * k + j)]);
    for (int64_t j = 0; j < k; ++j) {
      size_t jj = static_cast<size_t>(j);
      q[jj] = std::exp(z[static_cast<size_t>(i * k + j)]) / norm;
      p_hard[jj] = j == static_cast<int64_t>(t[static_cast<size_t>(i)]) ? 1.0 : 0.0;
      p_soft[jj] = (1 - eps) * p_hard[jj] + eps / static_cast<double>(k);  // label smoothing's target
    }
    hard += cross_entropy_of(p_hard, q) / static_cast<double>(n);
    soft += cross_entropy_of(p_soft, q) / static_cast<double>(n);
  }
  double lib_hard = cross_entropy(logits, target).item();
  double lib_soft = cross_entropy(logits, target, Tensor(), Reduction::Mean, -100, eps).item();
  lab.table("8 examples, 4 classes, random float64 logits (mean over examples)",
            {"targets", "by hand: -sum p log softmax(z)", "library cross_entropy", "difference"},
            {{"hard (class indices)", fmt(hard, 10), fmt(lib_hard, 10), fmt(std::fabs(hard - lib_hard))},
             {"soft: 0.9 one-hot + 0.1 / 4 (label_smoothing 0.1)", fmt(soft, 10), fmt(lib_soft, 10),
              fmt(std::fabs(soft - lib_soft))}});
  lab.claim("-sum p log q by hand equals the library's cross_entropy for hard and soft labels (< 1e-12)",
            std::fabs(hard - lib_hard) < 1e-12 && std::fabs(soft - lib_soft) < 1e-12,
            "differences " + fmt(std::fabs(hard - lib_hard)) + " and " + fmt(std::fabs(soft - lib_soft)));

  lab.heading("Cross-entropy is never below the entropy: H(p, q) = H(p) + KL(p || q)");
  const std::vector<double> p = {0.7, 0.2, 0.1};
  const double entropy = cross_entropy_of(p, p);
  std::vector<std::vector<double>> candidates = {{0.7, 0.2, 0.1}, {0.6, 0.3, 0.1},
                                                 {0.8, 0.1, 0.1}, {1.0 / 3, 1.0 / 3, 1.0 / 3},
                                                 {0.1, 0.2, 0.7}, {0.98, 0.01, 0.01}};
  rows.clear();
  double min_gap_other = 1e300, gap_at_p = 0, kl_worst = 0;
  for (const auto& q : candidates) {
    double h = cross_entropy_of(p, q);
    Tensor log_q = log(from_vector(q, {3}));
    double kl = nn::functional::kl_div(log_q, from_vector(p, {3}), nn::KLDivReduction::Sum).item();
    kl_worst = std::max(kl_worst, std::fabs(h - entropy - kl));
    if (q == p) {
      gap_at_p = h - entropy;
    } else {
      min_gap_other = std::min(min_gap_other, h - entropy);
    }
    rows.push_back(
        {fmt(q[0], 3) + ", " + fmt(q[1], 3) + ", " + fmt(q[2], 3), fmt(h, 5), fmt(h - entropy, 5), fmt(kl, 5)});
  }
  lab.note("The truth p = (0.7, 0.2, 0.1) has entropy H(p) = " + fmt(entropy, 5) +
           " nats: the least average surprise any prediction can achieve.");
  lab.table("", {"prediction q", "H(p, q)", "H(p, q) - H(p)", "library kl_div(log q, p)"}, rows);
  lab.claim("H(p, q) >= H(p), with equality exactly at q = p (every other q costs more)",
            std::fabs(gap_at_p) < 1e-15 && min_gap_other > 0,
            "gap at q = p " + fmt(gap_at_p) + ", smallest other gap " + fmt(min_gap_other));
  lab.claim("the excess H(p, q) - H(p) is the library's KL divergence (< 1e-12)", kl_worst < 1e-12,
            "largest difference " + fmt(kl_worst));
}

}  // namespace cross_entropy_lab

Lab lab_cross_entropy() {
  return {0,
          "cross_entropy",
          "Cross-entropy as surprise",
          "Seeing an outcome you gave probability q is a surprise of -log q: none for a certainty, large for "
          "something you thought nearly impossible. Cross-entropy is the average surprise when outcomes follow p "
          "but you predicted q, -sum p log q. It is smallest, equal to p's own entropy, when q = p, so minimising "
          "it pulls predictions toward the truth.",
          "the surprise table (0.01 nats for a confident right answer, 4.6 for a confident wrong one), the hand "
          "computation matching the library, and the last table: every prediction other than p itself costs more.",
          cross_entropy_lab::run};
}

}  // namespace strata::labs
