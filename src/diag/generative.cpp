// Measurements of generative models (see include/strata/diag/generative.h).
#include "strata/diag/generative.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "strata/core/error.h"
#include "strata/data/ring_of_gaussians.h"

namespace strata::diag {

namespace {

std::vector<double> float_values(const Tensor& t, const char* op, const char* what) {
  STRATA_CHECK(t.defined(), "[", op, "] ", what, " is undefined");
  STRATA_CHECK(is_floating(t.dtype()), "[", op, "] ", what, " must be a floating tensor, got ", t.dtype());
  std::vector<double> v = t.to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i) {
    STRATA_CHECK(std::isfinite(v[i]), "[", op, "] ", what, " has a non-finite value (", v[i], ") at flat index ", i);
  }
  return v;
}

}  // namespace

Tensor ring_centers(int64_t k, double radius) { return data::RingOfGaussians::ring_centers(k, radius); }

ModeCoverage mode_coverage(const Tensor& samples, const Tensor& centers, double std, double k_std, int64_t min_count) {
  STRATA_CHECK(samples.defined() && samples.dim() == 2 && samples.size(0) >= 1,
               "[mode_coverage] samples must be (N, D) with N >= 1, got ",
               samples.defined() ? samples.shape() : Shape());
  STRATA_CHECK(centers.defined() && centers.dim() == 2 && centers.size(0) >= 1,
               "[mode_coverage] centers must be (K, D) with K >= 1, got ",
               centers.defined() ? centers.shape() : Shape());
  STRATA_CHECK(samples.size(1) == centers.size(1), "[mode_coverage] samples ", samples.shape(), " and centers ",
               centers.shape(), " differ in dimension");
  STRATA_CHECK(std::isfinite(std) && std > 0, "[mode_coverage] std must be finite and > 0, got ", std);
  STRATA_CHECK(std::isfinite(k_std) && k_std > 0, "[mode_coverage] k_std must be finite and > 0, got ", k_std);
  STRATA_CHECK(min_count != 0, "[mode_coverage] min_count must be >= 1 (or < 0 for the default), got 0");
  const std::vector<double> x = float_values(samples, "mode_coverage", "samples");
  const std::vector<double> c = float_values(centers, "mode_coverage", "centers");
  const int64_t n = samples.size(0), k = centers.size(0), d = samples.size(1);

  ModeCoverage r;
  r.num_modes = k;
  r.min_count = min_count >= 0 ? min_count : std::max<int64_t>(1, (n / k) / 100);
  r.counts.assign(static_cast<size_t>(k), 0);
  r.assigned.assign(static_cast<size_t>(k), 0);
  const double limit2 = (k_std * std) * (k_std * std);
  int64_t high_quality = 0;
  for (int64_t i = 0; i < n; ++i) {
    double best = std::numeric_limits<double>::infinity();
    int64_t best_j = 0;
    for (int64_t j = 0; j < k; ++j) {
      double dist2 = 0;
      for (int64_t e = 0; e < d; ++e) {
        const double diff = x[static_cast<size_t>(i * d + e)] - c[static_cast<size_t>(j * d + e)];
        dist2 += diff * diff;
      }
      if (dist2 < best) {
        best = dist2;
        best_j = j;
      }
    }
    ++r.assigned[static_cast<size_t>(best_j)];
    if (best <= limit2) {
      ++r.counts[static_cast<size_t>(best_j)];
      ++high_quality;
    }
  }
  r.high_quality_fraction = static_cast<double>(high_quality) / static_cast<double>(n);
  r.modes_covered = std::count_if(r.counts.begin(), r.counts.end(), [&](int64_t cnt) { return cnt >= r.min_count; });
  return r;
}

