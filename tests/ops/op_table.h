#pragma once
// The one table of op test cases. Each family registers its rows from its own file
// (tests/ops/cases_<family>.cpp) with STRATA_OP_CASES; every row is then run as
//   - a float64 gradcheck test  (OpTable.gradcheck/<name>), and
//   - a PyTorch golden test      (OpTable.golden/<name>) when tests/golden/ has a record of that name, and
//   - a backends test            (Backends_<family>/<name>): the row on the reference backend ("ref")
//     against the cpu backend, outputs and gradients, float64.
#include <functional>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata::testing {

// How the random float inputs of a case are drawn (keeps them away from kinks and outside domains).
enum class Domain {
  Any,           // N(0, 1)
  Positive,      // U(0.5, 2)
  AwayFromZero,  // N(0, 1) with |x| >= 0.1 (relu, abs, ... are not differentiable at 0)
  Unit,          // U(0.05, 0.95) (probabilities)
};

struct OpCase {
  std::string name;                             // unique, e.g. "add.broadcast"
  std::vector<Shape> shapes;                    // shapes of the float inputs
  std::function<Tensor(const TensorList&)> fn;  // any non-float operands are constants captured here
  Domain domain = Domain::Any;
  double atol = 1e-5;  // gradcheck tolerances (float64)
  double rtol = 1e-3;
  bool gradcheck = true;      // false for ops with no gradient
  double golden_atol = 1e-5;  // golden comparison tolerances (float32)
  double golden_rtol = 1e-4;
};

// Registers cases with the table and with GoogleTest; returns a dummy for static initialisation.
int register_op_cases(const char* family, const std::vector<OpCase>& cases);
// All registered cases (for the golden test).
const std::vector<OpCase>& op_table();
// Deterministic random inputs for a case (float64, requires_grad set).
TensorList make_case_inputs(const OpCase& c, uint64_t seed = 0);

}  // namespace strata::testing

#define STRATA_OP_CASES_CAT2(a, b) a##b
#define STRATA_OP_CASES_CAT(a, b) STRATA_OP_CASES_CAT2(a, b)
// Usage at namespace scope:  STRATA_OP_CASES(elementwise, { {"add", {{2, 3}, {2, 3}}, [](auto& x) {...}}, ... });
#define STRATA_OP_CASES(family, ...)                                 \
  static const int STRATA_OP_CASES_CAT(strata_op_cases_, __LINE__) = \
      ::strata::testing::register_op_cases(#family, std::vector<::strata::testing::OpCase> __VA_ARGS__)
