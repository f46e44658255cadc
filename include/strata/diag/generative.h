#pragma once
// Measurements of generative models: pure functions of generated samples (and of real data to compare with),
// cheap enough for a few hundred samples at every evaluation. docs/generative.md describes each rule.
//
//   data::RingOfGaussians ring(2500, 0);
//   diag::ModeCoverage m = diag::mode_coverage(generator_samples, ring.centers(), ring.noise_std());
//   // m.modes_covered == 8 and m.high_quality_fraction near 1: no collapse; 1 of 8: collapsed onto one mode
//   diag::ClassCoverage c = diag::class_coverage(classifier_probs, 10);   // of generated images
//   double ratio = diag::sample_diversity(fake) / diag::sample_diversity(real);  // < ~0.3: collapse
//   double auc = diag::roc_auc(reconstruction_error, is_anomaly);          // anomaly detection
#include <cstdint>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::diag {

// (k, 2) float32: center i = radius * (cos(2 pi i / k), sin(2 pi i / k)), as data::RingOfGaussians.
Tensor ring_centers(int64_t k = 8, double radius = 2.0);

struct ModeCoverage {
  int64_t num_modes = 0;
  int64_t modes_covered = 0;         // modes with at least min_count high-quality samples
  double high_quality_fraction = 0;  // samples within k_std * std of their nearest center / all samples
  int64_t min_count = 0;             // the threshold used
  std::vector<int64_t> counts;       // per mode: high-quality samples whose nearest center it is
  std::vector<int64_t> assigned;     // per mode: all samples whose nearest center it is
};

// VEEGAN's measure for the 2-D mixtures. samples: (N, D) generated points; centers: (K, D) the mixture means;
// std: the mixture's standard deviation. Each sample goes to its nearest center (Euclidean; ties to the lower
// index); it is high quality when its distance to that center is at most k_std * std. A mode is covered when
// at least min_count high-quality samples went to it. VEEGAN counts a mode once any high-quality sample reaches
// it; a single stray sample then counts, so min_count < 0 (the default) means max(1, floor(0.01 * N / K)),
// 1% of a mode's share (3 for N = 2500, K = 8; 1 for N < 1600); min_count = 0 is an error. Float dtypes; computed in
// float64.
ModeCoverage mode_coverage(const Tensor& samples, const Tensor& centers, double std, double k_std = 3.0,
                           int64_t min_count = -1);

struct ClassCoverage {
  int64_t num_classes = 0;
  int64_t num_samples = 0;
  std::vector<int64_t> counts;    // per class: samples predicted as it
  int64_t classes_present = 0;    // classes with a share of at least min_share
  double min_share = 0;           // the threshold used
  double entropy = 0;             // of the predicted-class histogram, in nats (log K when uniform, 0 when one class)
  double normalized_entropy = 0;  // entropy / log K (1 when K = 1)
  double kl_to_uniform = 0;       // KL(histogram || uniform) = log K - entropy
};

// Which classes generated samples fall into, as judged by a classifier trained on real data.
// predictions: (N, K) class probabilities or logits (argmax per row, ties to the lower class), or (N) int64
// labels in [0, num_classes). A class is present when at least min_share of the samples fall into it;
// min_share < 0 (the default) means 0.2 / num_classes, a fifth of the uniform share (2% for 10 classes).
ClassCoverage class_coverage(const Tensor& predictions, int64_t num_classes, double min_share = -1);

// Mean Euclidean distance over all N (N - 1) / 2 pairs of samples (N, ...) (each sample flattened), computed
// in float64. Compare with the same statistic on as many real samples: a generator whose ratio fake / real is
// well below 1 (under ~0.3) produces near-copies, a sign of mode collapse. N >= 2; O(N^2 D), meant for N up to
// a few hundred.
double sample_diversity(const Tensor& samples);

// Area under the ROC curve of `scores` (N) (higher = more likely positive) against `labels` (N) in {0, 1}
// (int64, bool or float), as sklearn.metrics.roc_auc_score: the Mann-Whitney statistic with tied scores
// given their average rank, i.e. P(score of a positive > score of a negative) + 0.5 P(equal).
// Both classes must be present; NaN scores are an error.
double roc_auc(const Tensor& scores, const Tensor& labels);

}  // namespace strata::diag
