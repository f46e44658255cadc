// Table rows for the conv family: conv2d (bias / no bias, stride, padding, dilation, groups, 1x1, asymmetric,
// unbatched, transposed input) and the pools with each option. Sizes stay tiny: gradcheck builds the full Jacobian.
// Max-pool rows use random N(0, 1) inputs, so ties (where the gradient is not defined) do not occur.
#include "op_table.h"

using strata::TensorList;

STRATA_OP_CASES(conv, {
                          {"conv2d",
                           {{2, 2, 5, 5}, {3, 2, 3, 3}, {3}},
                           [](const TensorList& x) { return strata::conv2d(x[0], x[1], x[2]); }},
                          {"conv2d.no_bias",
                           {{1, 2, 4, 4}, {2, 2, 2, 2}},
                           [](const TensorList& x) { return strata::conv2d(x[0], x[1]); }},
                          {"conv2d.stride2_pad1",
                           {{2, 2, 5, 5}, {3, 2, 3, 3}, {3}},
                           [](const TensorList& x) {
                             return strata::conv2d(x[0], x[1], x[2], {2, 2}, {1, 1});
                           }},
                          {"conv2d.dilation2",
                           {{1, 2, 6, 6}, {2, 2, 2, 2}, {2}},
                           [](const TensorList& x) {
                             return strata::conv2d(x[0], x[1], x[2], {1, 1}, {1, 1}, {2, 2});
                           }},
                          {"conv2d.groups2",
                           {{2, 4, 4, 4}, {4, 2, 3, 3}, {4}},
                           [](const TensorList& x) {
                             return strata::conv2d(x[0], x[1], x[2], {1, 1}, {1, 1}, {1, 1}, 2);
                           }},
                          {"conv2d.depthwise",
                           {{1, 3, 4, 4}, {3, 1, 3, 3}},
                           [](const TensorList& x) {
                             return strata::conv2d(x[0], x[1], strata::Tensor(), {1, 1}, {1, 1}, {1, 1}, 3);
                           }},
                          {"conv2d.pointwise",
                           {{2, 3, 4, 4}, {4, 3, 1, 1}, {4}},
                           [](const TensorList& x) { return strata::conv2d(x[0], x[1], x[2]); }},
                          {"conv2d.proj_1x1_s2",
                           {{2, 3, 5, 5}, {4, 3, 1, 1}},
                           [](const TensorList& x) {
                             return strata::conv2d(x[0], x[1], strata::Tensor(), {2, 2});
                           }},
                          {"conv2d.asymmetric",
                           {{1, 2, 5, 6}, {2, 2, 2, 3}, {2}},
                           [](const TensorList& x) {
                             return strata::conv2d(x[0], x[1], x[2], {2, 1}, {0, 1}, {1, 2});
                           }},
                          {"conv2d.unbatched",
                           {{2, 5, 5}, {3, 2, 3, 3}, {3}},
                           [](const TensorList& x) {
                             return strata::conv2d(x[0], x[1], x[2], {1, 1}, {1, 1});
                           }},
                          {"conv2d.transposed_input",
                           {{1, 2, 6, 5}, {2, 2, 3, 3}, {2}},
                           [](const TensorList& x) { return strata::conv2d(x[0].transpose(2, 3), x[1], x[2]); }},
                          {"max_pool2d.k2",
                           {{2, 2, 4, 4}},
                           [](const TensorList& x) {
                             return strata::max_pool2d(x[0], {2, 2});
                           }},
                          {"max_pool2d.k3s2p1",
                           {{1, 2, 5, 5}},
                           [](const TensorList& x) {
                             return strata::max_pool2d(x[0], {3, 3}, {2, 2}, {1, 1});
                           }},
                          {"max_pool2d.stride1",
                           {{1, 2, 4, 5}},
                           [](const TensorList& x) {
                             return strata::max_pool2d(x[0], {2, 2}, {1, 1});
                           }},
                          {"max_pool2d.dilation2",
                           {{1, 2, 6, 6}},
                           [](const TensorList& x) {
                             return strata::max_pool2d(x[0], {2, 2}, {1, 1}, {1, 1}, {2, 2});
                           }},
                          {"max_pool2d.ceil",
                           {{1, 2, 5, 7}},
                           [](const TensorList& x) {
                             return strata::max_pool2d(x[0], {2, 3}, {2, 2}, {0, 1}, {1, 1}, true);
                           }},
                          {"avg_pool2d.k2",
                           {{2, 2, 4, 4}},
                           [](const TensorList& x) {
                             return strata::avg_pool2d(x[0], {2, 2});
                           }},
                          {"avg_pool2d.k3s2p1",
                           {{1, 2, 5, 5}},
                           [](const TensorList& x) {
                             return strata::avg_pool2d(x[0], {3, 3}, {2, 2}, {1, 1});
                           }},
                          {"avg_pool2d.k3s2p1_exclude_pad",
                           {{1, 2, 5, 5}},
                           [](const TensorList& x) {
                             return strata::avg_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}, false, false);
                           }},
                          {"avg_pool2d.ceil",
                           {{1, 2, 5, 6}},
                           [](const TensorList& x) {
                             return strata::avg_pool2d(x[0], {2, 3}, {2, 2}, {1, 1}, true);
                           }},
                          {"avg_pool2d.ceil_exclude_pad",
                           {{1, 2, 5, 6}},
                           [](const TensorList& x) {
                             return strata::avg_pool2d(x[0], {2, 3}, {2, 2}, {1, 1}, true, false);
                           }},
                          {"adaptive_avg_pool2d",
                           {{2, 2, 5, 7}},
                           [](const TensorList& x) {
                             return strata::adaptive_avg_pool2d(x[0], {3, 4});
                           }},
                          {"adaptive_avg_pool2d.global",
                           {{2, 3, 4, 4}},
                           [](const TensorList& x) {
                             return strata::adaptive_avg_pool2d(x[0], {1, 1});
                           }},
                          {"adaptive_avg_pool2d.larger_output",
                           {{1, 2, 3, 2}},
                           [](const TensorList& x) {
                             return strata::adaptive_avg_pool2d(x[0], {4, 3});
                           }},
                      });
