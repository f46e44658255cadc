// Table rows for the indexing family (index_select, index_add, gather, scatter_add, embedding, masked_fill,
// cat, stack, pad). Index tensors and masks are fixed constants captured by each row.
#include "op_table.h"

namespace {
using strata::Tensor;
using strata::TensorList;

Tensor ids(std::vector<int64_t> v, const strata::Shape& shape) { return strata::from_vector<int64_t>(v, shape); }
Tensor mask(std::vector<bool> v, const strata::Shape& shape) { return strata::from_vector<bool>(v, shape); }
}  // namespace

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    indexing,
    {
        {"index_select.dim0_repeated",
         {{4, 3}},
         [](const TensorList& x) {
           return strata::index_select(x[0], 0, ids({3, 0, 3, 1, 3}, {5}));
         }},
        {"index_select.dim1_transposed",
         {{4, 3}},
         [](const TensorList& x) {
           return strata::index_select(x[0].t(), 1, ids({2, 2, 0}, {3}));
         }},
        {"index_select.neg_dim_3d",
         {{2, 3, 4}},
         [](const TensorList& x) {
           return strata::index_select(x[0], -1, ids({1, 3, 1}, {3}));
         }},
        {"index_add.repeated",
         {{4, 3}, {5, 3}},
         [](const TensorList& x) {
           return strata::index_add(x[0], 0, ids({2, 0, 2, 3, 2}, {5}), x[1]);
         }},
        {"gather.dim1_repeated",
         {{3, 4}},
         [](const TensorList& x) {
           return strata::gather(x[0], 1, ids({3, 3, 0, 1, 1, 1, 2, 0, 2}, {3, 3}));
         }},
        {"gather.dim0_sliced",
         {{3, 6}},
         [](const TensorList& x) {
           return strata::gather(x[0].slice(1, 0, 6, 2), 0, ids({2, 2, 0, 1, 0, 2}, {2, 3}));
         }},
        {"scatter_add.dim1_repeated",
         {{3, 4}, {3, 3}},
         [](const TensorList& x) {
           return strata::scatter_add(x[0], 1, ids({3, 3, 0, 1, 1, 1, 2, 0, 2}, {3, 3}), x[1]);
         }},
        {"scatter_add.dim0",
         {{2, 3}, {4, 3}},
         [](const TensorList& x) {
           return strata::scatter_add(x[0], 0, ids({1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0}, {4, 3}), x[1]);
         }},
        {"embedding.repeated",
         {{5, 3}},
         [](const TensorList& x) {
           return strata::embedding(x[0], ids({4, 1, 4, 0, 1, 4}, {2, 3}));
         }},
        // The padding row gets no gradient by design, so the outputs looked up from it are multiplied by 0 here
        // (central differences would see them); the zero gradient itself is checked in indexing_test.cpp.
        {"embedding.padding_idx",
         {{5, 3}},
         [](const TensorList& x) {
           Tensor keep = strata::tensor({0, 1, 0, 1, 1, 0}).reshape({3, 2, 1});
           return strata::embedding(x[0], ids({2, 1, 2, 0, 3, 2}, {3, 2}), 2) * keep;
         }},
        {"masked_fill.broadcast_mask",
         {{3, 4}},
         [](const TensorList& x) {
           return strata::masked_fill(x[0], mask({true, false, false, true}, {4}), -2.5);
         }},
        {"masked_fill.transposed",
         {{4, 3}},
         [](const TensorList& x) {
           Tensor m = mask({true, false, true, false, false, true, true, false, false, true, false, false}, {3, 4});
           return strata::masked_fill(x[0].t(), m, 1.0);
         }},
        {"cat.dim0",
         {{2, 3}, {1, 3}, {3, 3}},
         [](const TensorList& x) {
           return strata::cat({x[0], x[1], x[2]}, 0);
         }},
        {"cat.neg_dim_transposed",
         {{2, 3}, {3, 2}},
         [](const TensorList& x) {
           return strata::cat({x[0], x[1].t()}, -1);
         }},
        {"stack.dim0",
         {{2, 3}, {2, 3}},
         [](const TensorList& x) {
           return strata::stack({x[0], x[1]}, 0);
         }},
        {"stack.last_dim",
         {{2, 3}, {2, 3}, {2, 3}},
         [](const TensorList& x) {
           return strata::stack({x[0], x[1], x[2]}, 2);
         }},
        {"pad.last_two_dims",
         {{2, 3, 4}},
         [](const TensorList& x) {
           return strata::pad(x[0], {1, 2, 0, 1}, 0.5);
         }},
        {"pad.negative_crop",
         {{3, 5}},
         [](const TensorList& x) {
           return strata::pad(x[0], {-1, 2, 1, -1});
         }},
    });
// clang-format on