ClassCoverage class_coverage(const Tensor& predictions, int64_t num_classes, double min_share) {
  STRATA_CHECK(num_classes >= 1, "[class_coverage] num_classes must be >= 1, got ", num_classes);
  STRATA_CHECK(predictions.defined(), "[class_coverage] predictions are undefined");
  STRATA_CHECK(min_share <= 1, "[class_coverage] min_share must be <= 1, got ", min_share);
  std::vector<int64_t> labels;
  if (predictions.dim() == 2) {
    STRATA_CHECK(predictions.size(1) == num_classes, "[class_coverage] predictions ", predictions.shape(),
                 " must have num_classes = ", num_classes, " columns");
    const std::vector<double> p = float_values(predictions, "class_coverage", "predictions");
    const int64_t n = predictions.size(0);
    labels.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const auto row = p.begin() + i * num_classes;
      labels[static_cast<size_t>(i)] = std::max_element(row, row + num_classes) - row;  // first maximum
    }
  } else {
    STRATA_CHECK(predictions.dim() == 1 && predictions.dtype() == kInt64, "[class_coverage] predictions must be ",
                 "(N, K) class probabilities or (N) int64 labels, got ", predictions.dtype(), " ", predictions.shape());
    labels = predictions.to_vector<int64_t>();
  }
  STRATA_CHECK(!labels.empty(), "[class_coverage] no samples");

  ClassCoverage r;
  r.num_classes = num_classes;
  r.num_samples = static_cast<int64_t>(labels.size());
  r.min_share = min_share >= 0 ? min_share : 0.2 / static_cast<double>(num_classes);
  r.counts.assign(static_cast<size_t>(num_classes), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    STRATA_CHECK(labels[i] >= 0 && labels[i] < num_classes, "[class_coverage] label ", labels[i], " at index ", i,
                 " is outside [0, ", num_classes, ")");
    ++r.counts[static_cast<size_t>(labels[i])];
  }
  const double n = static_cast<double>(r.num_samples);
  for (int64_t cnt : r.counts) {
    const double p = static_cast<double>(cnt) / n;
    if (cnt > 0 && p >= r.min_share) ++r.classes_present;
    if (cnt > 0) r.entropy -= p * std::log(p);
  }
  const double log_k = std::log(static_cast<double>(num_classes));
  r.normalized_entropy = num_classes > 1 ? r.entropy / log_k : 1.0;
  r.kl_to_uniform = std::max(0.0, log_k - r.entropy);
  return r;
}

double sample_diversity(const Tensor& samples) {
  STRATA_CHECK(samples.defined() && samples.dim() >= 1 && samples.size(0) >= 2,
               "[sample_diversity] samples must be (N, ...) with N >= 2, got ",
               samples.defined() ? samples.shape() : Shape());
  const std::vector<double> x = float_values(samples, "sample_diversity", "samples");
  const int64_t n = samples.size(0);
  const int64_t d = samples.numel() / n;
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* a = x.data() + i * d;
    for (int64_t j = i + 1; j < n; ++j) {
      const double* b = x.data() + j * d;
      double s = 0;
      for (int64_t e = 0; e < d; ++e) s += (a[e] - b[e]) * (a[e] - b[e]);
      total += std::sqrt(s);
    }
  }
  return total / (static_cast<double>(n) * static_cast<double>(n - 1) / 2.0);
}

double roc_auc(const Tensor& scores, const Tensor& labels) {
  STRATA_CHECK(scores.defined() && scores.dim() == 1, "[roc_auc] scores must be 1-D (N), got ",
               scores.defined() ? scores.shape() : Shape());
  STRATA_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == scores.size(0), "[roc_auc] labels must be (",
               scores.size(0), ") like scores, got ", labels.defined() ? labels.shape() : Shape());
  STRATA_CHECK(is_floating(scores.dtype()) || scores.dtype() == kInt64,
               "[roc_auc] scores must be floating or int64, got ", scores.dtype());
  const std::vector<double> s = scores.to_vector<double>();
  const std::vector<double> y = labels.to_vector<double>();
  const size_t n = s.size();
  int64_t positives = 0;
  for (size_t i = 0; i < n; ++i) {
    STRATA_CHECK(!std::isnan(s[i]), "[roc_auc] score ", i, " is NaN");
    STRATA_CHECK(y[i] == 0 || y[i] == 1, "[roc_auc] labels must be 0 or 1, got ", y[i], " at index ", i);
    positives += y[i] == 1;
  }
  const int64_t negatives = static_cast<int64_t>(n) - positives;
  STRATA_CHECK(positives > 0 && negatives > 0, "[roc_auc] both classes must be present, got ", positives,
               " positive and ", negatives, " negative labels");
  // Mann-Whitney: sum of the positives' ranks (1-based, ties averaged) minus its minimum P (P + 1) / 2.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] < s[b]; });
  double rank_sum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && s[order[j + 1]] == s[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t t = i; t <= j; ++t) rank_sum += y[order[t]] == 1 ? avg_rank : 0.0;
    i = j + 1;
  }
  const double p = static_cast<double>(positives), q = static_cast<double>(negatives);
  return (rank_sum - p * (p + 1) / 2.0) / (p * q);
}

}  // namespace strata::diag
