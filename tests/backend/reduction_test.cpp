// The reduction family on the ref backend against cpu: every reduction op in float64 (with gradients) and
// float32, over chosen dims, keepdim, negative dims, all dims, empty and strided (transposed) inputs.
#include "backend/reduction.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "backend_check.h"

namespace strata {
namespace {

using backend::Family;
using testing::BackendCheck;
using testing::expect_backends_agree;

BackendCheck f64() { return {}; }
BackendCheck f32() { return testing::outputs_within(1e-5); }

// The ref backend against cpu for one case (expect_backends_agree makes fresh leaves of the inputs).
void agree(const std::string& name, const std::function<Tensor(const TensorList&)>& fn, const TensorList& xs,
           const BackendCheck& o = {}) {
  expect_backends_agree(name, fn, xs, kRef, {Family::Reduction}, o);
}

// A (3, 4, 5) float64 input that requires grad, with ties for the extremes.
Tensor input64(uint64_t seed = 1) {
  Generator g(seed);
  Tensor x = randn({3, 4, 5}, TensorOptions(kFloat64), &g);
  return x.requires_grad_(true);
}

struct Case {
  const char* name;
  std::function<Tensor(const TensorList&)> fn;
};

std::vector<Case> cases() {
  const double inf = std::numeric_limits<double>::infinity();
  return {
      {"sum_all", [](const TensorList& t) { return sum(t[0]); }},
      {"sum_dim1", [](const TensorList& t) { return sum(t[0], {1}); }},
      {"sum_keep_neg",
       [](const TensorList& t) {
         return sum(t[0], {-1, 0}, true);
       }},
      {"mean_all", [](const TensorList& t) { return mean(t[0]); }},
      {"mean_dims",
       [](const TensorList& t) {
         return mean(t[0], {0, 2}, true);
       }},
      {"var_dim", [](const TensorList& t) { return var(t[0], {1}, 1, false); }},
      {"var_c0_keep", [](const TensorList& t) { return var(t[0], {-1}, 0, true); }},
      {"std_all", [](const TensorList& t) { return strata::std(t[0], {}, 1, false); }},
      {"std_dims",
       [](const TensorList& t) {
         return strata::std(t[0], {0, 1}, 1, true);
       }},
      {"logsumexp", [](const TensorList& t) { return logsumexp(t[0], {1}); }},
      {"logsumexp_all_keep",
       [](const TensorList& t) {
         return logsumexp(t[0], {0, 1, 2}, true);
       }},
      {"norm2", [](const TensorList& t) { return norm(t[0]); }},
      {"norm1_dim", [](const TensorList& t) { return norm(t[0], 1.0, {2}); }},
      {"norm_inf", [inf](const TensorList& t) { return norm(t[0], inf, {1}, true); }},
      {"norm_neginf", [inf](const TensorList& t) { return norm(t[0], -inf, {0}); }},
      {"norm_p3", [](const TensorList& t) { return norm(t[0], 3.0, {-2}); }},
      {"norm_p05", [](const TensorList& t) { return norm(t[0], 0.5, {1}); }},
      {"norm0", [](const TensorList& t) { return norm(t[0], 0.0, {1}); }},
      {"max_all", [](const TensorList& t) { return max(t[0]); }},
      {"min_all", [](const TensorList& t) { return min(t[0]); }},
      {"amax",
       [](const TensorList& t) {
         return amax(t[0], {0, 2});
       }},
      {"amin_keep", [](const TensorList& t) { return amin(t[0], {-1}, true); }},
      {"max_dim_values", [](const TensorList& t) { return max(t[0], 1).first; }},
      {"min_dim_values_keep", [](const TensorList& t) { return min(t[0], -1, true).first; }},
      {"max_dim_indices", [](const TensorList& t) { return max(t[0], 0).second; }},
      {"argmax_all", [](const TensorList& t) { return argmax(t[0]); }},
      {"argmin_all", [](const TensorList& t) { return argmin(t[0]); }},
      {"argmax_dim", [](const TensorList& t) { return argmax(t[0], 2, true); }},
      {"argmin_dim", [](const TensorList& t) { return argmin(t[0], 1); }},
  };
}

TEST(BackendReduction, Float64WithGrads) {
  for (const Case& c : cases()) {
    agree(c.name, c.fn, {input64()}, f64());
  }
}

TEST(BackendReduction, Float64Strided) {
  for (const Case& c : cases()) {
    // A transposed view on both backends: innermost dim not unit-stride (the cpu backend copies it first).
    auto fn = [&c](const TensorList& t) { return c.fn({t[0].transpose(0, 2)}); };
    agree(std::string(c.name) + "_strided", fn, {input64(2)}, f64());
  }
}

TEST(BackendReduction, Float32) {
  Generator g(3);
  Tensor x = randn({6, 33, 7}, TensorOptions(kFloat32), &g);
  for (const Case& c : cases()) {
    agree(std::string(c.name) + "_f32", c.fn, {x}, f32());
  }
}

TEST(BackendReduction, TiesAndIntegers) {
  // Ties split the gradient of max/min evenly; int64 and bool inputs reduce in their own types.
  Tensor x = tensor({{1, 3, 3}, {2, 2, 0}}, TensorOptions(kFloat64)).requires_grad_(true);
  agree(
      "amax_ties", [](const TensorList& t) { return amax(t[0], {1}); }, {x}, f64());
  agree(
      "max_ties", [](const TensorList& t) { return max(t[0]); }, {x}, f64());
  Tensor xi = tensor({{1, -3, 3}, {2, 7, 0}}, TensorOptions(kInt64));
  agree("sum_int64", [](const TensorList& t) { return sum(t[0], {0}); }, {xi});
  agree("amax_int64", [](const TensorList& t) { return amax(t[0], {1}); }, {xi});
  agree("argmin_int64", [](const TensorList& t) { return argmin(t[0], 1); }, {xi});
  Tensor xb = tensor({{1, 0, 1}, {0, 0, 1}}, TensorOptions(kBool));
  agree("sum_bool", [](const TensorList& t) { return sum(t[0]); }, {xb});
}

TEST(BackendReduction, EmptyInputsStayOnTheirDevice) {
  Tensor e = zeros({0, 3}, TensorOptions(kFloat64).with_device(kRef));
  EXPECT_EQ(sum(e, {0}).device(), kRef);
  EXPECT_EQ(sum(e, {0}).to(kCPU).to_vector<double>(), std::vector<double>(3, 0.0));
  EXPECT_EQ(mean(e, {0}).device(), kRef);
  EXPECT_TRUE(std::isnan(var(e, {0}).to(kCPU).to_vector<double>()[0]));
  EXPECT_EQ(logsumexp(e, {0}).device(), kRef);
  EXPECT_EQ(norm(e, 2.0, {0}).to(kCPU).to_vector<double>(), std::vector<double>(3, 0.0));
  EXPECT_EQ(amax(zeros({2, 0}, TensorOptions(kFloat64).with_device(kRef)), {0}).shape(), Shape({0}));
}

TEST(BackendReduction, AllFinite) {
  const double inf = std::numeric_limits<double>::infinity();
  for (Device d : {kCPU, kRef}) {
    Tensor ok = tensor({1.0, -2.0, 3e300}, TensorOptions(kFloat64).with_device(d));
    Tensor bad = tensor({1.0, inf, 3.0}, TensorOptions(kFloat32).with_device(d));
    Tensor nan = tensor({{1.0, 2.0}, {std::nan(""), 3.0}}, TensorOptions(kFloat64).with_device(d)).t();
    EXPECT_EQ(all_finite(ok).device(), d);
    EXPECT_EQ(all_finite(ok).dtype(), kBool);
    EXPECT_TRUE(all_finite(ok).item() != 0) << d.str();
    EXPECT_FALSE(all_finite(bad).item() != 0) << d.str();
    EXPECT_FALSE(all_finite(nan).item() != 0) << d.str();
    EXPECT_FALSE(all_finite(bad.to(kFloat16)).item() != 0) << d.str();
    EXPECT_TRUE(all_finite(tensor({1, 2}, TensorOptions(kInt64).with_device(d))).item() != 0) << d.str();
  }
  const auto before = backend::call_count(DeviceType::Ref, Family::Reduction);
  all_finite(ones({4}, TensorOptions(kFloat64).with_device(kRef)));
  EXPECT_GT(backend::call_count(DeviceType::Ref, Family::Reduction), before);
}

}  // namespace
}  // namespace strata
