// Table rows for the sorting family (sort, topk): the values are a gather of the input, so the float64
// gradcheck and the PyTorch records check that gradients land on the picked elements.
#include "op_table.h"
#include "strata/ops/sorting.h"

namespace {
using strata::Tensor;
using strata::TensorList;
}  // namespace

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    sorting,
    {
        {"sort.last_dim", {{3, 5}}, [](const TensorList& x) { return strata::sort(x[0], -1).values; }},
        {"sort.dim0_descending", {{4, 3}}, [](const TensorList& x) { return strata::sort(x[0], 0, true).values; }},
        {"sort.transposed", {{3, 4}}, [](const TensorList& x) { return strata::sort(x[0].t(), 1).values; }},
        {"topk.largest", {{3, 6}}, [](const TensorList& x) { return strata::topk(x[0], 2).values; }},
        {"topk.smallest_dim0", {{5, 2}}, [](const TensorList& x) { return strata::topk(x[0], 3, 0, false).values; }},
        {"topk.3d_middle", {{2, 4, 3}}, [](const TensorList& x) { return strata::topk(x[0], 2, 1).values; }},
    });
// clang-format on
