#pragma once
// Classification and regression metrics on model outputs. They read values (no autograd) and return plain
// numbers; bad shapes or dtypes are a strata::Error naming the metric and the shapes.
//
// Outputs are logits or probabilities: multi-class (N, C) or (N, C, d1, ...) with int64 class targets
// (N) or (N, d1, ...) (argmax over dim 1; one-hot / probability targets of the output's shape compare
// argmaxes), or binary (N) / (N, 1) with float targets in {0, 1}, predicted positive when output > threshold
// (0.5 for probabilities, 0 for logits).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::train {

// Scalar results by name: "loss", "accuracy", "val_loss", "val_accuracy", "lr", ...
using Logs = std::map<std::string, double>;

// Fraction of correct predictions. Multi-class targets outside [0, C) are an error.
double accuracy(const Tensor& output, const Tensor& target, double threshold = 0.5);

// Fraction of examples whose target is among the k highest outputs.  output: (N, C)  target: (N) int64.
// 1 <= k <= C (k > C is an error naming both).
double top_k_accuracy(const Tensor& output, const Tensor& target, int64_t k);

// Counts of (true class, predicted class): an int64 (C, C) tensor, rows = true, columns = predicted.
// pred: (N) int64 class indices, or (N, C) float outputs (argmax).  target: (N) int64.
// Every class must lie in [0, num_classes).
Tensor confusion_matrix(const Tensor& pred, const Tensor& target, int64_t num_classes);

// Per-class precision, recall and F1 from a confusion matrix (rows = true). A class with no predictions
// (or no examples) gets precision (recall) 0, as sklearn's zero_division=0; F1 is 0 when P + R = 0.
struct ClassificationReport {
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support;                                // true examples per class
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;  // unweighted means over classes
  double weighted_f1 = 0;                                      // F1 weighted by support
  double accuracy = 0;                                         // trace / total
};
// confusion: (C, C) int64.
ClassificationReport precision_recall_f1(const Tensor& confusion);

// Streaming metrics for fit() and evaluate(): per batch, update() adds the loss (weighted by the batch size)
// and the metric counts; results() gives the means so far. No tensor is allocated per batch.
//   names: "accuracy" / "acc", "topK" (e.g. "top5"), "mae", "mse"; an unknown name is an error listing
//   the known ones.
class MetricAccumulator {
 public:
  explicit MetricAccumulator(std::vector<std::string> names = {"accuracy"}, double binary_threshold = 0.5);
  void reset();
  // output: the model's output for the batch (detached or not); target: the batch's target; loss: the
  // batch's mean loss; batch_size: the examples in the batch (the weight of `loss`).
  void update(const Tensor& output, const Tensor& target, double loss, int64_t batch_size);
  // Only the loss (metrics untouched): for callers that skip metrics on some batches.
  void update_loss(double loss, int64_t batch_size);
  // {"loss": mean loss, "<name>": value, ...} with each key prefixed by `prefix` ("val_").
  Logs results(const std::string& prefix = "") const;
  void results_into(Logs& logs, const std::string& prefix = "") const;
  const std::vector<std::string>& names() const { return names_; }
  int64_t samples() const { return samples_; }
  // The running sums (loss sum, samples, then each metric's total and count), for exact resume mid-epoch;
  // set_totals puts them back (an error naming both lengths when they do not fit these metrics).
  std::vector<double> totals() const;
  void set_totals(const std::vector<double>& totals);

 private:
  struct Metric {
    std::string name;
    int kind;   // accuracy, top-k, mae, mse
    int64_t k;  // top-k
    double total = 0;
    double count = 0;
  };
  std::vector<std::string> names_;
  std::vector<Metric> metrics_;
  double threshold_;
  double loss_sum_ = 0;
  int64_t samples_ = 0;
};

}  // namespace strata::train
