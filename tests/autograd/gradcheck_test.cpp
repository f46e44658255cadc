// The public gradcheck: passes correct gradients, catches and locates wrong ones, and refuses float32.
#include <gtest/gtest.h>

#include "strata/autograd/node.h"
#include "strata/strata.h"

using namespace strata;

namespace {

// y = x^2 elementwise, with a backward rule that is right except for an error of `bump` at element 2
// and a smaller one at element 4, recorded with autograd::record as a user-defined op would be.
Tensor square_with_wrong_rule(const Tensor& x, double bump) {
  Tensor out;
  {
    NoGradGuard ng;
    out = x * x;
  }
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sx(x, "bad_square");
    autograd::record("bad_square", {x}, out, [sx, bump](const TensorList& g, const autograd::NeedsGrad&) {
      Tensor error = from_vector<double>({0, 0, bump, 0, bump / 10});
      return TensorList{g[0] * sx.get() * 2.0 + g[0] * error};
    });
  }
  return out;
}

}  // namespace

TEST(Gradcheck, PassesOnCorrectFunctions) {
  Generator gen(3);
  Tensor a = randn({3, 4}, kFloat64, &gen).requires_grad_();
  Tensor b = randn({4}, kFloat64, &gen).requires_grad_();
  GradcheckReport r =
      gradcheck([](const TensorList& x) { return (x[0] * x[1] - x[1] / (x[0] * x[0] + 1.0)).sum({0}); }, {a, b});
  EXPECT_TRUE(r.passed) << r.message;
  ASSERT_EQ(r.inputs.size(), 2u);
  EXPECT_TRUE(r.inputs[0].passed);
  EXPECT_EQ(r.inputs[1].input, 1);
  EXPECT_LT(r.inputs[0].max_abs_error, 1e-6);
  EXPECT_EQ(r.message, "gradcheck passed");
  // The function runs on the caller's tensors, which gradcheck restores after perturbing them.
  Tensor a0 = a.detach().clone();
  EXPECT_TRUE(gradcheck([](const TensorList& x) { return x[0] * 3.0; }, {a}).passed);
  EXPECT_EQ(a.to_vector<double>(), a0.to_vector<double>());
  EXPECT_FALSE(a.grad().defined());  // gradcheck does not touch .grad
}

TEST(Gradcheck, OnlyChecksInputsThatRequireGrad) {
  Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
  Tensor c = tensor({3, 4}, kFloat32);  // a constant operand may be any dtype
  GradcheckReport r = gradcheck([](const TensorList& v) { return v[0] * v[1].to(kFloat64); }, {x, c});
  EXPECT_TRUE(r.passed) << r.message;
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_EQ(r.inputs[0].input, 0);
}

TEST(Gradcheck, FailsAndLocatesAWrongBackward) {
  Tensor x = tensor({0.5, -1.0, 2.0, 1.5, -0.25}, kFloat64).requires_grad_();
  EXPECT_TRUE(gradcheck([](const TensorList& v) { return square_with_wrong_rule(v[0], 0.0); }, {x}).passed);
  GradcheckReport r = gradcheck([](const TensorList& v) { return square_with_wrong_rule(v[0], 0.7); }, {x});
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.inputs.size(), 1u);
  const GradcheckInputReport& in = r.inputs[0];
  EXPECT_FALSE(in.passed);
  EXPECT_EQ(in.worst_index, 2);
  EXPECT_NEAR(in.analytic_at_worst, 2 * 2.0 + 0.7, 1e-9);
  EXPECT_NEAR(in.numeric_at_worst, 2 * 2.0, 1e-5);
  EXPECT_NEAR(in.max_abs_error, 0.7, 1e-5);
  EXPECT_NE(r.message.find("element 2"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("input 0"), std::string::npos) << r.message;
}

TEST(Gradcheck, FindsAMissingGradient) {
  // A function whose output depends on x but was computed without recording: analytic zeros.
  Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
  GradcheckReport r = gradcheck(
      [](const TensorList& v) {
        NoGradGuard ng;
        return v[0] * 2.0;
      },
      {x});
  EXPECT_FALSE(r.passed);
  EXPECT_NEAR(r.inputs[0].numeric_at_worst, 2.0, 1e-6);
  EXPECT_EQ(r.inputs[0].analytic_at_worst, 0.0);
}

TEST(Gradcheck, RejectsBadInputs) {
  Tensor f = tensor({1, 2}).requires_grad_();
  try {
    gradcheck([](const TensorList& v) { return v[0] * 2.0; }, {f});
    FAIL() << "expected strata::Error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("[gradcheck]"), std::string::npos) << m;
    EXPECT_NE(m.find("float32"), std::string::npos) << m;
    EXPECT_NE(m.find("float64"), std::string::npos) << m;
  }
  Tensor d = tensor({1, 2}, kFloat64);
  EXPECT_THROW(gradcheck([](const TensorList& v) { return v[0]; }, {d}), Error);  // nothing requires grad
  Tensor nl = tensor({1, 2}, kFloat64).requires_grad_() * 1.0;
  EXPECT_THROW(gradcheck([](const TensorList& v) { return v[0]; }, {nl}), Error);  // not a leaf
  Tensor x = tensor({1, 2}, kFloat64).requires_grad_();
  EXPECT_THROW(gradcheck([](const TensorList& v) { return v[0].to(kFloat32); }, {x}), Error);  // float32 output
}
