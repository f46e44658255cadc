// Anomaly mode: the first op that produces nan/inf in forward or backward, and the scope it ran in.
#include "strata/autograd/anomaly.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strata/strata.h"

namespace strata::autograd {
namespace {

TEST(Anomaly, OffByDefaultRecordsNothing) {
  clear_anomaly();
  Tensor x = from_vector(std::vector<float>{-1.f, 2.f}, {2}).requires_grad_();
  log(x).sum().backward();
  EXPECT_FALSE(anomaly_enabled());
  EXPECT_FALSE(first_anomaly().has_value());
}

TEST(Anomaly, NamesTheFirstForwardOpAndScope) {
  DetectAnomalyGuard guard;
  Tensor x = from_vector(std::vector<float>{-1.f, 2.f, 0.5f}, {3}).requires_grad_();
  Tensor y;
  {
    AnomalyScope s("layers.2 (Log)");
    y = log(x);  // log(-1) = nan: starts here
  }
  Tensor z = exp(y).sum();  // carries the nan on: not reported
  auto a = first_anomaly();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->phase, "forward");
  EXPECT_EQ(a->op, "log");
  EXPECT_EQ(a->scope, "layers.2 (Log)");
  EXPECT_NE(a->detail.find("1 nan"), std::string::npos) << a->detail;
  (void)z;
}

TEST(Anomaly, NamesTheFirstBackwardOp) {
  DetectAnomalyGuard guard;
  // sqrt(0) is finite, its gradient 1 / (2 sqrt(0)) is inf.
  Tensor x = from_vector(std::vector<double>{0.0, 4.0}, {2}).requires_grad_();
  Tensor y;
  {
    AnomalyScope s("head");
    y = sqrt(x);
  }
  EXPECT_FALSE(first_anomaly().has_value());
  y.sum().backward();
  auto a = first_anomaly();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->phase, "backward");
  EXPECT_EQ(a->op, "sqrt");
  EXPECT_EQ(a->scope, "head");
  EXPECT_NE(a->detail.find("1 inf"), std::string::npos) << a->detail;
}

TEST(Anomaly, GuardRestoresAndClears) {
  {
    DetectAnomalyGuard on;
    Tensor x = from_vector(std::vector<float>{-1.f}, {1}).requires_grad_();
    (void)log(x);
    EXPECT_TRUE(first_anomaly().has_value());
    {
      DetectAnomalyGuard off(false);
      EXPECT_FALSE(anomaly_enabled());
    }
    EXPECT_TRUE(anomaly_enabled());
  }
  EXPECT_FALSE(anomaly_enabled());
  DetectAnomalyGuard again;
  EXPECT_FALSE(first_anomaly().has_value());
}

TEST(Anomaly, CountNonFinite) {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor t = from_vector(std::vector<double>{1.0, std::nan(""), inf, -inf, 2.0, std::nan("")}, {2, 3});
  NonFinite n = count_non_finite(t.transpose(0, 1));
  EXPECT_EQ(n.nan, 2);
  EXPECT_EQ(n.inf, 2);
  EXPECT_FALSE(count_non_finite(from_vector(std::vector<int64_t>{1, 2}, {2})).any());
}

}  // namespace
}  // namespace strata::autograd
