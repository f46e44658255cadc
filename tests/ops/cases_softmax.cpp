// Table rows for softmax / log_softmax / nll_loss / cross_entropy. Targets (int64, with an ignore_index
// entry where named) and class weights are fixed constants captured in each row's fn.
#include "op_table.h"

using strata::Reduction;
using strata::Tensor;
using strata::TensorList;

namespace {
Tensor targets(std::vector<int64_t> v, strata::Shape shape) { return strata::from_vector<int64_t>(v, shape); }
Tensor weights(std::initializer_list<double> w) { return strata::tensor(w, strata::TensorOptions(strata::kFloat64)); }
}  // namespace

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    softmax,
    {
        {"softmax.dim1", {{3, 4}}, [](const TensorList& x) { return strata::softmax(x[0], 1); }},
        {"softmax.dim0", {{3, 4}}, [](const TensorList& x) { return strata::softmax(x[0], 0); }},
        {"softmax.dim1.of3d", {{2, 3, 4}}, [](const TensorList& x) { return strata::softmax(x[0], 1); }},
        {"softmax.transposed", {{3, 4}}, [](const TensorList& x) { return strata::softmax(x[0].t(), -1); }},
        {"log_softmax.dim1", {{3, 4}}, [](const TensorList& x) { return strata::log_softmax(x[0], 1); }},
        {"log_softmax.neg_dim.of3d", {{2, 3, 4}}, [](const TensorList& x) { return strata::log_softmax(x[0], -2); }},
        {"nll_loss.mean",
         {{4, 5}},
         [](const TensorList& x) {
           return strata::nll_loss(x[0], targets({1, 0, 4, 2}, {4}));
         }},
        {"nll_loss.weighted.ignore",
         {{4, 5}},
         [](const TensorList& x) {
           return strata::nll_loss(x[0], targets({1, -100, 4, 2}, {4}), weights({0.5, 1.0, 2.0, 1.5, 0.7}));
         }},
        {"nll_loss.sum",
         {{4, 5}},
         [](const TensorList& x) {
           return strata::nll_loss(x[0], targets({3, 3, 0, 1}, {4}), Tensor(), Reduction::Sum);
         }},
        {"nll_loss.none",
         {{3, 4}},
         [](const TensorList& x) {
           return strata::nll_loss(x[0], targets({0, 3, -100}, {3}), Tensor(), Reduction::None);
         }},
        {"nll_loss.spatial",
         {{2, 3, 2}},
         [](const TensorList& x) {
           return strata::nll_loss(x[0], targets({2, 0, 1, -100}, {2, 2}));
         }},
        {"cross_entropy.mean",
         {{4, 5}},
         [](const TensorList& x) {
           return strata::cross_entropy(x[0], targets({1, 0, 4, 2}, {4}));
         }},
        {"cross_entropy.weighted.ignore",
         {{4, 5}},
         [](const TensorList& x) {
           return strata::cross_entropy(x[0], targets({1, -100, 4, 2}, {4}), weights({0.5, 1.0, 2.0, 1.5, 0.7}));
         }},
        {"cross_entropy.smoothing",
         {{4, 5}},
         [](const TensorList& x) {
           return strata::cross_entropy(x[0], targets({1, 0, 4, 2}, {4}), Tensor(), Reduction::Mean, -100, 0.1);
         }},
        {"cross_entropy.smoothing.weighted.ignore",
         {{4, 5}},
         [](const TensorList& x) {
           return strata::cross_entropy(x[0], targets({1, -100, 4, 2}, {4}), weights({0.5, 1.0, 2.0, 1.5, 0.7}),
                                        Reduction::Mean, -100, 0.2);
         }},
        {"cross_entropy.none",
         {{3, 4}},
         [](const TensorList& x) {
           return strata::cross_entropy(x[0], targets({0, 3, -100}, {3}), Tensor(), Reduction::None);
         }},
        {"cross_entropy.sum.smoothing",
         {{3, 4}},
         [](const TensorList& x) {
           return strata::cross_entropy(x[0], targets({2, 3, 1}, {3}), Tensor(), Reduction::Sum, -100, 0.3);
         }},
        {"cross_entropy.spatial.weighted",
         {{2, 3, 2}},
         [](const TensorList& x) {
           return strata::cross_entropy(x[0], targets({2, 0, 1, -100}, {2, 2}), weights({0.5, 1.0, 2.0}),
                                        Reduction::Mean, -100, 0.1);
         }},
    });
// clang-format on
