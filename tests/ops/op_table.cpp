#include "op_table.h"

#include <gtest/gtest.h>

#include <cmath>

#include "backend/backend_check.h"

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
// The row on the reference backend against the cpu backend: outputs, and gradients where the row has them
// (float64, so the two backends differ only by summation order).
class BackendsTest : public ::testing::Test {
 public:
  explicit BackendsTest(OpCase c) : case_(std::move(c)) {}
  void TestBody() override {
    int64_t ref_before = 0;
    for (int f = 0; f < static_cast<int>(backend::Family::Count); ++f) {
      ref_before += backend::call_count(DeviceType::Ref, static_cast<backend::Family>(f));
    }
    BackendCheck opts;
    opts.grads = case_.gradcheck;
    expect_backends_agree(case_.name, case_.fn, make_case_inputs(case_), kRef, {}, opts);
    int64_t ref_after = 0;
    for (int f = 0; f < static_cast<int>(backend::Family::Count); ++f) {
      ref_after += backend::call_count(DeviceType::Ref, static_cast<backend::Family>(f));
    }
    EXPECT_GT(ref_after, ref_before) << case_.name << ": no kernel ran on the ref backend";
  }

 private:
  OpCase case_;
};
}  // namespace

int register_op_cases(const char* family, const std::vector<OpCase>& cases) {
  for (const OpCase& c : cases) {
    table().push_back(c);
    const std::string backends_suite = std::string("Backends_") + family;
    ::testing::RegisterTest(backends_suite.c_str(), c.name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [c]() -> ::testing::Test* { return new BackendsTest(c); });
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
