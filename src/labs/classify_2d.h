#pragma once
// What the neuron / activation / loss labs share: full-batch training of small models on in-memory 2-D data
// (fast: no data loader for a few hundred rows), steps to a target accuracy, XOR and imbalanced data sets,
// decision maps over a grid, and per-class precision / recall.
#include <cstdint>
#include <vector>

#include "labs/kit.h"
#include "strata/core/tensor.h"
#include "strata/nn/losses.h"
#include "strata/nn/module.h"

namespace strata::labs::classify_2d {

// `steps` full-batch Adam steps of `loss` on `d`; the training loss before each step.
std::vector<double> train(nn::Module& model, const nn::Loss& loss, const kit::XY& d, int64_t steps, double lr);
// Full-batch Adam until the training accuracy reaches `target` (checked every `every` steps); the steps taken,
// or -1 when `max_steps` did not reach it.
int64_t steps_to_accuracy(nn::Module& model, const nn::Loss& loss, const kit::XY& d, double target, int64_t max_steps,
                          double lr, int64_t every = 5);
// Four noisy clusters at (+-1, +-1); class 1 where the signs differ (no line separates the classes).
kit::XY xor_data(int64_t n, double noise, uint64_t seed);
// Two overlapping Gaussian classes in 2-D: class 1 (a fraction `minority` of the rows) centred `gap` away
// from class 0 along x, both of unit std.
kit::XY imbalanced(int64_t n, double minority, double gap, uint64_t seed);
// The predicted class of each row (argmax over outputs; one output column: logit > 0).
Tensor predicted_class(nn::Module& model, const Tensor& x);
// The model's output for an n x n grid over [-lim, lim]^2, row 0 at the top (largest y): the predicted class,
// or with `prob_of` >= 0 the softmax probability of that class (one output column: sigmoid).
std::vector<std::vector<double>> decision_map(nn::Module& model, int64_t n, double lim, int64_t prob_of = -1);

struct PrecisionRecall {
  double precision = 0;
  double recall = 0;
};
// Of class `c`: precision (right among the rows predicted c) and recall (found among the rows that are c).
PrecisionRecall precision_recall(const Tensor& predicted, const Tensor& y, int64_t c);

}  // namespace strata::labs::classify_2d
