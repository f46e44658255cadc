// Gradient checking: every element of every input that requires grad is nudged by +-eps and the central
// difference of every output element is compared with the row of the Jacobian that autograd computes.
#include "strata/autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/accumulate.h"
#include "strata/autograd/engine.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"

namespace strata {

namespace {

// Flat element offsets of a tensor in row-major order.
std::vector<int64_t> element_offsets(const Tensor& t) {
  std::vector<int64_t> offs(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t flat = i, off = 0;
    for (size_t d = t.shape().size(); d-- > 0;) {
      off += (flat % t.shape()[d]) * t.strides()[d];
      flat /= t.shape()[d];
    }
    offs[static_cast<size_t>(i)] = off;
  }
  return offs;
}

std::vector<double> values_of(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

GradcheckReport gradcheck(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs, double eps,
                          double atol, double rtol) {
  GradcheckReport report;
  std::vector<size_t> checked;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    STRATA_CHECK(x.dtype() == kFloat64, "[gradcheck] input ", i, " has dtype ", x.dtype(),
                 "; gradcheck needs float64 inputs for trustworthy finite differences");
    STRATA_CHECK(x.is_leaf(), "[gradcheck] input ", i, " must be a leaf tensor");
    checked.push_back(i);
  }
  STRATA_CHECK(!checked.empty(), "[gradcheck] no input requires grad");

  Tensor out = fn(inputs);
  STRATA_CHECK(out.defined() && out.dtype() == kFloat64, "[gradcheck] the function must return a float64 tensor");
  const int64_t m = out.numel();

  // Analytic Jacobian, one output element at a time: J[o][k] = d out[o] / d x[k].
  std::vector<std::vector<double>> analytic(checked.size());
  for (size_t c = 0; c < checked.size(); ++c) {
    analytic[c].assign(static_cast<size_t>(m * inputs[checked[c]].numel()), 0.0);
  }
  if (out.requires_grad()) {
    TensorList wrt;
    for (size_t idx : checked) wrt.push_back(inputs[idx]);
    for (int64_t o = 0; o < m; ++o) {
      Tensor seed = autograd::detail::zeros(out.shape(), kFloat64, out.device());
      seed.data_ptr<double>()[o] = 1.0;
      TensorList g = autograd::grad({out}, wrt, {seed}, /*retain_graph=*/true);
      for (size_t c = 0; c < checked.size(); ++c) {
        if (!g[c].defined()) continue;
        std::vector<double> gv = values_of(g[c]);
        const int64_t n = inputs[checked[c]].numel();
        for (int64_t k = 0; k < n; ++k) analytic[c][static_cast<size_t>(o * n + k)] = gv[static_cast<size_t>(k)];
      }
    }
  }

  // Numeric Jacobian by central differences, perturbing the inputs' storage in place.
  NoGradGuard no_grad;
  std::ostringstream msg;
  for (size_t c = 0; c < checked.size(); ++c) {
    const Tensor& x = inputs[checked[c]];
    GradcheckInputReport r;
    r.input = static_cast<int64_t>(checked[c]);
    double* base = x.data_ptr<double>();
    std::vector<int64_t> offs = element_offsets(x);
    const int64_t n = x.numel();
    double worst_excess = 0.0;
    for (int64_t k = 0; k < n; ++k) {
      double& v = base[offs[static_cast<size_t>(k)]];
      const double orig = v;
      v = orig + eps;
      std::vector<double> plus = values_of(fn(inputs));
      v = orig - eps;
      std::vector<double> minus = values_of(fn(inputs));
      v = orig;
      for (int64_t o = 0; o < m; ++o) {
        double num = (plus[static_cast<size_t>(o)] - minus[static_cast<size_t>(o)]) / (2 * eps);
        double ana = analytic[c][static_cast<size_t>(o * n + k)];
        double err = std::abs(ana - num);
        double rel = err / std::max(std::abs(num), 1e-12);
        r.max_abs_error = std::max(r.max_abs_error, err);
        if (std::abs(num) > 1e-12) r.max_rel_error = std::max(r.max_rel_error, rel);
        double excess = err - (atol + rtol * std::abs(num));
        if (!std::isfinite(ana) || excess > worst_excess || (r.worst_index < 0 && excess > 0)) {
          worst_excess = std::isfinite(ana) ? excess : INFINITY;
          r.worst_index = k;
          r.analytic_at_worst = ana;
          r.numeric_at_worst = num;
          r.passed = false;
        }
      }
    }
    if (!r.passed) {
      report.passed = false;
      msg << "input " << r.input << " (shape " << x.shape() << "): max abs error " << r.max_abs_error
          << ", max rel error " << r.max_rel_error << "; worst at element " << r.worst_index << ": analytic "
          << r.analytic_at_worst << " vs numeric " << r.numeric_at_worst << "\n";
    }
    report.inputs.push_back(r);
  }
  report.message = report.passed ? "gradcheck passed" : msg.str();
  return report;
}

}  // namespace strata
