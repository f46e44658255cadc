#pragma once
// Gradient checking: compares autograd's gradients with float64 central differences. A public tool for
// anyone writing their own layer or op, as well as what Strata's own tests use.
#include <functional>
#include <string>
#include <vector>

#include "strata/core/tensor.h"

namespace strata {

struct GradcheckInputReport {
  int64_t input = 0;         // position in the inputs list
  double max_abs_error = 0;  // max |analytic - numeric|
  double max_rel_error = 0;  // max |analytic - numeric| / max(|numeric|, tiny)
  int64_t worst_index = -1;  // flat element index where the tolerance was exceeded most
  double analytic_at_worst = 0;
  double numeric_at_worst = 0;
  bool passed = true;
};

struct GradcheckReport {
  bool passed = true;
  std::vector<GradcheckInputReport> inputs;  // one per input that requires grad
  std::string message;                       // human-readable summary, naming the worst entries
};

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

// fn maps the inputs to one output tensor (any shape). The inputs should be float64; those with
// requires_grad are checked. Every output element is differentiated (a random projection is not used:
// the Jacobian is compared in full), so keep the sizes small.
GradcheckReport gradcheck(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs,
                          double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3);

}  // namespace strata
