// Metrics against hand-computed values, and their errors.
#include <gtest/gtest.h>

#include "strata/strata.h"

namespace strata::train {
namespace {

void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL() << "expected a strata::Error";
  } catch (const Error& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

Tensor logits4x3() { return tensor({{1, 2, 0}, {3, 1, 0}, {0, 0, 5}, {1, 1, 0.5}}); }

TEST(Metrics, AccuracyMultiClass) {
  // argmax per row: 1, 0, 2, 0 (a tie goes to the first); targets 1, 0, 1, 0 -> 3 of 4.
  Tensor t = from_vector<int64_t>({1, 0, 1, 0}, {4});
  EXPECT_DOUBLE_EQ(accuracy(logits4x3(), t), 0.75);
  EXPECT_DOUBLE_EQ(accuracy(logits4x3().to(kFloat64), t), 0.75);
  // Probabilities give the same argmax.
  EXPECT_DOUBLE_EQ(accuracy(logits4x3().softmax(1), t), 0.75);
  // A transposed (strided) output.
  Tensor strided = logits4x3().t().contiguous().t();
  EXPECT_FALSE(strided.is_contiguous());
  EXPECT_DOUBLE_EQ(accuracy(strided, t), 0.75);
}

TEST(Metrics, AccuracyOneHotAndSpatial) {
  Tensor onehot = tensor({{0, 1, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}});  // classes 1, 0, 1, 2
  EXPECT_DOUBLE_EQ(accuracy(logits4x3(), onehot), 0.5);
  // (N, C, L) with (N, L): N = 1, C = 2, L = 3; scores per position (0.1 vs 0.9), (0.8 vs 0.2), (0.3 vs 0.7).
  Tensor out = from_vector<float>({0.1f, 0.8f, 0.3f, 0.9f, 0.2f, 0.7f}, {1, 2, 3});
  Tensor tgt = from_vector<int64_t>({1, 0, 0}, {1, 3});
  EXPECT_NEAR(accuracy(out, tgt), 2.0 / 3, 1e-12);
}

TEST(Metrics, AccuracyBinary) {
  Tensor probs = tensor({0.9, 0.2, 0.6, 0.4});
  Tensor y = tensor({1, 0, 0, 0});
  EXPECT_DOUBLE_EQ(accuracy(probs, y), 0.75);  // predictions 1, 0, 1, 0
  // Logits thresholded at 0: predictions 1, 0, 0, 1; at 0.5: 1, 0, 0, 0.
  Tensor logits = tensor({2.0, -1.0, -0.5, 0.3});
  EXPECT_DOUBLE_EQ(accuracy(logits, y, 0.0), 0.75);
  EXPECT_DOUBLE_EQ(accuracy(logits, y, 0.5), 1.0);
  // (N, 1) outputs against (N) targets, and int64 0/1 targets.
  EXPECT_DOUBLE_EQ(accuracy(probs.reshape({4, 1}), y), 0.75);
  EXPECT_DOUBLE_EQ(accuracy(probs.reshape({4, 1}), from_vector<int64_t>({1, 0, 0, 0}, {4})), 0.75);
}

TEST(Metrics, TopK) {
  Tensor out = tensor({{0.1, 0.5, 0.2, 0.2}, {0.7, 0.1, 0.15, 0.05}, {0.3, 0.3, 0.1, 0.3}});
  Tensor t = from_vector<int64_t>({2, 3, 1}, {3});
  // Row 0: class 2 ties for second place -> in the top 2. Row 1: class 3 is last -> only top 4.
  // Row 2: class 1 ties for first -> top 1.
  EXPECT_NEAR(top_k_accuracy(out, t, 1), 1.0 / 3, 1e-12);
  EXPECT_NEAR(top_k_accuracy(out, t, 2), 2.0 / 3, 1e-12);
  EXPECT_NEAR(top_k_accuracy(out, t, 3), 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(top_k_accuracy(out, t, 4), 1.0);
}

TEST(Metrics, ConfusionMatrixAndReport) {
  Tensor pred = from_vector<int64_t>({0, 1, 2, 2, 1, 0, 1}, {7});
  Tensor target = from_vector<int64_t>({0, 1, 1, 2, 1, 2, 0}, {7});
  Tensor cm = confusion_matrix(pred, target, 3);
  ASSERT_EQ(cm.dtype(), kInt64);
  ASSERT_EQ(cm.shape(), Shape({3, 3}));
  // rows = true: class 0 -> predicted 0, 1; class 1 -> 1, 2, 1; class 2 -> 2, 0.
  const std::vector<int64_t> expect = {1, 1, 0, 0, 2, 1, 1, 0, 1};
  EXPECT_EQ(cm.to_vector<int64_t>(), expect);

  ClassificationReport r = precision_recall_f1(cm);
  // precision = diag / column sums (2, 3, 2); recall = diag / row sums (2, 3, 2).
  const double p[3] = {0.5, 2.0 / 3, 0.5}, rc[3] = {0.5, 2.0 / 3, 0.5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(r.precision[i], p[i], 1e-12);
    EXPECT_NEAR(r.recall[i], rc[i], 1e-12);
    EXPECT_NEAR(r.f1[i], 2 * p[i] * rc[i] / (p[i] + rc[i]), 1e-12);
  }
  EXPECT_EQ(r.support, (std::vector<int64_t>{2, 3, 2}));
  EXPECT_NEAR(r.macro_precision, (0.5 + 2.0 / 3 + 0.5) / 3, 1e-12);
  EXPECT_NEAR(r.macro_f1, (0.5 + 2.0 / 3 + 0.5) / 3, 1e-12);
  EXPECT_NEAR(r.weighted_f1, (2 * 0.5 + 3 * 2.0 / 3 + 2 * 0.5) / 7, 1e-12);
  EXPECT_NEAR(r.accuracy, 4.0 / 7, 1e-12);

  // Scores (N, C) are turned into predictions by argmax.
  Tensor scores = tensor({{5, 0, 0}, {0, 5, 0}, {0, 0, 5}, {0, 0, 5}, {0, 5, 0}, {5, 0, 0}, {0, 5, 0}});
  EXPECT_EQ(confusion_matrix(scores, target, 3).to_vector<int64_t>(), expect);
}

TEST(Metrics, ReportZeroDivision) {
  // Class 2 is never predicted and has no examples; class 1 is predicted but never right.
  Tensor cm = from_vector<int64_t>({3, 1, 0, 0, 0, 0, 0, 0, 0}, {3, 3});
  ClassificationReport r = precision_recall_f1(cm);
  EXPECT_DOUBLE_EQ(r.precision[0], 1.0);
  EXPECT_DOUBLE_EQ(r.recall[0], 0.75);
  EXPECT_DOUBLE_EQ(r.precision[1], 0.0);
  EXPECT_DOUBLE_EQ(r.recall[1], 0.0);
  EXPECT_DOUBLE_EQ(r.f1[1], 0.0);
  EXPECT_DOUBLE_EQ(r.f1[2], 0.0);
}

TEST(Metrics, Errors) {
  Tensor t5 = from_vector<int64_t>({0, 1, 2, 0, 1}, {5});
  expect_error([&] { accuracy(logits4x3(), t5); }, {"[accuracy]", "(4, 3)", "(5,)"});
  expect_error([&] { accuracy(logits4x3(), from_vector<int64_t>({0, 1, 3, 0}, {4})); }, {"[accuracy]", "3"});
  expect_error(
      [&] {
        top_k_accuracy(logits4x3(), from_vector<int64_t>({0, 1, 2, 0}, {4}), 4);
      },
      {"[top_k_accuracy]", "k = 4", "(4, 3)"});
  expect_error([&] { top_k_accuracy(logits4x3(), t5, 1); }, {"[top_k_accuracy]", "(4, 3)", "(5,)"});
  expect_error([&] { confusion_matrix(from_vector<int64_t>({0, 1}, {2}), t5, 3); }, {"[confusion_matrix]", "(2,)"});
  expect_error(
      [&] {
        confusion_matrix(from_vector<int64_t>({0, 1}, {2}), from_vector<int64_t>({0, 4}, {2}), 3);
      },
      {"[confusion_matrix]", "4"});
  expect_error([&] { precision_recall_f1(tensor({{1, 2}, {3, 4}})); }, {"[precision_recall_f1]", "float32"});
  expect_error([&] { MetricAccumulator({"accuracy", "f2"}); }, {"unknown metric", "f2"});
}

TEST(Metrics, AccumulatorWeightsByBatch) {
  MetricAccumulator acc({"accuracy", "top2"});
  acc.update(logits4x3(), from_vector<int64_t>({1, 0, 1, 0}, {4}), 1.0, 4);               // accuracy 3/4, top2 4/4
  acc.update(tensor({{0, 1, 2}, {2, 1, 0}}), from_vector<int64_t>({0, 0}, {2}), 4.0, 2);  // 1/2, 1/2
  Logs logs = acc.results("val_");
  EXPECT_DOUBLE_EQ(logs.at("val_loss"), (4 * 1.0 + 2 * 4.0) / 6);
  EXPECT_DOUBLE_EQ(logs.at("val_accuracy"), 4.0 / 6);
  EXPECT_DOUBLE_EQ(logs.at("val_top2"), 5.0 / 6);
  EXPECT_EQ(acc.samples(), 6);
  acc.reset();
  EXPECT_TRUE(std::isnan(acc.results().at("loss")));
}

TEST(Metrics, AccumulatorRegression) {
  MetricAccumulator acc({"mae", "mse"});
  acc.update(tensor({1.0, 2.0, 4.0}).reshape({3, 1}), tensor({1.5, 2.0, 2.0}), 0.0, 3);
  Logs logs = acc.results();
  EXPECT_DOUBLE_EQ(logs.at("mae"), (0.5 + 0 + 2) / 3);
  EXPECT_DOUBLE_EQ(logs.at("mse"), (0.25 + 0 + 4) / 3);
}

}  // namespace
}  // namespace strata::train
