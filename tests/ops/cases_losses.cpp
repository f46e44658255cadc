// Table rows for the losses of strata/nn/losses.h (gradcheck with respect to the input). Targets, weights and
// alphas are constants captured in each row, made in the input's dtype; BCE rows draw probabilities
// (Domain::Unit). Mirrored in tests/golden/rows_losses.py.
#include "op_table.h"
#include "strata/nn/losses.h"

using strata::Reduction;
using strata::Tensor;
using strata::TensorList;
using strata::nn::KLDivReduction;
using strata::testing::Domain;
namespace F = strata::nn::functional;

namespace {
// A constant in the dtype of `like` (float32 in golden replays, float64 in gradchecks).
Tensor cst(std::vector<double> v, strata::Shape shape, const Tensor& like) {
  return strata::from_vector<double>(v, shape).to(like.dtype());
}
Tensor targets(std::vector<int64_t> v, strata::Shape shape) { return strata::from_vector<int64_t>(v, shape); }

const std::vector<double> kReal12 = {0.3, -1.2, 0.8, 0.0, 1.5, -0.4, 2.0, -0.7, 0.1, 0.9, -1.8, 0.6};
const std::vector<double> kProb12 = {0.0, 1.0, 0.25, 0.9, 1.0, 0.0, 0.5, 0.1, 0.7, 0.0, 1.0, 0.35};
const std::vector<double> kDist12 = {0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.5, 0.0, 0.7, 0.1, 0.1, 0.1};
const std::vector<double> kDistB12 = {0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.4, 0.1, 0.7, 0.1, 0.1, 0.1};
const std::vector<double> kW4 = {0.5, 1.0, 2.0, 1.5};
const std::vector<double> kPosW4 = {3.0, 1.0, 0.5, 2.0};
const std::vector<double> kAlpha5 = {0.5, 1.0, 2.0, 1.5, 0.7};

Tensor real(const Tensor& x) { return cst(kReal12, {3, 4}, x); }
Tensor prob(const Tensor& x) { return cst(kProb12, {3, 4}, x); }
}  // namespace

