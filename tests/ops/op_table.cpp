#include "op_table.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::testing {

namespace {
std::vector<OpCase>& table() {
  static std::vector<OpCase> t;
  return t;
}

class GradcheckTest : public ::testing::Test {
 public:
  explicit GradcheckTest(OpCase c) : case_(std::move(c)) {}
  void TestBody() override {
    TensorList inputs = make_case_inputs(case_);
    GradcheckReport r = gradcheck(case_.fn, inputs, 1e-6, case_.atol, case_.rtol);
    EXPECT_TRUE(r.passed) << case_.name << ": " << r.message;
  }

 private:
  OpCase case_;
};
}  // namespace

int register_op_cases(const char* family, const std::vector<OpCase>& cases) {
  for (const OpCase& c : cases) {
    table().push_back(c);
    if (!c.gradcheck) continue;
    std::string suite = std::string("Gradcheck_") + family;
    ::testing::RegisterTest(suite.c_str(), c.name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [c]() -> ::testing::Test* { return new GradcheckTest(c); });
  }
  return static_cast<int>(cases.size());
}

const std::vector<OpCase>& op_table() { return table(); }

TensorList make_case_inputs(const OpCase& c, uint64_t seed) {
  Generator gen(1234 + seed);
  TensorList inputs;
  for (const Shape& s : c.shapes) {
    Tensor x;
    switch (c.domain) {
      case Domain::Any: x = randn(s, TensorOptions(kFloat64), &gen); break;
      case Domain::Positive: x = rand(s, TensorOptions(kFloat64), &gen) * 1.5 + 0.5; break;
      case Domain::Unit: x = rand(s, TensorOptions(kFloat64), &gen) * 0.9 + 0.05; break;
      case Domain::AwayFromZero: {
        x = randn(s, TensorOptions(kFloat64), &gen);
        double* p = x.data_ptr<double>();
        for (int64_t i = 0; i < x.numel(); ++i) {
          if (std::abs(p[i]) < 0.1) p[i] = p[i] < 0 ? p[i] - 0.1 : p[i] + 0.1;
        }
        break;
      }
    }
    inputs.push_back(x.detach().requires_grad_(true));
  }
  return inputs;
}

}  // namespace strata::testing
