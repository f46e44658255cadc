// Lab 189, gradient checking: a custom op y = x^3 written with autograd::record, once with the right backward
// (3x^2) and once with a bug (2x^2); gradcheck passes the first and catches the second. Then why the check runs
// in float64: central differences in float32 drown in rounding error.
#include <algorithm>
#include <cmath>
#include <limits>

#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/autograd/gradcheck.h"
#include "strata/autograd/node.h"
#include "strata/labs/lab.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::labs {

namespace gradient_checking_lab {

// y = x^3 with a hand-written backward: dy/dx = 3x^2, or the bug 2x^2.
Tensor cube(const Tensor& x, bool buggy) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = mul(square(x), x);
  }
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "cube");
    autograd::record("cube", {x}, out, [sx, buggy](const TensorList& g, const autograd::NeedsGrad&) {
      Tensor xv = sx.get();
      return TensorList{mul(g[0], mul(square(xv), buggy ? 2.0 : 3.0))};
    });
  }
  return out;
}

// The largest |(f(x + eps) - f(x - eps)) / (2 eps) - f'(x)| over x, for f = tanh evaluated in `dtype`.
double central_difference_error(const Tensor& x64, double eps, DType dtype) {
  NoGradGuard no_grad;
  Tensor x = x64.to(dtype);
  Tensor numeric = div(sub(tanh(add(x, eps)), tanh(sub(x, eps))), 2 * eps).to(kFloat64);
  Tensor exact = rsub(square(tanh(x64)), 1.0);
  return sub(numeric, exact).abs().max().item();
}

void run(LabRun& lab) {
  lab.heading("gradcheck on a custom op y = x^3");
  manual_seed(lab.seed());
  Tensor x = randn({3, 4}, TensorOptions(kFloat64)).requires_grad_();
  std::vector<std::vector<std::string>> rows;
  GradcheckReport reports[2];
  for (int buggy = 0; buggy < 2; ++buggy) {
    reports[buggy] = gradcheck([buggy](const TensorList& in) { return cube(in[0], buggy == 1); }, {x});
    const GradcheckInputReport& in = reports[buggy].inputs.at(0);
    std::string worst = "-";
    if (!in.passed) {
      worst = "element " + std::to_string(in.worst_index) + ": analytic " + kit::fmt(in.analytic_at_worst, 5) +
              ", numeric " + kit::fmt(in.numeric_at_worst, 5);
    }
    rows.push_back({buggy ? "2x^2 (bug)" : "3x^2 (right)", reports[buggy].passed ? "passed" : "FAILED",
                    kit::fmt(in.max_abs_error), kit::fmt(in.max_rel_error), worst});
  }
  lab.table("x: 3x4 float64 from N(0, 1); eps 1e-6, atol 1e-5, rtol 1e-3",
            {"backward", "gradcheck", "max |analytic - numeric|", "max relative error", "worst element"}, rows);
  lab.note("gradcheck's message for the buggy op: " + reports[1].message);
  const GradcheckInputReport& good = reports[0].inputs.at(0);
  const GradcheckInputReport& bad = reports[1].inputs.at(0);
  lab.claim("gradcheck passes the right backward (max error under 1e-6)",
            reports[0].passed && good.max_abs_error < 1e-6, "max error " + kit::fmt(good.max_abs_error));
  // With the bug the analytic gradient is 2/3 of the true one: the relative error is 1/3 everywhere.
  lab.claim("gradcheck fails the buggy backward, with relative error about 1/3 (0.3 to 0.37)",
            !reports[1].passed && bad.max_rel_error > 0.3 && bad.max_rel_error < 0.37,
            "max abs error " + kit::fmt(bad.max_abs_error) + ", max relative " + kit::fmt(bad.max_rel_error));

  lab.heading("Why float64: central differences of tanh in float32 and float64");
  Tensor pts = linspace(-2, 2, lab.pick<int64_t>(401, 101), TensorOptions(kFloat64));
  std::vector<double> eps_values = {1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8};
  std::vector<double> err32, err64;
  rows.clear();
  for (double eps : eps_values) {
    err32.push_back(central_difference_error(pts, eps, kFloat32));
    err64.push_back(central_difference_error(pts, eps, kFloat64));
    rows.push_back({kit::fmt(eps), kit::fmt(err32.back()), kit::fmt(err64.back())});
  }
  lab.table("max |numeric - exact| derivative of tanh over x in [-2, 2]", {"eps", "float32", "float64"}, rows);
  lab.line_plot({"Central-difference error against eps", "eps", "max error", true, true},
                {{"float32", eps_values, err32}, {"float64", eps_values, err64}});
  lab.note(
      "The error is truncation (about eps^2 f'''/6, falling with eps) plus rounding (about machine epsilon / eps, "
      "rising as eps shrinks). float32's epsilon is 1.2e-7, so its best is near 1e-4 around eps 1e-2 and at "
      "gradcheck's eps 1e-6 the error is of order 0.1; float64's epsilon (2.2e-16) allows 1e-10.");
  double best32 = *std::min_element(err32.begin(), err32.end());
  double best64 = *std::min_element(err64.begin(), err64.end());
  lab.claim("the best float64 error is under 1e-8 and at least 10000x below the best float32 error",
            best64 < 1e-8 && best32 >= 1e4 * best64,
            "float64 best " + kit::fmt(best64) + ", float32 best " + kit::fmt(best32));
  double at_default32 = err32[5];
  lab.claim("at gradcheck's eps (1e-6) float32 differences are off by more than 1e-2, far beyond its atol of 1e-5",
            at_default32 > 1e-2, "float32 error at eps 1e-6: " + kit::fmt(at_default32));
}

}  // namespace gradient_checking_lab

Lab lab_gradient_checking() {
  return {189,
          "gradient_checking",
          "Gradient checking",
          "A hand-written backward can be wrong while training still runs, only worse. Gradient checking compares the "
          "analytic gradient with a numerical one, (f(x + eps) - f(x - eps)) / (2 eps) for each input element, and "
          "reports where they disagree. It needs float64: in float32 the two function values agree to only about 7 "
          "digits, so their difference over a small eps is mostly rounding noise.",
          "the gradcheck table (the bug's relative error is 1/3 everywhere, since 2x^2 is 2/3 of 3x^2), then the "
          "V-shaped error curves: float32's bottom sits about six orders of magnitude above float64's.",
          gradient_checking_lab::run};
}

}  // namespace strata::labs
