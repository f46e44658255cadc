// Table rows for the linalg family: every matmul form, mm, bmm, addmm and linear (with and without bias),
// including transposed and sliced operands.
#include "op_table.h"

using strata::TensorList;

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    linalg,
    {
        {"matmul.dot", {{4}, {4}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.vec_mat", {{3}, {3, 4}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.mat_vec", {{2, 3}, {3}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.mat_mat", {{2, 3}, {3, 4}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.vec_batched", {{3}, {2, 3, 4}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.batched_vec", {{2, 3, 4}, {4}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.batched_mat", {{2, 3, 4}, {4, 5}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.mat_batched", {{3, 4}, {2, 4, 5}}, [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.batched_broadcast",
         {{2, 1, 3, 4}, {5, 4, 2}},
         [](const TensorList& x) { return strata::matmul(x[0], x[1]); }},
        {"matmul.transposed", {{3, 2}, {4, 3}}, [](const TensorList& x) { return strata::matmul(x[0].t(), x[1].t()); }},
        {"matmul.sliced",
         {{4, 6}, {8, 3}},
         [](const TensorList& x) {
           return strata::matmul(x[0].slice(1, 1, 5), x[1].slice(0, 0, 8, 2).slice(1, 1, 3));
         }},
        {"mm", {{3, 4}, {4, 2}}, [](const TensorList& x) { return strata::mm(x[0], x[1]); }},
        {"mm.transposed", {{4, 3}, {2, 4}}, [](const TensorList& x) { return strata::mm(x[0].t(), x[1].t()); }},
        {"bmm", {{2, 3, 4}, {2, 4, 5}}, [](const TensorList& x) { return strata::bmm(x[0], x[1]); }},
        {"bmm.transposed",
         {{2, 4, 3}, {2, 4, 5}},
         [](const TensorList& x) { return strata::bmm(x[0].transpose(1, 2), x[1]); }},
        {"addmm", {{2, 4}, {2, 3}, {3, 4}}, [](const TensorList& x) { return strata::addmm(x[0], x[1], x[2]); }},
        {"addmm.broadcast_scaled",
         {{4}, {2, 3}, {3, 4}},
         [](const TensorList& x) { return strata::addmm(x[0], x[1], x[2], 0.5, 2.0); }},
        {"linear", {{5, 3}, {4, 3}, {4}}, [](const TensorList& x) { return strata::linear(x[0], x[1], x[2]); }},
        {"linear.no_bias", {{5, 3}, {4, 3}}, [](const TensorList& x) { return strata::linear(x[0], x[1]); }},
        {"linear.batched",
         {{2, 5, 3}, {4, 3}, {4}},
         [](const TensorList& x) { return strata::linear(x[0], x[1], x[2]); }},
        {"linear.vector", {{3}, {4, 3}, {4}}, [](const TensorList& x) { return strata::linear(x[0], x[1], x[2]); }},
        {"linear.transposed_input",
         {{3, 5}, {4, 3}, {4}},
         [](const TensorList& x) { return strata::linear(x[0].t(), x[1], x[2]); }},
    });
// clang-format on
