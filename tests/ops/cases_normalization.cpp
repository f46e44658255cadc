// Table rows for the normalisation family (batch_norm, layer_norm, dropout).
#include "op_table.h"
#include "strata/ops/normalization.h"

using strata::TensorList;
using strata::testing::Domain;

namespace {

// Fixed running statistics for the evaluation-mode rows (converted to the input's dtype by batch_norm).
strata::Tensor rm3() { return strata::tensor({0.1, -0.2, 0.3}, strata::kFloat64); }
strata::Tensor rv3() { return strata::tensor({0.5, 1.5, 2.0}, strata::kFloat64); }

}  // namespace

STRATA_OP_CASES(
    normalization,
    {
        {"layer_norm.last",
         {{3, 5}, {5}, {5}},
         [](const TensorList& x) { return strata::layer_norm(x[0], {5}, x[1], x[2]); }},
        {"layer_norm.two_dims",
         {{2, 3, 4}, {3, 4}, {3, 4}},
         [](const TensorList& x) {
           return strata::layer_norm(x[0], {3, 4}, x[1], x[2]);
         }},
        {"layer_norm.no_affine", {{4, 6}}, [](const TensorList& x) { return strata::layer_norm(x[0], {6}); }},
        {"layer_norm.transposed",
         {{5, 3}, {5}, {5}},
         [](const TensorList& x) { return strata::layer_norm(x[0].t(), {5}, x[1], x[2]); }},
        {"layer_norm.eps",
         {{2, 4}, {4}},
         [](const TensorList& x) { return strata::layer_norm(x[0], {4}, x[1], strata::Tensor(), 0.1); }},
        {"batch_norm.train_2d",
         {{4, 3}, {3}, {3}},
         [](const TensorList& x) {
           return strata::batch_norm(x[0], strata::Tensor(), strata::Tensor(), x[1], x[2], true);
         }},
        {"batch_norm.train_4d",
         {{2, 3, 2, 2}, {3}, {3}},
         [](const TensorList& x) {
           return strata::batch_norm(x[0], strata::Tensor(), strata::Tensor(), x[1], x[2], true);
         }},
        {"batch_norm.train_no_affine",
         {{3, 2, 4}},
         [](const TensorList& x) {
           return strata::batch_norm(x[0], strata::Tensor(), strata::Tensor(), strata::Tensor(), strata::Tensor(),
                                     true);
         }},
        {"batch_norm.eval_4d",
         {{2, 3, 2, 2}, {3}, {3}},
         [](const TensorList& x) { return strata::batch_norm(x[0], rm3(), rv3(), x[1], x[2], false); }},
        {"batch_norm.train_sliced",
         {{4, 6}, {3}, {3}},
         [](const TensorList& x) {
           return strata::batch_norm(x[0].slice(1, 0, 6, 2), strata::Tensor(), strata::Tensor(), x[1], x[2], true);
         }},
        {"dropout.eval", {{2, 3}}, [](const TensorList& x) { return strata::dropout(x[0], 0.5, false); }},
        // The mask comes from a fresh generator seeded 7, as torch.manual_seed(7) before F.dropout.
        {"dropout.train_seed7",
         {{4, 5}},
         [](const TensorList& x) {
           strata::Generator g(7);
           return strata::dropout(x[0], 0.3, true, &g);
         }},
    });
