// Generative-model measurements: mode coverage on the 8-Gaussian ring, class coverage, sample diversity and
// ROC AUC (hand-computed values, ties as sklearn.metrics.roc_auc_score).
#include "strata/diag/generative.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "strata/core/error.h"
#include "strata/data/ring_of_gaussians.h"
#include "strata/ops/creation.h"
#include "test_util.h"

namespace strata::diag {
namespace {

using ::testing::HasSubstr;

using strata::testing::error_of;

// Each center repeated `reps` times, shifted by (dx, dy).
Tensor repeated_centers(const std::vector<int64_t>& modes, int64_t reps, double dx = 0, double dy = 0) {
  const std::vector<float> c = ring_centers(8, 2.0).to_vector<float>();
  std::vector<float> v;
  for (int64_t k : modes)
    for (int64_t r = 0; r < reps; ++r) {
      v.push_back(c[static_cast<size_t>(2 * k)] + static_cast<float>(dx));
      v.push_back(c[static_cast<size_t>(2 * k + 1)] + static_cast<float>(dy));
    }
  return from_vector(v, {static_cast<int64_t>(v.size() / 2), 2});
}

TEST(ModeCoverage, PerfectRingCoversAllModes) {
  const ModeCoverage m = mode_coverage(repeated_centers({0, 1, 2, 3, 4, 5, 6, 7}, 10), ring_centers(), 0.02);
  EXPECT_EQ(m.num_modes, 8);
  EXPECT_EQ(m.modes_covered, 8);
  EXPECT_EQ(m.high_quality_fraction, 1.0);
  EXPECT_EQ(m.min_count, 1);  // max(1, floor(0.01 * 80 / 8))
  EXPECT_EQ(m.counts, std::vector<int64_t>(8, 10));
  EXPECT_EQ(m.assigned, std::vector<int64_t>(8, 10));
}

TEST(ModeCoverage, CollapseOntoOneModeCoversOne) {
  const ModeCoverage m = mode_coverage(repeated_centers({5}, 40), ring_centers(), 0.02);
  EXPECT_EQ(m.modes_covered, 1);
  EXPECT_EQ(m.high_quality_fraction, 1.0);
  EXPECT_EQ(m.counts[5], 40);
  EXPECT_EQ(m.counts[0], 0);
}

TEST(ModeCoverage, SamplesFromTheRingItself) {
  // 2500 draws of the data: all 8 modes; within 3 std in 2-D holds with probability 1 - exp(-9/2) = 0.9889.
  const data::RingOfGaussians ring(2500, 11);
  const ModeCoverage m = mode_coverage(ring.inputs(), ring.centers(), ring.noise_std());
  EXPECT_EQ(m.modes_covered, 8);
  EXPECT_EQ(m.min_count, 3);  // floor(0.01 * 2500 / 8)
  EXPECT_NEAR(m.high_quality_fraction, 0.9889, 0.006);
  // Each sample went to the mode it was drawn from.
  const std::vector<int64_t> y = ring.targets().to_vector<int64_t>();
  for (int64_t k = 0; k < 8; ++k) EXPECT_EQ(m.assigned[static_cast<size_t>(k)], std::count(y.begin(), y.end(), k));
}

TEST(ModeCoverage, QualityRadiusAndMinCount) {
  // 3 std = 0.06: a sample 0.059 from its center is high quality, one 0.061 away is not.
  EXPECT_EQ(mode_coverage(repeated_centers({2}, 4, 0.059), ring_centers(), 0.02).high_quality_fraction, 1.0);
  EXPECT_EQ(mode_coverage(repeated_centers({2}, 4, 0.0, -0.061), ring_centers(), 0.02).high_quality_fraction, 0.0);
  EXPECT_EQ(mode_coverage(repeated_centers({2}, 4, 0.0, -0.061), ring_centers(), 0.02, 4.0).high_quality_fraction, 1.0);
  // A sample between two modes is assigned but not high quality; modes with fewer than min_count are not covered.
  Tensor mixed = repeated_centers({0, 0, 0, 1, 1}, 1);
  const ModeCoverage m = mode_coverage(mixed, ring_centers(), 0.02, 3.0, 3);
  EXPECT_EQ(m.modes_covered, 1);
  EXPECT_EQ(m.counts[1], 2);
  // Equidistant from two centers: the first.
  const ModeCoverage o = mode_coverage(zeros({1, 2}), tensor({{1, 0}, {-1, 0}}), 0.02);
  EXPECT_EQ(o.assigned[0], 1);
  EXPECT_EQ(o.modes_covered, 0);
  EXPECT_EQ(o.high_quality_fraction, 0.0);
}

TEST(ModeCoverage, Errors) {
  EXPECT_THAT(error_of([] { mode_coverage(zeros({4, 3}), ring_centers(), 0.02); }), HasSubstr("differ in dimension"));
  EXPECT_THAT(error_of([] { mode_coverage(zeros({4}), ring_centers(), 0.02); }), HasSubstr("(N, D)"));
  EXPECT_THAT(error_of([] { mode_coverage(zeros({4, 2}), ring_centers(), 0.0); }), HasSubstr("std"));
  EXPECT_THAT(error_of([] { mode_coverage(zeros({4, 2}), ring_centers(), 0.02, 3.0, 0); }), HasSubstr("min_count"));
  EXPECT_THAT(error_of([] {
                mode_coverage(full({4, 2}, std::nan("")), ring_centers(), 0.02);
              }),
              HasSubstr("non-finite"));
  EXPECT_THAT(error_of([] { mode_coverage(zeros({4, 2}, kInt64), ring_centers(), 0.02); }), HasSubstr("int64"));
}

TEST(ClassCoverage, HistogramEntropyAndKl) {
  const ClassCoverage c = class_coverage(from_vector(std::vector<int64_t>{0, 0, 1, 2}), 4);
  EXPECT_EQ(c.counts, (std::vector<int64_t>{2, 1, 1, 0}));
  EXPECT_EQ(c.num_samples, 4);
  EXPECT_EQ(c.classes_present, 3);
  EXPECT_DOUBLE_EQ(c.min_share, 0.05);
  EXPECT_DOUBLE_EQ(c.entropy, 1.5 * std::log(2.0));  // -(1/2 ln 1/2 + 2 * 1/4 ln 1/4)
  EXPECT_DOUBLE_EQ(c.kl_to_uniform, 0.5 * std::log(2.0));
  EXPECT_DOUBLE_EQ(c.normalized_entropy, 0.75);
  // Probabilities: argmax per row.
  const ClassCoverage p = class_coverage(tensor({{0.1, 0.9}, {0.8, 0.2}, {0.3, 0.7}}), 2);
  EXPECT_EQ(p.counts, (std::vector<int64_t>{1, 2}));
  // Uniform and collapsed extremes.
  const ClassCoverage u = class_coverage(arange(0, 10, 1, TensorOptions(kInt64)), 10);
  EXPECT_EQ(u.classes_present, 10);
  EXPECT_NEAR(u.kl_to_uniform, 0.0, 1e-12);
  EXPECT_NEAR(u.normalized_entropy, 1.0, 1e-12);
  const ClassCoverage one = class_coverage(full({7}, 3, kInt64), 10);
  EXPECT_EQ(one.classes_present, 1);
  EXPECT_EQ(one.entropy, 0.0);
  EXPECT_DOUBLE_EQ(one.kl_to_uniform, std::log(10.0));
}

TEST(ClassCoverage, MinShare) {
  // 100 samples, 10 classes: 99 in class 0 and 1 in class 4 (1% < the default 2%).
  std::vector<int64_t> v(100, 0);
  v[50] = 4;
  const Tensor labels = from_vector(v);
  EXPECT_EQ(class_coverage(labels, 10).classes_present, 1);
  EXPECT_EQ(class_coverage(labels, 10, 0.01).classes_present, 2);
  EXPECT_EQ(class_coverage(labels, 10).counts[4], 1);
}

TEST(ClassCoverage, Errors) {
  EXPECT_THAT(error_of([] {
                class_coverage(from_vector(std::vector<int64_t>{0, 5}), 5);
              }),
              HasSubstr("label 5 at index 1"));
  EXPECT_THAT(error_of([] { class_coverage(zeros({3, 4}), 5); }), HasSubstr("num_classes = 5"));
  EXPECT_THAT(error_of([] { class_coverage(zeros({3}), 5); }), HasSubstr("int64 labels"));
  EXPECT_THAT(error_of([] { class_coverage(zeros({0}, kInt64), 5); }), HasSubstr("no samples"));
}

TEST(SampleDiversity, MeanPairwiseDistance) {
  // Pairs: |(0,0)-(3,4)| = 5, |(0,0)-(0,0)| = 0, |(3,4)-(0,0)| = 5 -> 10 / 3.
  EXPECT_DOUBLE_EQ(sample_diversity(tensor({{0, 0}, {3, 4}, {0, 0}})), 10.0 / 3.0);
  // Samples are flattened: (2, 1, 1, 2).
  EXPECT_DOUBLE_EQ(sample_diversity(from_vector(std::vector<float>{0, 0, 3, 4}, {2, 1, 1, 2})), 5.0);
  EXPECT_EQ(sample_diversity(full({5, 3, 2}, 0.7)), 0.0);
  // Collapse onto one mode of the ring vs the ring itself: the ratio is far below 0.3.
  const data::RingOfGaussians ring(200, 5);
  const data::RingOfGaussians collapsed(200, 5, 1, 2.0, 0.02);
  const double ratio = sample_diversity(collapsed.inputs()) / sample_diversity(ring.inputs());
  EXPECT_LT(ratio, 0.05);
  EXPECT_GT(ratio, 0.0);
  EXPECT_THAT(error_of([] { sample_diversity(zeros({1, 3})); }), HasSubstr("N >= 2"));
}

TEST(RocAuc, HandValues) {
  // sklearn's docstring example.
  EXPECT_DOUBLE_EQ(roc_auc(tensor({0.1, 0.4, 0.35, 0.8}), from_vector(std::vector<int64_t>{0, 0, 1, 1})), 0.75);
  EXPECT_DOUBLE_EQ(roc_auc(tensor({1, 2, 3}), from_vector(std::vector<int64_t>{0, 1, 1})), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc(tensor({3, 2, 1}), from_vector(std::vector<int64_t>{0, 1, 1})), 0.0);
  // Ties count one half: positives {0.5, 0.9} vs negatives {0.5, 0.5}: (0.5 + 0.5 + 1 + 1) / 4.
  EXPECT_DOUBLE_EQ(roc_auc(tensor({0.5, 0.5, 0.5, 0.9}), from_vector(std::vector<int64_t>{0, 1, 0, 1})), 0.75);
  // Positives {3, 2, 5} vs negatives {1, 2}: (1 + 1) + (1 + 0.5) + (1 + 1) = 5.5 of 6 pairs.
  EXPECT_DOUBLE_EQ(roc_auc(tensor({3, 1, 2, 2, 5}), from_vector(std::vector<int64_t>{1, 0, 0, 1, 1})), 5.5 / 6);
  // All tied: 0.5. Labels as bool or float.
  EXPECT_DOUBLE_EQ(roc_auc(full({4}, 1.0), from_vector(std::vector<bool>{true, false, false, true})), 0.5);
  EXPECT_DOUBLE_EQ(roc_auc(tensor({0.2, 0.1}, kFloat64), tensor({1, 0})), 1.0);
}

TEST(RocAuc, Errors) {
  EXPECT_THAT(error_of([] { roc_auc(tensor({1, 2}), tensor({1, 1})); }), HasSubstr("both classes"));
  EXPECT_THAT(error_of([] { roc_auc(tensor({1, 2}), tensor({0, 2})); }), HasSubstr("0 or 1, got 2"));
  EXPECT_THAT(error_of([] { roc_auc(tensor({1, std::nan("")}), tensor({0, 1})); }), HasSubstr("NaN"));
  EXPECT_THAT(error_of([] { roc_auc(tensor({1, 2, 3}), tensor({0, 1})); }), HasSubstr("labels must be (3)"));
  EXPECT_THAT(error_of([] { roc_auc(zeros({2, 2}), zeros({2, 2})); }), HasSubstr("1-D"));
}

}  // namespace
}  // namespace strata::diag