STRATA_OP_CASES(
    losses,
    {
        {"mse_loss.mean", {{3, 4}}, [](const TensorList& x) { return F::mse_loss(x[0], real(x[0])); }},
        {"mse_loss.sum", {{3, 4}}, [](const TensorList& x) { return F::mse_loss(x[0], real(x[0]), Reduction::Sum); }},
        {"mse_loss.none", {{3, 4}}, [](const TensorList& x) { return F::mse_loss(x[0], real(x[0]), Reduction::None); }},
        {"mse_loss.transposed", {{4, 3}}, [](const TensorList& x) { return F::mse_loss(x[0].t(), real(x[0])); }},
        {"l1_loss.mean", {{3, 4}}, [](const TensorList& x) { return F::l1_loss(x[0], real(x[0])); }},
        {"l1_loss.sum", {{3, 4}}, [](const TensorList& x) { return F::l1_loss(x[0], real(x[0]), Reduction::Sum); }},
        {"l1_loss.none", {{3, 4}}, [](const TensorList& x) { return F::l1_loss(x[0], real(x[0]), Reduction::None); }},
        {"binary_cross_entropy.mean",
         {{3, 4}},
         [](const TensorList& x) { return F::binary_cross_entropy(x[0], prob(x[0])); },
         Domain::Unit},
        {"binary_cross_entropy.sum",
         {{3, 4}},
         [](const TensorList& x) { return F::binary_cross_entropy(x[0], prob(x[0]), Tensor(), Reduction::Sum); },
         Domain::Unit},
        {"binary_cross_entropy.none",
         {{3, 4}},
         [](const TensorList& x) { return F::binary_cross_entropy(x[0], prob(x[0]), Tensor(), Reduction::None); },
         Domain::Unit},
        {"binary_cross_entropy.weighted",
         {{3, 4}},
         [](const TensorList& x) { return F::binary_cross_entropy(x[0], prob(x[0]), cst(kW4, {4}, x[0])); },
         Domain::Unit},
        {"binary_cross_entropy_with_logits.mean",
         {{3, 4}},
         [](const TensorList& x) { return F::binary_cross_entropy_with_logits(x[0], prob(x[0])); }},
        {"binary_cross_entropy_with_logits.sum",
         {{3, 4}},
         [](const TensorList& x) {
           return F::binary_cross_entropy_with_logits(x[0], prob(x[0]), Tensor(), Reduction::Sum);
         }},
        {"binary_cross_entropy_with_logits.none",
         {{3, 4}},
         [](const TensorList& x) {
           return F::binary_cross_entropy_with_logits(x[0], prob(x[0]), Tensor(), Reduction::None);
         }},
        {"binary_cross_entropy_with_logits.weighted.pos_weight",
         {{3, 4}},
         [](const TensorList& x) {
           return F::binary_cross_entropy_with_logits(x[0], prob(x[0]), cst(kW4, {4}, x[0]), Reduction::Mean,
                                                      cst(kPosW4, {4}, x[0]));
         }},
        {"binary_cross_entropy_with_logits.pos_weight.none",
         {{3, 4}},
         [](const TensorList& x) {
           return F::binary_cross_entropy_with_logits(x[0], prob(x[0]), Tensor(), Reduction::None,
                                                      cst(kPosW4, {4}, x[0]));
         }},
        {"sigmoid_focal_loss.none",
         {{3, 4}},
         [](const TensorList& x) { return F::sigmoid_focal_loss(x[0], prob(x[0])); }},
        {"sigmoid_focal_loss.mean",
         {{3, 4}},
         [](const TensorList& x) { return F::sigmoid_focal_loss(x[0], prob(x[0]), 0.25, 2.0, Reduction::Mean); }},
        {"sigmoid_focal_loss.sum.no_alpha.gamma1_5",
         {{3, 4}},
         [](const TensorList& x) { return F::sigmoid_focal_loss(x[0], prob(x[0]), -1.0, 1.5, Reduction::Sum); }},
        {"softmax_focal_loss.mean",
         {{4, 5}},
         [](const TensorList& x) {
           return F::softmax_focal_loss(x[0], targets({1, 0, 4, 2}, {4}));
         }},
        {"softmax_focal_loss.sum.alpha",
         {{4, 5}},
         [](const TensorList& x) {
           return F::softmax_focal_loss(x[0], targets({1, 0, 4, 2}, {4}), cst(kAlpha5, {5}, x[0]), 2.0, Reduction::Sum);
         }},
        {"softmax_focal_loss.none.ignore",
         {{4, 5}},
         [](const TensorList& x) {
           return F::softmax_focal_loss(x[0], targets({1, -100, 4, 2}, {4}), Tensor(), 1.5, Reduction::None);
         }},
        {"softmax_focal_loss.mean.alpha.ignore",
         {{4, 5}},
         [](const TensorList& x) {
           return F::softmax_focal_loss(x[0], targets({3, -100, 4, 0}, {4}), cst(kAlpha5, {5}, x[0]), 3.0);
         }},
        {"softmax_focal_loss.spatial",
         {{2, 3, 2}},
         [](const TensorList& x) {
           return F::softmax_focal_loss(x[0], targets({2, 0, 1, -100}, {2, 2}));
         }},
        {"softmax_focal_loss.gamma0",
         {{4, 5}},
         [](const TensorList& x) {
           return F::softmax_focal_loss(x[0], targets({1, 0, 4, 2}, {4}), Tensor(), 0.0);
         }},
        {"kl_div.batchmean",
         {{3, 4}},
         [](const TensorList& x) {
           return F::kl_div(x[0], cst(kDist12, {3, 4}, x[0]), KLDivReduction::BatchMean);
         }},
        {"kl_div.mean",
         {{3, 4}},
         [](const TensorList& x) {
           return F::kl_div(x[0], cst(kDist12, {3, 4}, x[0]));
         }},
        {"kl_div.sum",
         {{3, 4}},
         [](const TensorList& x) {
           return F::kl_div(x[0], cst(kDist12, {3, 4}, x[0]), KLDivReduction::Sum);
         }},
        {"kl_div.none",
         {{3, 4}},
         [](const TensorList& x) {
           return F::kl_div(x[0], cst(kDist12, {3, 4}, x[0]), KLDivReduction::None);
         }},
        {"kl_div.log_target.batchmean",
         {{3, 4}},
         [](const TensorList& x) {
           return F::kl_div(x[0], strata::log(cst(kDistB12, {3, 4}, x[0])), KLDivReduction::BatchMean, true);
         }},
    });
